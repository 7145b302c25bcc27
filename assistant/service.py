"""What the web layer shares: the engine, the store, the rate limiter. Built once per process.

Owns: answering one turn of a stored conversation (load its state, answer, write it back
with an optimistic version check; on a lost race with another worker, reload and answer
again), adding a policy as one locked step (file + manifest + index + audit entry), noticing
that another worker or the CLI changed the corpus or the index (a stat of
``corpus/policies.json`` and of the ``index/active`` link) and switching to it, and plain-dict
views of clauses for the REST API and the UI. The answer path itself stays in ``pipeline``;
persistence in ``storage``. The optional LLM polish is applied here, at the edge (``polish``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import random
import threading
import time
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from assistant.corpus import MANIFEST, Corpus
from assistant.errors import BusyError
from assistant.guards import RateLimiter
from assistant.pipeline import Conversation, Engine, ask
from assistant.polish import Polisher
from assistant.settings import Settings
from assistant.storage import Store, new_conversation_id, open_store
from assistant.types import Answer, Clause

log = logging.getLogger(__name__)
MAX_TURN_TRIES = 8
REFRESH_RETRY_S = 5.0
TURN_STRIPES = 64  # in-process turns of one conversation queue on one of these; other workers race via versions


def _signature(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _link(path: Path) -> str | None:
    try:
        return os.readlink(path)
    except OSError:
        return None


def limiter_for(settings: Settings) -> RateLimiter:
    return RateLimiter({"admin": settings.admin_rate_per_minute, "feedback": settings.feedback_rate_per_minute})


@dataclass
class Service:
    settings: Settings
    engine: Engine
    store: Store
    index_info: dict
    polisher: Polisher | None = None  # optional LLM polish, applied here at the edge
    limiter: RateLimiter | None = None
    _reload_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _repairing: threading.Event = field(default_factory=threading.Event, repr=False)
    _stripes: tuple = field(default_factory=lambda: tuple(threading.Lock() for _ in range(TURN_STRIPES)), repr=False)
    _version: tuple | None = field(default=None, repr=False)
    _retry_at: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        if self.limiter is None:
            self.limiter = limiter_for(self.settings)
        if self._version is None:
            self._version = self.data_version()

    @property
    def corpus(self) -> Corpus:
        return self.engine.corpus

    # ------------------------------------------------------------ corpus / index version

    def data_version(self) -> tuple:
        """What identifies the corpus and index on disk: cheap enough to check on every request."""
        from assistant.index import ACTIVE

        return (_signature(Path(self.settings.corpus_dir) / MANIFEST), _link(Path(self.settings.index_dir) / ACTIVE))

    def needs_refresh(self) -> bool:
        return self.data_version() != self._version and time.monotonic() >= self._retry_at

    def refresh(self) -> None:
        """Switch to the corpus and index another process finished writing. Requests of this process
        that arrive meanwhile wait for the switch (so an admin change, once acknowledged, is seen by
        every worker); while another process is still writing (it holds the corpus lock), keep
        answering from the last complete state instead of waiting."""
        from assistant.locks import CORPUS_LOCK, try_hold

        if not self.needs_refresh():
            return
        with self._reload_lock:
            if not self.needs_refresh():
                return
            with try_hold(Path(self.settings.corpus_dir) / CORPUS_LOCK) as free:
                if not free:
                    return
                log.info("corpus or index changed on disk: reloading")
                try:
                    self._reload_unlocked()
                except Exception:  # noqa: BLE001 - keep answering from what we have; try again shortly
                    log.exception("reloading the changed corpus or index failed; retrying in %s s", REFRESH_RETRY_S)
                    self._retry_at = time.monotonic() + REFRESH_RETRY_S

    def reload(self) -> dict:
        """Re-read the corpus and refresh the index (only changed clauses are re-embedded), then
        swap the engine in one assignment: requests in flight finish on the old one."""
        with self._reload_lock:
            return self._reload_unlocked()

    def _reload_unlocked(self) -> dict:
        from assistant.bootstrap import open_retriever

        retriever, built = open_retriever(self.settings, embedder=self.engine.retriever.embedder, quiet=True)
        self.engine = Engine(retriever.corpus, retriever)
        self.index_info = dict(built.manifest)
        self._version = self.data_version()
        if self.polisher is not None:
            self.polisher = replace(self.polisher, known=frozenset(c.id for c in retriever.corpus.clauses),
                                    departments=frozenset(retriever.corpus.departments))
        return self.index_info

    def add_policy(self, source: Path, *, filename: str, actor: str, client: str | None = None, **fields):
        """Add or update a policy file (and its ``rules_file`` sidecar, if given) and refresh the index as
        one step under the corpus lock, then record who did it. Returns (``AddResult``, index info)."""
        from assistant.locks import corpus_lock
        from assistant.policies import add_policy

        with corpus_lock(self.settings.corpus_dir):
            result = add_policy(self.settings.corpus_dir, source, filename=filename, **fields)
            info = self.reload() if result.action != "unchanged" else self.index_info
        digest = hashlib.sha256(Path(source).read_bytes()).hexdigest()
        detail = ", ".join(f"{k}={v}" for k, v in fields.items() if v is not None) or None
        self.store.record_admin(actor=actor, client=client, action=result.action, doc_id=result.doc_id, file=result.file,
                                sha256=digest, detail=detail)
        return result, info

    # ------------------------------------------------------------ conversations

    def ask(self, question: str, conversation_id: str | None = None, doc: str | None = None) -> Answer:
        answer = self._turn(question, conversation_id, doc)
        if self.polisher is not None:
            answer = self.polisher.polish(answer)
        return answer

    def _turn(self, question: str, conversation_id: str | None, doc: str | None = None) -> Answer:
        """One turn, stored. A turn another worker stored first makes us reload and answer again."""
        stripe = self._stripes[hash(conversation_id) % TURN_STRIPES] if conversation_id else contextlib.nullcontext()
        with stripe:
            for attempt in range(MAX_TURN_TRIES):
                conv, version = self._load(conversation_id)
                answer = ask(question, self.engine, conv, doc=doc)
                if self.store.save_conversation(conv.id, conv.to_state(), version):
                    if answer.degraded:
                        self._repair_in_background()
                    return answer
                time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))
        raise BusyError("该对话正在被其他请求更新")

    def reset(self, conversation_id: str | None) -> None:
        """Forget a conversation entirely (新对话, the trash icon): facts, topic and pending question."""
        if conversation_id:
            self.store.delete_conversation(conversation_id)

    def _load(self, conversation_id: str | None) -> tuple[Conversation, int]:
        """The stored conversation and its version; a new one (version 0) if the id is unknown or expired.
        A client never chooses an id: an unknown one gets a fresh random id."""
        got = self.store.load_conversation(conversation_id) if conversation_id else None
        if got is None:
            return Conversation(id=new_conversation_id()), 0
        state, version = got
        try:
            conv = Conversation.from_state(state)
        except (TypeError, ValueError, KeyError) as exc:  # stored by an incompatible version: start the context afresh
            log.warning("conversation state could not be read (%s): starting it afresh", exc)
            conv = Conversation(id=conversation_id)
        return replace(conv, id=conversation_id), version

    def _repair_in_background(self) -> None:
        """Embedded index unreadable (corrupt files): rebuild it in the background while answers
        continue from keywords. A Chroma server that is down is not ours to rebuild: we wait for it."""
        if self.settings.chroma_url or self._repairing.is_set():
            return
        self._repairing.set()

        def run():
            try:
                self.reload()
            except Exception:  # noqa: BLE001 - the next degraded answer will try again
                pass
            finally:
                self._repairing.clear()

        threading.Thread(target=run, name="index-repair", daemon=True).start()

    def ask_stream(self, question: str, conversation_id: str | None = None, doc: str | None = None):
        """Yield growing answer text; the last item is the final, verified ``Answer``.
        With an LLM configured only sentences of its rewrite that passed verification stream in
        (``Polisher.stream``); without one the composed answer is sent line by line."""
        answer = self._turn(question, conversation_id, doc)
        if self.polisher is not None:
            yield from self.polisher.stream(answer)
            return
        shown = ""
        for line in answer.answer.split("\n"):
            shown += line + "\n"
            yield shown.strip()
        yield answer

    def clause_view(self, clause: Clause) -> dict:
        corpus = self.corpus
        doc = corpus.document_of(clause)
        article = corpus.article_of(clause)
        return {
            "clause_id": clause.id, "article": clause.article_title, "article_label": article.label,
            "text": clause.text, "departments": list(clause.departments),
            "document": doc.full_title, "status": doc.status.value, "status_label": doc.status.label,
            "citation": corpus.citation_text(clause),
            "article_clauses": [{"clause_id": c, "text": corpus.get(c).text} for c in article.clause_ids],
            "rules": [r.id for r in corpus.rules_for(clause.id)],
        }


def build_service(settings: Settings, *, quiet: bool = False) -> Service:
    from assistant.bootstrap import open_polisher, open_retriever
    from assistant.locks import reading_corpus

    store = open_store(settings.data_dir, settings.database_url, conversation_ttl_s=settings.conversation_ttl_hours * 3600)
    with reading_corpus(settings.corpus_dir):  # a worker starting during an `add` waits for the finished corpus and index
        retriever, built = open_retriever(settings, quiet=quiet)
        engine = Engine(retriever.corpus, retriever)
        return Service(settings, engine, store, dict(built.manifest), open_polisher(settings, retriever.corpus))


def yuan(value: Decimal | int | None) -> int | None:
    return None if value is None else int(value)
