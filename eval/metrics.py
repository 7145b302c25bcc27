"""Retrieval metrics over qrels: recall@k, hit@k, MRR. Pure functions."""

from __future__ import annotations

import json
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent


def load_queries(path: Path = EVAL_DIR / "retrieval" / "queries.jsonl") -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_qrels(path: Path = EVAL_DIR / "retrieval" / "qrels.tsv", min_rel: int = 2) -> dict[str, set[str]]:
    """qid → relevant clause ids (relevance ≥ ``min_rel``)."""
    out: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        qid, _, cid, rel = line.split("\t")
        if int(rel) >= min_rel:
            out.setdefault(qid, set()).add(cid)
    return out


def recall_at(ranked: list[str], relevant: set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: list[str], relevant: set[str]) -> float:
    for i, cid in enumerate(ranked, start=1):
        if cid in relevant:
            return 1.0 / i
    return 0.0


def summarize(runs: dict[str, list[str]], qrels: dict[str, set[str]]) -> dict[str, float]:
    """Mean recall@1/3/5 and MRR over the queries that have qrels."""
    qids = [q for q in runs if q in qrels]
    n = len(qids) or 1
    return {
        "recall@1": sum(recall_at(runs[q], qrels[q], 1) for q in qids) / n,
        "recall@3": sum(recall_at(runs[q], qrels[q], 3) for q in qids) / n,
        "recall@5": sum(recall_at(runs[q], qrels[q], 5) for q in qids) / n,
        "mrr": sum(reciprocal_rank(runs[q], qrels[q]) for q in qids) / n,
        "queries": len(qids),
    }


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    idx = min(len(s) - 1, max(0, int(round(p / 100 * (len(s) - 1)))))
    return s[idx]
