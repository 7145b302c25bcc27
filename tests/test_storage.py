"""The storage layer: conversation state (codec, versions, TTL), feedback, audit log, on SQLite.
PostgreSQL runs the same code in tests/test_scale_out.py."""

import enum
import json
import sqlite3
import threading
import tracemalloc
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Optional

import pytest

from assistant import storage
from assistant.pipeline import Conversation
from assistant.service import Service
from assistant.settings import load_settings
from assistant.storage import from_state, open_store, state_of
from assistant.pipeline import Pending
from assistant.route import Facts
from assistant.understand import Stated


def rich_conversation() -> Conversation:
    stated = (Stated("80万元", Decimal("800000"), "元", "money", 9, "算力服务费用", "", "amount", 0, "算力服务费用"),
              Stated("3.5元", Decimal("3.50"), "元", "money", 20, "", "", "received", 1, ""))
    facts = Facts(stated, subjects=(("中小企业", True), ("牵头研发单位", False)), level="省级", said=("算力券能补多少",))
    return Conversation(id="c1", facts=facts, topic=("3.4", "6.3"), topic_rules=("3.4-1",), last_question="算力券能补多少", turns=3,
                        pending=Pending("yes_no", "算力券能补多少", "中小企业", ("是", "否", "不确定"), ("d",)))


def test_conversation_state_round_trips_through_json():
    conv = rich_conversation()
    state = json.loads(json.dumps(conv.to_state()))
    assert state["facts"]["stated"][1]["value"] == "3.50" and state["topic"] == ["3.4", "6.3"] and "lock" not in state
    back = Conversation.from_state(state)
    assert (back.id, back.facts, back.topic, back.last_question, back.turns, back.pending) == \
        (conv.id, conv.facts, conv.topic, conv.last_question, 3, conv.pending)
    assert back.facts.stated[1].value == Decimal("3.50") and back.lock is not conv.lock


class Mode(enum.Enum):
    ASK = "ask"
    TELL = "tell"


@dataclass(frozen=True)
class FuturePending:
    question: str
    options: tuple[str, ...] = ()
    mode: Mode = Mode.ASK


@dataclass
class FutureConversation:
    """Conversation as another engineer might grow it: new fields of new types."""

    id: str = "x"
    facts: Facts = field(default_factory=Facts)
    pending: Optional[FuturePending] = None
    scores: dict[str, Decimal] = field(default_factory=dict)
    history: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def test_fields_added_later_are_stored_without_any_storage_change():
    conv = FutureConversation(facts=rich_conversation().facts, pending=FuturePending("是否中小企业？", ("是", "否"), Mode.TELL),
                              scores={"3.4": Decimal("0.75")}, history=[("q1", 1), ("q2", 2)])
    state = json.loads(json.dumps(state_of(conv)))
    back = from_state(FutureConversation, state)
    assert back.pending == conv.pending and back.scores == conv.scores and back.history == conv.history and back.facts == conv.facts


def test_state_from_an_older_or_newer_version_is_read_leniently():
    back = Conversation.from_state({"id": "c", "turns": 2, "field_removed_since": [1, 2]})
    assert (back.id, back.turns, back.topic, back.facts) == ("c", 2, (), Facts())


def test_values_that_are_not_data_are_refused_loudly():
    with pytest.raises(TypeError):
        state_of(FutureConversation(history=[(object(), 1)]))


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "data")
    yield s
    s.close()


def test_sqlite_store_uses_wal_under_the_data_dir(store, tmp_path):
    assert (tmp_path / "data" / storage.SQLITE_FILE).exists()
    with store.engine.connect() as db:
        assert db.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_conversation_survives_reopening_the_store(tmp_path):
    first = open_store(tmp_path / "data")
    assert first.save_conversation("abc", rich_conversation().to_state(), 0)
    first.close()
    again = open_store(tmp_path / "data")
    state, version = again.load_conversation("abc")
    assert version == 1 and Conversation.from_state(state).facts == rich_conversation().facts


def test_a_stale_version_loses_and_does_not_overwrite(store):
    assert store.save_conversation("abc", {"turns": 1}, 0)
    assert store.save_conversation("abc", {"turns": 2}, 1)
    assert not store.save_conversation("abc", {"turns": 99}, 1)  # another worker wrote version 2 meanwhile
    assert not store.save_conversation("abc", {"turns": 99}, 0)  # and the id exists
    assert store.load_conversation("abc") == ({"turns": 2}, 2)


def test_conversations_expire_after_idle_ttl_and_are_purged(tmp_path, monkeypatch):
    s = open_store(tmp_path / "data", conversation_ttl_s=3600)
    s.save_conversation("old", {"turns": 1}, 0)
    now = storage.time.time()
    monkeypatch.setattr(storage.time, "time", lambda: now + 3601)
    assert s.load_conversation("old") is None
    assert s.count_conversations() == 1
    s.save_conversation("new", {"turns": 1}, 0)  # writes purge expired rows now and then
    assert s.count_conversations() == 1 and s.load_conversation("new") is not None


