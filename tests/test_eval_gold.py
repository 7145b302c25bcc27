"""Regression guards on the tuned gold sets (the product's default pipeline, no LLM).

These sets were written before and while the code was tuned on them, so their thresholds sit a
little under today's scores: they catch regressions, they do not estimate quality. The CI gates on
quality are on the frozen blind sets (``tests/test_eval_blind.py``)."""

import pytest

from eval.run_answers import evaluate, load_cases

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def answer_metrics(default_engine):
    return evaluate(default_engine, load_cases())


def test_answer_gold_set_is_large_enough():
    cases = load_cases()
    cats = [c["category"] for c in cases]
    assert len(cases) >= 100
    assert cats.count("out_of_scope") >= 15 and cats.count("injection") >= 10 and cats.count("conversation") >= 15


def test_amounts_are_exact_on_the_gold_set(answer_metrics):
    metrics, failures = answer_metrics
    assert metrics["amount_exact"] >= 0.92, [f for f in failures if "amount_exact" in f["failed"]]


def test_refusals_are_exact_on_the_gold_set(answer_metrics):
    metrics, failures = answer_metrics
    assert metrics["refusal"] >= 0.94, [f for f in failures if "refusal" in f["failed"]]
    assert metrics["refusal_precision"] >= 0.90  # a refusal of a covered question is the costly error


def test_citation_hit_at_3(answer_metrics):
    metrics, failures = answer_metrics
    assert metrics["citation_hit@3"] >= 0.94, [f for f in failures if "citation_hit@3" in f["failed"]]


def test_no_number_outside_sources(answer_metrics):
    assert answer_metrics[0]["no_unsourced_numbers"] == 1.0


def test_hybrid_retrieval_recall_at_3_meets_target(default_engine):
    from eval.metrics import load_qrels, load_queries, summarize

    queries, qrels = load_queries(), load_qrels()
    assert len(queries) >= 120
    runs = {q["qid"]: [h.clause.id for h in default_engine.retriever.search(q["query"], 10)] for q in queries}
    m = summarize(runs, qrels)
    assert m["recall@3"] >= 0.95 and m["mrr"] >= 0.90, m
