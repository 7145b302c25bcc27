import os
import signal
import subprocess
import sys

import pytest

from assistant.embedders import HashEmbedder
from assistant.errors import IndexStateError
from assistant.index import ACTIVE, active_manifest, build_index, ensure_index, fingerprint, fingerprint_id, open_built
from assistant.retrieval import HybridRetriever
from tests.helpers import ROOT


@pytest.fixture
def built(tmp_path, corpus):
    emb = HashEmbedder()
    return tmp_path, emb, build_index(tmp_path, corpus, emb)


def retriever_for(corpus, emb, b):
    return HybridRetriever(corpus, emb, b.store, b.keyword)


def test_build_writes_manifest_with_fingerprint(built, corpus):
    path, emb, b = built
    m = active_manifest(path)
    assert m["nodes"] == len(corpus.clauses) == 42
    assert m["fingerprint"]["embedder"] == "hash" and m["fingerprint_id"] == fingerprint_id(fingerprint(corpus, emb))
    assert (path / ACTIVE).is_symlink()


def test_one_node_per_clause_with_metadata(built, corpus):
    _, _, b = built
    got = b.store.collection.get(ids=["3.4"], include=["metadatas", "documents"])
    meta = got["metadatas"][0]
    assert meta["clause_id"] == "3.4" and meta["article"] == "夯实普惠高效算力支撑" and "市数据局" in meta["departments"]
    assert meta["status"] == "draft"
    assert got["documents"][0].endswith(corpus.get("3.4").text)


def test_exact_clause_ids_go_straight_to_the_clause(built, corpus):
    path, emb, b = built
    r = retriever_for(corpus, emb, b)
    for q in ("3.4", "第三条第四项", "3.4条是谁负责的", "附则第二项"):
        hit = r.search(q, 3)[0]
        assert "exact" in hit.sources
    assert r.search("3.4", 1)[0].clause.id == "3.4"
    assert r.search("附则第二项", 1)[0].clause.id == "附则.2"


def test_amounts_are_not_mistaken_for_clause_ids(built, corpus):
    _, emb, b = built
    r = retriever_for(corpus, emb, b)
    assert r.explicit_ids("交易额1.2亿元能奖多少") == []
    assert r.explicit_ids("费用3.5万元") == []


def test_bm25_scores_chinese(built, corpus):
    _, _, b = built
    results = b.keyword.search("流片", 3)
    assert results and results[0][0] == "7.3" and results[0][1] > 0


def test_matching_index_is_reused(built, corpus):
    path, emb, b = built
    messages = []
    again = ensure_index(path, corpus, emb, notify=messages.append)
    assert again.directory == b.directory and messages == []


def test_index_from_another_embedder_is_rebuilt(built, corpus):
    path, _, b = built
    other = HashEmbedder(dim=128)
    messages = []
    rebuilt = ensure_index(path, corpus, other, notify=messages.append)
    assert rebuilt.directory != b.directory
    assert "指纹不一致" in messages[0]
    with pytest.raises(IndexStateError):
        open_built(path, fingerprint_id(fingerprint(corpus, HashEmbedder())))


@pytest.mark.parametrize("victim", ["bm25.json", "manifest.json", "chroma/chroma.sqlite3"])
def test_corrupted_index_is_detected_and_rebuilt(built, corpus, victim):
    path, emb, b = built
    target = b.directory / victim
    with open(target, "r+b") as f:
        f.truncate(max(0, os.path.getsize(target) // 3))
    fp = fingerprint_id(fingerprint(corpus, emb))
    with pytest.raises(IndexStateError):
        open_built(path, fp)
    messages = []
    fixed = ensure_index(path, corpus, emb, notify=messages.append)
    assert messages and fixed.store.count() == 42
    assert retriever_for(corpus, emb, fixed).search("流片", 1)[0].clause.id == "7.3"


KILL_SCRIPT = r"""
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from assistant.corpus import load_corpus
from assistant.embedders import HashEmbedder
from assistant.index import build_index

class Slow(HashEmbedder):
    name = "hash"
    def embed_passages(self, texts):
        print("embedding", flush=True)
        time.sleep(0.5)
        return super().embed_passages(texts)

corpus = load_corpus(Path({root!r}) / "corpus")
build_index(Path({path!r}), corpus, Slow(dim=64), batch_size=4)
"""


def test_build_killed_midway_leaves_previous_index_serving(built, corpus):
    path, emb, b = built
    script = KILL_SCRIPT.format(root=str(ROOT), path=str(path))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "embedding"
    proc.stdout.readline()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    reopened = open_built(path, fingerprint_id(fingerprint(corpus, emb)))
    assert reopened.directory == b.directory
    assert retriever_for(corpus, emb, reopened).search("流片", 1)[0].clause.id == "7.3"
    # the half-built directory is left as *.tmp and is never made active
    assert any(p.name.endswith(".tmp") for p in (path / "builds").iterdir())
    ensure_index(path, corpus, emb)  # the next build cleans up
    build_index(path, corpus, emb)
    assert not any(p.name.endswith(".tmp") for p in (path / "builds").iterdir())


def test_llama_retriever_face(built, corpus):
    from llama_index.core.schema import QueryBundle

    from assistant.llama_adapter import LlamaHybridRetriever

    _, emb, b = built
    nodes = LlamaHybridRetriever(retriever_for(corpus, emb, b), k=3).retrieve(QueryBundle("首版次软件"))
    assert nodes[0].node.metadata["clause_id"] == "7.3" and nodes[0].score > 0


def test_empty_query_is_refused(built, corpus):
    from assistant.errors import EmptyQueryError

    _, emb, b = built
    with pytest.raises(EmptyQueryError):
        retriever_for(corpus, emb, b).search("   ")