def test_a_flood_of_new_conversations_does_not_evict_a_live_one(default_engine, tmp_path):
    service = Service(load_settings(data_dir=tmp_path / "data", index_dir=tmp_path / "no-index"), default_engine,
                      open_store(tmp_path / "data"), {})
    first = service.ask("模型券能补多少？")
    for _ in range(2500):  # what 2,500 requests with fresh ids store: the in-memory LRU kept only 2,000
        assert service.store.save_conversation(storage.new_conversation_id(), {"turns": 1}, 0)
    follow_up = service.ask("这个归哪个部门管？", first.conversation_id)
    assert follow_up.conversation_id == first.conversation_id and "市经信局" in follow_up.answer


def test_conversation_ids_are_random_and_unknown_ids_are_not_adopted(default_engine, tmp_path):
    service = Service(load_settings(data_dir=tmp_path / "data", index_dir=tmp_path / "no-index"), default_engine,
                      open_store(tmp_path / "data"), {})
    ids = {service.ask("模型券能补多少？").conversation_id for _ in range(3)}
    assert len(ids) == 3 and all(len(i) >= 22 for i in ids)
    chosen = service.ask("模型券能补多少？", "my-guessable-id")
    assert chosen.conversation_id != "my-guessable-id" and service.store.load_conversation("my-guessable-id") is None


def test_concurrent_turns_of_one_conversation_in_two_workers_lose_no_update(default_engine, tmp_path):
    """Two services on one database stand for two worker processes answering the same conversation."""
    workers = [Service(load_settings(data_dir=tmp_path / "data", index_dir=tmp_path / "no-index"), default_engine,
                       open_store(tmp_path / "data"), {}) for _ in range(2)]
    cid = workers[0].ask("模型券能补多少？").conversation_id
    errors = []

    def turns(service):
        try:
            for _ in range(10):
                service.ask("这个归哪个部门管？", cid)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=turns, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    state, version = workers[1].store.load_conversation(cid)
    assert Conversation.from_state(state).turns == 21 and version == 21


def test_feedback_round_trip_and_ordering(store):
    a = store.add_feedback(question="q1", answer={"answer": "a1"}, rating=1)
    b = store.add_feedback(question="q2", answer="plain", rating=-1, conversation_id="c", comment="错了")
    rows = list(store.iter_feedback())
    assert [r["id"] for r in rows] == [a, b] and rows[0]["answer"] == {"answer": "a1"} and rows[1]["comment"] == "错了"
    with pytest.raises(ValueError):
        store.add_feedback(question="q", answer="a", rating=3)


def test_feedback_export_streams_without_holding_every_row(store):
    from sqlalchemy import insert

    big = "很长的回答" * 2000  # 10,000 characters, ~30 KB as UTF-8
    with store.engine.begin() as db:
        db.execute(insert(storage.feedback), [{"ts": "t", "question": f"q{i}", "answer": big, "rating": 1} for i in range(2000)])
    tracemalloc.start()
    count = sum(1 for _ in store.iter_feedback_jsonl())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 2000 and peak < 20 * 1024 * 1024  # the rows total ~60 MB


def test_audit_log_newest_first(store):
    store.record_admin(actor="cli:alice", action="added", doc_id="talent", file="talent.md", sha256="ab" * 32)
    store.record_admin(actor="api", client="127.0.0.1", action="updated", doc_id="talent", file="talent.md")
    log = store.audit_log()
    assert [(e["actor"], e["action"]) for e in log] == [("api", "updated"), ("cli:alice", "added")] and log[0]["ts"]


def test_feedback_from_the_old_sqlite_file_is_imported_once(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "feedback.sqlite3") as old:
        old.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, ts TEXT NOT NULL, conversation_id TEXT, "
                    "question TEXT NOT NULL, answer TEXT NOT NULL, rating INTEGER NOT NULL, comment TEXT)")
        old.execute("INSERT INTO feedback (ts, question, answer, rating) VALUES ('2026-01-01T00:00:00', '旧问题', '{}', -1)")
    s = open_store(data)
    assert [r["question"] for r in s.iter_feedback()] == ["旧问题"]
    assert not (data / "feedback.sqlite3").exists() and (data / "feedback.sqlite3.imported").exists()
    s.close()
    assert [r["question"] for r in open_store(data).iter_feedback()] == ["旧问题"]


def test_unreachable_database_is_one_clear_error(tmp_path):
    from assistant.errors import StorageError

    with pytest.raises(StorageError, match="数据库不可用") as info:
        open_store(tmp_path, "postgresql://user:hunter2@127.0.0.1:1/db")
    assert "hunter2" not in info.value.message
