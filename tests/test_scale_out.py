"""Real servers: conversations that survive a restart, `serve --workers 2` sharing conversations and
picking up an admin change, two app nodes on one PostgreSQL + one Chroma server, and request
bodies stopped on the wire. Every process is started here and stopped at the end."""

import json
import os
import shutil
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import CORPUS_DIR, WUHAN
from tests.helpers import app_server, chroma_server, postgres_server

pytestmark = pytest.mark.integration
TOKEN = "scale-out-token"
FIRST, FOLLOW_UP = "模型券能补多少？", "这个归哪个部门管？"
TALENT = "# 某市人才补贴办法\n\n第一条 为吸引人才，制定本办法。\n第二条 【补贴标准】对博士给予每月3000元生活补贴。（责任单位：市人社局）\n"
QUESTIONS = ["我们是中小企业，去年算力服务费80万元，能补多少？", "模型券归哪个部门", "数据交易额300万元能拿多少奖励？",
             "新能源汽车补贴有多少", "这个政策什么时候开始施行？"]


def shipped_corpus(tmp_path: Path) -> Path:
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    shutil.copy(WUHAN, corpus_dir)
    shutil.copy(CORPUS_DIR / "policies.json", corpus_dir)
    return corpus_dir


def base_env(tmp_path: Path, node: str = "a", **extra) -> dict:
    return {"POLICY_INDEX_DIR": str(tmp_path / f"index-{node}"), "POLICY_DATA_DIR": str(tmp_path / f"data-{node}"),
            "POLICY_EMBEDDER": "hash", **extra}


