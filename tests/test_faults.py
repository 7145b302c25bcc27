"""Faults while the app runs: corrupted index files, a Chroma server that goes away."""

import time

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_api
from assistant.index import fingerprint, fingerprint_id, open_built
from assistant.service import build_service
from assistant.settings import load_settings
from tests.helpers import chroma_server, free_port

Q = "我们是中小企业，去年算力服务费80万元，能补多少？"


def test_missing_index_is_built_on_start(tmp_path):
    service = build_service(load_settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data", embedder="hash"), quiet=True)
    assert service.index_info["nodes"] == 42 and service.ask(Q).total_yuan == 200000


def test_corrupted_index_while_running_keeps_answering_and_is_repaired(tmp_path):
    settings = load_settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data", embedder="hash")
    service = build_service(settings, quiet=True)
    built_dir = (tmp_path / "index" / "active").resolve()
    service.engine.retriever.store.collection = None  # the live handle breaks as a corrupted store would
    (built_dir / "chroma" / "chroma.sqlite3").write_bytes(b"garbage")
    a = service.ask(Q)
    assert a.total_yuan == 200000 and a.citations[0].clause_id == "3.4" and a.degraded
    deadline = time.time() + 60
    while time.time() < deadline and service.engine.retriever.store.collection is None:
        time.sleep(0.2)
    fp = fingerprint_id(fingerprint(service.corpus, service.engine.retriever.embedder))
    assert open_built(tmp_path / "index", fp).store.count() == 42
    assert not service.ask(Q).degraded


@pytest.mark.integration
def test_chroma_server_down_is_visible_in_api_and_recovers(tmp_path):
    port = free_port()
    with chroma_server(tmp_path / "server", port) as (url, _):
        settings = load_settings(index_dir=tmp_path / "index", data_dir=tmp_path / "data", embedder="hash", chroma_url=url)
        client = TestClient(create_api(build_service(settings, quiet=True)))
        ok = client.post("/api/ask", json={"question": Q}).json()
        assert ok["degraded"] is False and ok["total_yuan"] == 200000
    down = client.post("/api/ask", json={"question": Q}).json()
    assert down["degraded"] is True and down["total_yuan"] == 200000 and down["citations"][0]["clause_id"] == "3.4"
    assert client.get("/api/health").json()["status"] == "degraded"
    with chroma_server(tmp_path / "server", port):
        assert client.post("/api/ask", json={"question": Q}).json()["degraded"] is False
        assert client.get("/api/health").json()["status"] == "ok"
