"""BM25 over jieba tokens (bm25s), persisted beside the vectors.

Owns the keyword half of hybrid retrieval. llama-index's stock ``BM25Retriever``
tokenises Chinese into whole sentences (it ignores ``tokenizer=``) and scores 0 on
Chinese, so we drive bm25s directly with our own tokens.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

from assistant.text import tokenize


class KeywordIndex:
    """BM25 over pre-tokenised clauses. Persisted as tokens (JSON); the sparse matrix is
    rebuilt on load, which takes milliseconds and avoids bm25s vocabulary round-trip issues."""

    def __init__(self, ids: list[str], tokens: list[list[str]]) -> None:
        import bm25s

        self.ids = list(ids)
        self.tokens = tokens
        self._bm25 = bm25s.BM25(k1=1.2, b=0.75)
        self._bm25.index(_to_bm25s(tokens), show_progress=False)
        self._vocab = self._bm25.vocab_dict

    @cached_property
    def doc_freq(self) -> dict[str, int]:
        """In how many nodes each token occurs (answer scope checks use it)."""
        df: dict[str, int] = {}
        for toks in self.tokens:
            for t in set(toks):
                df[t] = df.get(t, 0) + 1
        return df

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> "KeywordIndex":
        return cls(ids, [tokenize(t) for t in texts])

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        payload = {"ids": self.ids, "tokens": self.tokens}
        (directory / "bm25.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "KeywordIndex":
        payload = json.loads((directory / "bm25.json").read_text(encoding="utf-8"))
        if len(payload["ids"]) != len(payload["tokens"]):
            raise ValueError("bm25.json: ids and tokens differ in length")
        return cls(payload["ids"], payload["tokens"])

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """(clause id, BM25 score) best first; only positive scores."""
        import numpy as np

        ids = [self._vocab[t] for t in tokenize(query) if t in self._vocab]
        if not ids:
            return []
        scores = np.asarray(self._bm25.get_scores(ids), dtype=float)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top])]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]


def _to_bm25s(corpus_tokens: list[list[str]]):
    """bm25s wants token ids + vocab; build them from our own tokens."""
    import bm25s

    vocab: dict[str, int] = {}
    ids = []
    for toks in corpus_tokens:
        row = []
        for t in toks:
            if t not in vocab:
                vocab[t] = len(vocab)
            row.append(vocab[t])
        ids.append(row)
    return bm25s.tokenization.Tokenized(ids=ids, vocab=vocab)
