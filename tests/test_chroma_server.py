"""Server mode: the same index and retrieval against a real `chroma run` process on loopback."""

import pytest

from assistant.embedders import HashEmbedder
from assistant.index import build_index, ensure_index, fingerprint, fingerprint_id, open_built
from assistant.retrieval import HybridRetriever
from tests.helpers import chroma_server, free_port

pytestmark = pytest.mark.integration


def test_build_and_search_against_a_chroma_server(tmp_path, corpus):
    emb = HashEmbedder()
    with chroma_server(tmp_path / "server") as (url, _):
        built = build_index(tmp_path / "index", corpus, emb, chroma_url=url)
        assert built.manifest["chroma_url"] == url
        assert not (built.directory / "chroma").exists()  # vectors live on the server
        r = HybridRetriever(corpus, emb, built.store, built.keyword)
        assert r.search("3.4", 1)[0].clause.id == "3.4"
        assert r.search("首版次软件", 3)[0].clause.id == "7.3"
        again = ensure_index(tmp_path / "index", corpus, emb, chroma_url=url)
        assert again.directory == built.directory


def test_server_down_degrades_to_keywords_and_recovers(tmp_path, corpus):
    emb = HashEmbedder()
    port = free_port()
    with chroma_server(tmp_path / "server", port) as (url, _):
        built = build_index(tmp_path / "index", corpus, emb, chroma_url=url)
        r = HybridRetriever(corpus, emb, built.store, built.keyword)
        hits, degraded = r.search_ex("流片", 3)
        assert not degraded and "dense" in hits[0].sources
    hits, degraded = r.search_ex("流片", 3)  # server stopped
    assert degraded and hits[0].clause.id == "7.3" and hits[0].sources == ("bm25",)
    with chroma_server(tmp_path / "server", port):
        hits, degraded = r.search_ex("流片", 3)
        assert not degraded and "dense" in hits[0].sources
        assert open_built(tmp_path / "index", fingerprint_id(fingerprint(corpus, emb))).store.count() == 42
