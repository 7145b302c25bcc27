"""Thumbs up/down on answers, stored locally in SQLite under ``data_dir``; exportable as JSONL
so wrong answers can become new gold cases. The only module that touches the feedback DB."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

SCHEMA = """CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts TEXT NOT NULL,
    conversation_id TEXT,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    comment TEXT
)"""


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def add(self, *, question: str, answer: dict | str, rating: int, conversation_id: str | None = None,
            comment: str | None = None) -> int:
        if rating not in (-1, 1):
            raise ValueError("rating must be 1 or -1")
        payload = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        with self._lock, self._connect() as db:
            cur = db.execute("INSERT INTO feedback (ts, conversation_id, question, answer, rating, comment) VALUES (?,?,?,?,?,?)",
                             (time.strftime("%Y-%m-%dT%H:%M:%S"), conversation_id, question[:5000], payload[:100_000], rating,
                              (comment or "")[:2000]))
            return int(cur.lastrowid)

    def export(self) -> list[dict]:
        with self._lock, self._connect() as db:
            rows = db.execute("SELECT id, ts, conversation_id, question, answer, rating, comment FROM feedback ORDER BY id").fetchall()
        out = []
        for r in rows:
            try:
                answer = json.loads(r[4])
            except ValueError:
                answer = r[4]
            out.append({"id": r[0], "ts": r[1], "conversation_id": r[2], "question": r[3], "answer": answer,
                        "rating": r[5], "comment": r[6]})
        return out

    def export_jsonl(self) -> str:
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in self.export())
