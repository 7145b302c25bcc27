"""Conversations, feedback and the admin audit log: one small storage layer on SQLAlchemy Core.

Default: embedded SQLite in WAL mode at ``<POLICY_DATA_DIR>/policy.sqlite3``, shared by every
worker process of one machine. ``POLICY_DATABASE_URL=postgresql://…`` switches to PostgreSQL
(psycopg 3), shared by several app nodes. The only module that imports SQLAlchemy.

Owns:

- the schema (three tables, created on first use);
- conversation state: a JSON document per conversation, written with an optimistic version
  number (``UPDATE … WHERE version = :seen``), so two workers answering turns of the same
  conversation at once never lose one: the loser reloads and answers again. Conversations
  expire after ``conversation_ttl_hours`` without a turn; nothing else removes them, so
  strangers cannot push someone's conversation out. Ids come from ``secrets.token_urlsafe``
  and are never listed;
- feedback rows, exported as a stream (one row in memory at a time);
- the audit log of admin changes (who, from where, when, which document, what action);
- the generic codec behind ``Conversation.to_state()`` / ``from_state()``: it walks dataclass
  fields (recursively, by their type hints), so a field added to ``Conversation`` (or to the
  records it holds) is stored without any change here. Decimals are stored as strings,
  tuples and sets as lists; locks are runtime state and are skipped.

Does not know what a conversation means (``answer``) or who may call what (``api``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import logging
import secrets
import sqlite3
import threading
import time
import types
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import (Column, Float, Integer, MetaData, String, Table, Text, create_engine, delete, event, func, insert,
                        select, update)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError

from assistant.errors import StorageError

log = logging.getLogger(__name__)

SQLITE_FILE = "policy.sqlite3"
LEGACY_FEEDBACK_FILE = "feedback.sqlite3"  # before this module: feedback only, raw sqlite3
PURGE_EVERY_S = 60.0
MAX_STATE_BYTES = 256 * 1024  # a conversation state is a few KB; refuse to store a runaway one

metadata = MetaData()
conversations = Table(
    "conversations", metadata,
    Column("id", String(64), primary_key=True),
    Column("state", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False, index=True),
)
feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", String(32), nullable=False),
    Column("conversation_id", String(64)),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("rating", Integer, nullable=False),
    Column("comment", Text),
)
audit = Table(
    "admin_audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ts", String(32), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("client", String(64)),
    Column("action", String(32), nullable=False),
    Column("doc_id", String(100)),
    Column("file", String(200)),
    Column("sha256", String(64)),
    Column("detail", Text),
)


def new_conversation_id() -> str:
    """128 random bits, URL-safe: cannot be guessed or enumerated."""
    return secrets.token_urlsafe(16)


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def database_url(data_dir: Path, url: str | None) -> str:
    """The SQLAlchemy URL: the configured one (``postgresql://`` means psycopg 3), else SQLite under ``data_dir``."""
    if not url:
        return f"sqlite:///{Path(data_dir) / SQLITE_FILE}"
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain):]
    return url


