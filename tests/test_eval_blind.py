"""CI gates on the frozen blind sets: documents and questions written by helpers who never read the code.

Round 1 (``eval/blind/``) was scored once against the baseline before any fix (``docs/benchmarks.md``);
it has been used for development since, so these thresholds sit under today's measured scores. The
round-2 sets (``eval/blind-r2/``) were never used for development: they were scored once blind and then
only as totals. Thresholds fail the build on a regression; they are not targets.
"""

from pathlib import Path

import pytest

from eval.run_blind import build_corpus, evaluate, load_set, open_engine

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
ROUND1 = ["w1-talent", "w2-manufacturing", "w3-lowalt", "w4-sme", "w5-shipped"]
ROUND2 = ["r2-greenenergy", "r2-digitaltrade"]

# metric → minimum, per set (today's score minus a margin; see docs/benchmarks.md for the scores)
GATES = {
    "w1-talent": {"amount_exact": 0.60, "citation_hit@3": 0.85, "no_false_refusal": 0.97, "right_document": 0.93, "lookup": 0.9},
    "w2-manufacturing": {"amount_exact": 0.50, "citation_hit@3": 0.80, "no_false_refusal": 0.97, "right_document": 0.95, "lookup": 0.85},
    "w3-lowalt": {"amount_exact": 0.54, "citation_hit@3": 0.80, "no_false_refusal": 0.97, "right_document": 0.95, "lookup": 0.9},
    "w4-sme": {"amount_exact": 0.50, "citation_hit@3": 0.88, "no_false_refusal": 0.96, "right_document": 0.93, "lookup": 0.9},
    "w5-shipped": {"amount_exact": 0.75, "citation_hit@3": 0.90, "no_false_refusal": 0.96, "right_document": 0.98,
                   "out_of_scope_refused": 0.80},
}


@pytest.fixture(scope="module")
def blind_results(tmp_path_factory):
    out = {}
    for name in ROUND1:
        folder = ROOT / "eval" / "blind" / name
        meta, cases = load_set(folder)
        tmp = tmp_path_factory.mktemp(name)
        corpus_dir, errors = build_corpus(tmp, [(folder, meta)])
        assert not errors, errors
        engine = open_engine(corpus_dir, tmp / "index", "use")
        out[name] = evaluate(engine, cases, errors)
    return out


@pytest.mark.parametrize("name", ROUND1)
def test_blind_set_meets_its_gates(blind_results, name):
    metrics, failures = blind_results[name]
    for key, minimum in GATES[name].items():
        value = metrics[key][0]
        assert value >= minimum, (name, key, value, [f["id"] for f in failures if key in f["failed"]][:20])


@pytest.mark.parametrize("name", ROUND1 + ROUND2)
def test_blind_set_is_frozen_and_large_enough(name):
    folder = ROOT / "eval" / ("blind" if name in ROUND1 else "blind-r2") / name
    meta, cases = load_set(folder)
    amount = [c for c in cases if "total_yuan" in c.get("expect", {})]
    assert len(cases) >= 100 and len(amount) >= 40
    assert meta["writer"].startswith("blind helper")