def ask(url: str, question: str, conversation_id: str | None = None, client: httpx.Client | None = None) -> dict:
    body = {"question": question} | ({"conversation_id": conversation_id} if conversation_id else {})
    r = (client or httpx).post(url + "/api/ask", json=body, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_a_conversation_survives_a_server_restart(tmp_path):
    env = base_env(tmp_path)
    with app_server(env) as (url, _):
        first = ask(url, FIRST)
    with app_server(env) as (url, _):
        again = ask(url, FOLLOW_UP, first["conversation_id"])
    assert again["conversation_id"] == first["conversation_id"] and "市经信局" in again["answer"] and not again["refused"]


def on_fresh_connections(url: str, n: int, work) -> list:
    """Run ``work(client)`` on ``n`` new connections at once; concurrent accepts spread over the workers.
    Returns (worker pid, result) per connection."""
    from concurrent.futures import ThreadPoolExecutor

    def one(_):
        with httpx.Client(timeout=120) as c:
            pid = c.get(url + "/api/health").json()["worker"]
            return pid, work(c)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_two_workers_share_conversations_and_pick_up_an_admin_change(tmp_path):
    env = base_env(tmp_path, POLICY_CORPUS_DIR=str(shipped_corpus(tmp_path)), POLICY_ADMIN_TOKEN=TOKEN)
    with app_server(env, workers=2) as (url, _):
        cid = ask(url, FIRST)["conversation_id"]
        served_by: dict[int, int] = {}
        for _ in range(50):  # turns of one conversation, concurrently, on whichever worker accepts them
            for pid, answer in on_fresh_connections(url, 4, lambda c: ask(url, FOLLOW_UP, cid, client=c)):
                assert answer["conversation_id"] == cid and "市经信局" in answer["answer"], answer
                served_by[pid] = served_by.get(pid, 0) + 1
            if len(served_by) == 2 and min(served_by.values()) >= 2:
                break
        assert len(served_by) == 2, served_by

        r = httpx.post(url + "/api/admin/policies", files={"file": ("talent.md", TALENT.encode())}, data={"doc_id": "talent"},
                       headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)
        assert r.status_code == 200, r.text
        seen = set()
        for _ in range(50):
            for pid, (text, docs) in on_fresh_connections(url, 4, lambda c: (
                    c.get(url + "/api/clauses/talent:2.1").json().get("text"),
                    [d["id"] for d in c.get(url + "/api/documents").json()["documents"]])):
                assert text == "对博士给予每月3000元生活补贴。" and "talent" in docs
                seen.add(pid)
            if len(seen) == 2:
                break
        assert seen == set(served_by)


def test_two_nodes_on_postgresql_and_a_chroma_server_give_the_same_answers_and_share_conversations(tmp_path):
    corpus_dir = shipped_corpus(tmp_path)
    with postgres_server() as db_url, chroma_server(tmp_path / "chroma") as (chroma_url, _):
        shared = {"POLICY_DATABASE_URL": db_url, "POLICY_CHROMA_URL": chroma_url, "POLICY_CORPUS_DIR": str(corpus_dir),
                  "POLICY_ADMIN_TOKEN": TOKEN}
        with app_server(base_env(tmp_path, "a", **shared)) as (a, _), app_server(base_env(tmp_path, "b", **shared)) as (b, _):
            for url in (a, b):
                health = httpx.get(url + "/api/health").json()
                assert (health["storage"], health["status"]) == ("postgresql", "ok")
            for q in QUESTIONS:
                on_a, on_b = ask(a, q), ask(b, q)
                keys = ("answer", "citations", "calculations", "total_yuan", "refused", "degraded")
                assert {k: on_a[k] for k in keys} == {k: on_b[k] for k in keys}
                assert not on_a["degraded"]
            cid = ask(a, FIRST)["conversation_id"]
            on_b = ask(b, FOLLOW_UP, cid)
            assert on_b["conversation_id"] == cid and "市经信局" in on_b["answer"]
            assert ask(a, "能补多少？", cid)["citations"][0]["clause_id"] == "6.3"

            r = httpx.post(a + "/api/admin/policies", files={"file": ("talent.md", TALENT.encode())}, data={"doc_id": "talent"},
                           headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)
            assert r.status_code == 200, r.text
            assert httpx.get(b + "/api/clauses/talent:2.1").json()["text"] == "对博士给予每月3000元生活补贴。"
            audit = httpx.get(b + "/api/admin/audit", headers={"Authorization": f"Bearer {TOKEN}"}).json()["entries"]
            assert audit[0]["doc_id"] == "talent" and audit[0]["action"] == "added"
        b_manifest = json.loads((tmp_path / "index-b" / "active" / "manifest.json").read_text(encoding="utf-8"))
        assert b_manifest["embedded"] == 0  # node b adopted node a's vectors on the server instead of rebuilding them


def test_store_on_postgresql_keeps_versions_and_expiry(tmp_path, monkeypatch):
    from assistant import storage

    with postgres_server() as db_url:
        s = storage.open_store(tmp_path, db_url, conversation_ttl_s=3600)
        assert s.backend == "postgresql"
        assert s.save_conversation("c", {"turns": 1}, 0) and s.save_conversation("c", {"turns": 2}, 1)
        assert not s.save_conversation("c", {"turns": 9}, 1) and not s.save_conversation("c", {"turns": 9}, 0)
        assert s.load_conversation("c") == ({"turns": 2}, 2)
        fid = s.add_feedback(question="q", answer={"a": 1}, rating=1)
        assert [r["id"] for r in s.iter_feedback()] == [fid]
        now = time.time()
        monkeypatch.setattr(storage.time, "time", lambda: now + 3601)
        assert s.load_conversation("c") is None and s.purge_expired() == 1
        s.close()


def _raw_request(port: int, head: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(head.encode("latin-1"))
    return sock


def _read_status(sock: socket.socket) -> int:
    data = b""
    while b"\r\n" not in data:
        part = sock.recv(4096)
        if not part:
            break
        data += part
    return int(data.split(b" ", 2)[1])


def test_unauthenticated_chunked_upload_is_refused_before_its_body_is_sent(tmp_path):
    corpus_dir = shipped_corpus(tmp_path)
    with app_server(base_env(tmp_path, POLICY_CORPUS_DIR=str(corpus_dir), POLICY_ADMIN_TOKEN=TOKEN)) as (url, _):
        port = int(url.rsplit(":", 1)[1])
        sock = _raw_request(port, f"POST /api/admin/policies HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                                  "Content-Type: multipart/form-data; boundary=b\r\nTransfer-Encoding: chunked\r\n\r\n")
        assert _read_status(sock) == 401  # answered with no body byte sent (a 1 GB upload used to be read and written first)
        sock.close()
        assert sorted(p.name for p in corpus_dir.iterdir() if p.name != ".policies.lock") == sorted([WUHAN.name, "policies.json"])


def test_chunked_bodies_are_cut_off_on_the_wire_and_memory_stays_flat(tmp_path):
    with app_server(base_env(tmp_path)) as (url, proc):
        port = int(url.rsplit(":", 1)[1])
        ask(url, FIRST)  # warm
        before = rss_kb(proc.pid)
        for _ in range(4):
            sock = _raw_request(port, f"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n")
            chunk = b"x" * 65536
            sent = 0
            try:
                while sent < 100 * 1024 * 1024:  # offer up to 100 MB, as the probe did
                    sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    sent += len(chunk)
                    sock.settimeout(0.001)
                    try:
                        if sock.recv(1, socket.MSG_PEEK):
                            break
                    except (socket.timeout, BlockingIOError):
                        pass
                    finally:
                        sock.settimeout(10)
            except (BrokenPipeError, ConnectionResetError):
                pass
            assert _read_status(sock) == 413 and sent < 8 * 1024 * 1024, sent
            sock.close()
        assert rss_kb(proc.pid) - before < 100 * 1024
        assert os.path.exists(f"/proc/{proc.pid}")