class Store:
    """The three tables behind one SQLAlchemy engine. Thread-safe; one per process."""

    def __init__(self, engine: Engine, *, conversation_ttl_s: float) -> None:
        self.engine = engine
        self.ttl_s = conversation_ttl_s
        self._last_purge = 0.0
        self._purge_lock = threading.Lock()

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    # ------------------------------------------------------------ conversations

    def load_conversation(self, conversation_id: str) -> tuple[dict, int] | None:
        """(state, version) of a live conversation, or None if unknown or expired."""
        cutoff = time.time() - self.ttl_s
        with self.engine.connect() as db:
            row = db.execute(select(conversations.c.state, conversations.c.version)
                             .where(conversations.c.id == conversation_id, conversations.c.updated_at >= cutoff)).first()
        return (json.loads(row.state), int(row.version)) if row else None

    def save_conversation(self, conversation_id: str, state: dict, seen_version: int) -> bool:
        """Write ``state`` if nobody wrote since ``seen_version`` (0: a new conversation). False on a lost race."""
        payload = json.dumps(state, ensure_ascii=False, separators=(",", ":"))
        if len(payload.encode("utf-8")) > MAX_STATE_BYTES:
            raise ValueError(f"conversation state of {len(payload)} characters is larger than {MAX_STATE_BYTES} bytes")
        now = time.time()
        with self.engine.begin() as db:
            if seen_version == 0:
                try:
                    db.execute(insert(conversations).values(id=conversation_id, state=payload, version=1, created_at=now,
                                                            updated_at=now))
                except IntegrityError:
                    return False
            else:
                n = db.execute(update(conversations)
                               .where(conversations.c.id == conversation_id, conversations.c.version == seen_version)
                               .values(state=payload, version=seen_version + 1, updated_at=now)).rowcount
                if n != 1:
                    return False
        self._maybe_purge(now)
        return True

    def delete_conversation(self, conversation_id: str) -> None:
        """Forget a conversation entirely (新对话, the trash icon)."""
        with self.engine.begin() as db:
            db.execute(delete(conversations).where(conversations.c.id == conversation_id))

    def purge_expired(self, now: float | None = None) -> int:
        cutoff = (now or time.time()) - self.ttl_s
        with self.engine.begin() as db:
            return db.execute(delete(conversations).where(conversations.c.updated_at < cutoff)).rowcount

    def _maybe_purge(self, now: float) -> None:
        if now - self._last_purge < PURGE_EVERY_S or not self._purge_lock.acquire(blocking=False):
            return
        try:
            self._last_purge = now
            self.purge_expired(now)
        except OperationalError as exc:  # busy database: the next write tries again
            log.warning("purging expired conversations failed: %s", exc)
        finally:
            self._purge_lock.release()

    def count_conversations(self) -> int:
        with self.engine.connect() as db:
            return int(db.execute(select(func.count()).select_from(conversations)).scalar_one())

    # ------------------------------------------------------------ feedback

    def add_feedback(self, *, question: str, answer: dict | str, rating: int, conversation_id: str | None = None,
                     comment: str | None = None) -> int:
        if rating not in (-1, 1):
            raise ValueError("rating must be 1 or -1")
        payload = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        with self.engine.begin() as db:
            result = db.execute(insert(feedback).values(ts=_now_iso(), conversation_id=conversation_id, question=question[:5000],
                                                        answer=payload[:100_000], rating=rating, comment=(comment or "")[:2000]))
            return int(result.inserted_primary_key[0])

    def iter_feedback(self) -> Iterator[dict]:
        """Every feedback row in id order, fetched in small batches (never the whole table in memory)."""
        cols = feedback.c
        with self.engine.connect() as db:
            rows = db.execution_options(yield_per=200).execute(
                select(cols.id, cols.ts, cols.conversation_id, cols.question, cols.answer, cols.rating, cols.comment).order_by(cols.id))
            for r in rows:
                try:
                    answer = json.loads(r.answer)
                except ValueError:
                    answer = r.answer
                yield {"id": r.id, "ts": r.ts, "conversation_id": r.conversation_id, "question": r.question, "answer": answer,
                       "rating": r.rating, "comment": r.comment}

    def iter_feedback_jsonl(self) -> Iterator[str]:
        for row in self.iter_feedback():
            yield json.dumps(row, ensure_ascii=False) + "\n"

    # ------------------------------------------------------------ audit log

    def record_admin(self, *, actor: str, action: str, client: str | None = None, doc_id: str | None = None,
                     file: str | None = None, sha256: str | None = None, detail: str | None = None) -> None:
        with self.engine.begin() as db:
            db.execute(insert(audit).values(ts=_now_iso(), actor=actor[:100], client=client, action=action[:32], doc_id=doc_id,
                                            file=(file or "")[:200] or None, sha256=sha256, detail=detail))

    def audit_log(self, limit: int = 100) -> list[dict]:
        """The newest ``limit`` entries, newest first."""
        cols = audit.c
        with self.engine.connect() as db:
            rows = db.execute(select(cols.id, cols.ts, cols.actor, cols.client, cols.action, cols.doc_id, cols.file, cols.sha256,
                                     cols.detail).order_by(cols.id.desc()).limit(limit)).all()
        return [dict(r._mapping) for r in rows]

    def close(self) -> None:
        self.engine.dispose()


