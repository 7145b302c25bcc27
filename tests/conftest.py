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