def open_store(data_dir: Path, url: str | None = None, *, conversation_ttl_s: float = 24 * 3600.0) -> Store:
    """Connect, create missing tables, and bring over feedback from the pre-SQLAlchemy file once."""
    full = database_url(data_dir, url)
    shown = _redacted(full)
    try:
        if full.startswith("sqlite:"):
            Path(data_dir).mkdir(parents=True, exist_ok=True)
            engine = create_engine(full, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(full, pool_pre_ping=True, pool_size=5, max_overflow=10)
        _create_tables(engine)
    except (SQLAlchemyError, ImportError, OSError) as exc:
        raise StorageError(shown, f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}") from None
    store = Store(engine, conversation_ttl_s=conversation_ttl_s)
    if not url:
        _import_legacy_feedback(store, Path(data_dir) / LEGACY_FEEDBACK_FILE)
    return store


def _redacted(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL: say so without echoing it
        return "数据库地址格式不正确"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; several worker processes share the file
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _create_tables(engine: Engine) -> None:
    # Several workers start at once: on PostgreSQL two CREATE TABLEs can collide; the loser finds the tables made.
    for attempt in range(5):
        try:
            metadata.create_all(engine, checkfirst=True)
            return
        except (IntegrityError, ProgrammingError):
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


def _import_legacy_feedback(store: Store, path: Path) -> None:
    if not path.exists():
        return
    with store.engine.connect() as db:
        if db.execute(select(func.count()).select_from(feedback)).scalar_one():
            return
    try:
        with sqlite3.connect(path) as old:
            rows = old.execute("SELECT ts, conversation_id, question, answer, rating, comment FROM feedback ORDER BY id").fetchall()
    except sqlite3.Error as exc:
        log.warning("could not read old feedback file %s: %s", path, exc)
        return
    if rows:
        with store.engine.begin() as db:
            db.execute(insert(feedback), [dict(zip(("ts", "conversation_id", "question", "answer", "rating", "comment"), r))
                                          for r in rows])
    path.rename(path.with_name(path.name + ".imported"))


# ---------------------------------------------------------------- dataclass state codec


_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))


def state_of(obj: Any) -> Any:
    """A dataclass (and everything in it) as JSON-ready data: Decimal → str, tuple/set → list, Enum → value."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: state_of(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if not isinstance(getattr(obj, f.name), _LOCK_TYPES)}
    if isinstance(obj, enum.Enum):
        return state_of(obj.value)
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, (dt.date, dt.datetime)):
        return obj.isoformat()
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [state_of(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): state_of(v) for k, v in obj.items()}
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    raise TypeError(f"cannot store a {type(obj).__name__} in conversation state")


def from_state(cls: type, data: dict) -> Any:
    """Rebuild a dataclass from ``state_of`` output, guided by its field type hints.

    Keys the class no longer has are ignored and missing ones take their defaults, so stored
    conversations survive fields being added or removed."""
    return _decode(cls, data)


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - an unresolvable hint: those fields come back as plain data
        return {}


def _decode(tp: Any, data: Any) -> Any:
    if data is None or tp is Any or tp is None:
        return data
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        for option in options:
            try:
                return _decode(option, data)
            except (TypeError, ValueError, ArithmeticError):
                continue
        return data
    if origin is typing.Literal:
        return data
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(data, dict):
            raise TypeError(f"{tp.__name__} state must be an object")
        hints = _hints(tp)
        kwargs = {f.name: _decode(hints.get(f.name, Any), data[f.name]) for f in dataclasses.fields(tp)
                  if f.init and f.name in data}
        return tp(**kwargs)
    if origin is tuple or tp is tuple:
        if not isinstance(data, list):
            raise TypeError("tuple state must be a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], x) for x in data)
        if args:
            return tuple(_decode(a, x) for a, x in zip(args, data))
        return tuple(data)
    if origin in (list, set, frozenset) or tp in (list, set, frozenset):
        if not isinstance(data, list):
            raise TypeError("sequence state must be a list")
        item = args[0] if args else Any
        return (origin or tp)(_decode(item, x) for x in data)
    if origin is dict or tp is dict:
        if not isinstance(data, dict):
            raise TypeError("mapping state must be an object")
        key_tp, val_tp = args if len(args) == 2 else (Any, Any)
        return {_decode(key_tp, k): _decode(val_tp, v) for k, v in data.items()}
    if isinstance(tp, type):
        if issubclass(tp, enum.Enum):
            return tp(data)
        if tp is Decimal:
            return Decimal(str(data))
        if tp is dt.datetime:
            return dt.datetime.fromisoformat(data)
        if tp is dt.date:
            return dt.date.fromisoformat(data)
        if tp is bool or tp is str:
            if not isinstance(data, tp):
                raise TypeError(f"expected {tp.__name__}")
            return data
        if tp is int or tp is float:
            if isinstance(data, bool) or not isinstance(data, (int, float)):
                raise TypeError(f"expected {tp.__name__}")
            return tp(data)
    return data
