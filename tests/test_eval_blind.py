"""CI gates on the frozen blind sets: documents and questions written by helpers who never read the code.

Five rounds, each written by helpers briefed with the policy-writing format only (``eval/blind/FORMAT.md``):

* Round 1 (``eval/blind/``), round 3 (``eval/blind-r3/``), round 4 (``eval/blind-r4/``) and round 5 (``eval/blind-r5/``) were scored
  once against the code of the
  day before any fix (the blind-first scores, ``eval/blind/results/`` and ``docs/benchmarks.md``) and
  have been used for development since. Their gates sit a small margin under today's measured scores:
  they catch a regression; they say nothing about unseen policies.
* Round 2 (``eval/blind-r2/``) was never used for development: it was scored blind-first and then only
  as aggregates after the last engine changes (``eval/blind/results/r2-final-*.json``), never per case. Its gates are
  the honest estimate of how the product does on a policy it has never seen.

Thresholds fail the build on a regression; they are not targets. ``eval/FROZEN.sha256`` pins every file
of every set, so a set cannot be edited to pass.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from eval.run_blind import build_corpus, evaluate, load_set, open_engine

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = {
    "blind": ["w1-talent", "w2-manufacturing", "w3-lowalt", "w4-sme", "w5-shipped"],
    "blind-r3": ["r3-techinno", "r3-agri", "r3-commerce"],
    "blind-r2": ["r2-greenenergy", "r2-digitaltrade"],
    "blind-r4": ["r4-culture", "r4-biomed"],
    "blind-r5": ["r5-logistics", "r5-hq"],
}
FOLDER = {name: ROOT / "eval" / rnd / name for rnd, names in ROUNDS.items() for name in names}

# metric → minimum, per set: today's measured score minus a margin (measured scores: docs/benchmarks.md)
GATES = {
    # round 1 (measured 2026-11-30 at 9ecdfe9: amount 0.961 / 0.917 / 0.797 / 0.766 / 0.853, citation 0.940 / 0.970 / 0.872 / 0.989 / 0.952,
    # out-of-scope refused 0.857 / 1.000 / 1.000 / 1.000 / 1.000)
    "w1-talent": {"amount_exact": 0.92, "citation_hit@3": 0.90, "no_false_refusal": 0.97, "right_document": 0.95, "lookup": 0.9,
                  "out_of_scope_refused": 0.7},
    "w2-manufacturing": {"amount_exact": 0.88, "citation_hit@3": 0.92, "no_false_refusal": 0.97, "right_document": 0.95,
                         "lookup": 0.85, "out_of_scope_refused": 0.85},
    "w3-lowalt": {"amount_exact": 0.76, "citation_hit@3": 0.83, "no_false_refusal": 0.97, "right_document": 0.95, "lookup": 0.9,
                  "out_of_scope_refused": 0.85},
    "w4-sme": {"amount_exact": 0.71, "citation_hit@3": 0.94, "no_false_refusal": 0.97, "right_document": 0.93, "lookup": 0.9,
               "out_of_scope_refused": 0.85},
    "w5-shipped": {"amount_exact": 0.81, "citation_hit@3": 0.92, "no_false_refusal": 0.97, "right_document": 0.98,
                   "out_of_scope_refused": 0.95},
    # round 3 (measured 2026-11-30 at 9ecdfe9: amount 0.739 / 0.815 / 0.735, citation 0.859 / 0.981 / 0.928,
    # out-of-scope refused 1.000 / 1.000 / 1.000; 农业 meets all four bars of issue 10: citation ≥ 0.95, no false refusal,
    # every out-of-scope question refused, every answer from the right document)
    # (r3-tech-090 states an amount for a table cell "—" when round 1's documents were loaded before in the same process:
    # the derived lexicon depends on jieba's process-wide dictionary; a follow-up)
    "r3-techinno": {"amount_exact": 0.69, "citation_hit@3": 0.80, "no_false_refusal": 0.97, "right_document": 0.95,
                    "no_unsupported_amount": 0.85, "out_of_scope_refused": 0.92, "lookup": 0.9},
    "r3-agri": {"amount_exact": 0.76, "citation_hit@3": 0.95, "no_false_refusal": 0.99, "right_document": 0.99,
                "no_unsupported_amount": 0.95, "out_of_scope_refused": 0.91, "lookup": 0.7},
    "r3-commerce": {"amount_exact": 0.69, "citation_hit@3": 0.88, "no_false_refusal": 0.97, "right_document": 0.95,
                    "no_unsupported_amount": 0.95, "out_of_scope_refused": 0.92, "lookup": 0.9},
    # round 4 (blind-first at 7d39bc3: amount 0.347 / 0.467, citation 0.685 / 0.857; measured at the last change:
    # amount 0.486 / 0.560, citation 0.764 / 0.917, out-of-scope refused 0.771 / 0.833, at 9ecdfe9)
    "r4-culture": {"amount_exact": 0.44, "citation_hit@3": 0.71, "no_false_refusal": 0.93, "right_document": 0.96,
                   "no_unsupported_amount": 0.95, "out_of_scope_refused": 0.71, "lookup": 0.9},
    "r4-biomed": {"amount_exact": 0.51, "citation_hit@3": 0.87, "no_false_refusal": 0.94, "right_document": 0.95,
                  "no_unsupported_amount": 0.95, "out_of_scope_refused": 0.77, "lookup": 0.85},
    # round 5 (blind-first at 2a81556: amount 0.333 / 0.312, citation 0.627 / 0.709, out-of-scope refused 0.480 / 0.480;
    # measured at the last change: amount 0.406 / 0.506, citation 0.686 / 0.778, out-of-scope refused 0.960 / 0.760, at 9ecdfe9)
    "r5-logistics": {"amount_exact": 0.36, "citation_hit@3": 0.64, "no_false_refusal": 0.96, "right_document": 0.96,
                     "no_unsupported_amount": 0.8, "out_of_scope_refused": 0.88, "lookup": 0.85},
    "r5-hq": {"amount_exact": 0.45, "citation_hit@3": 0.73, "no_false_refusal": 0.93, "right_document": 0.96,
              "no_unsupported_amount": 0.95, "out_of_scope_refused": 0.68, "lookup": 0.65},
    # round 2, held out (eval/blind/results/r2-final-9ecdfe9.json: amount 0.569 / 0.404, citation 0.756 / 0.889,
    # no false refusal 0.978 / 0.933, out-of-scope refused 0.714 / 1.000; 绿色能源 was 0.857 at 072b39c: one out-of-scope
    # question more is answered since c836993, cause not looked for on the held-out set)
    "r2-greenenergy": {"amount_exact": 0.51, "citation_hit@3": 0.71, "no_false_refusal": 0.95, "right_document": 0.96,
                       "no_unsupported_amount": 0.95, "out_of_scope_refused": 0.71, "lookup": 0.9},
    "r2-digitaltrade": {"amount_exact": 0.36, "citation_hit@3": 0.87, "no_false_refusal": 0.92, "right_document": 0.90,
                        "no_unsupported_amount": 0.95, "out_of_scope_refused": 0.85, "lookup": 0.9},
}


@pytest.fixture(scope="module")
def blind_results(tmp_path_factory):
    cache: dict[str, tuple[dict, list[dict]]] = {}

    def run(name: str):
        if name not in cache:
            folder = FOLDER[name]
            meta, cases = load_set(folder)
            tmp = tmp_path_factory.mktemp(name)
            corpus_dir, errors = build_corpus(tmp, [(folder, meta)])
            assert not errors, errors
            engine = open_engine(corpus_dir, tmp / "index", "use")
            cache[name] = evaluate(engine, cases, errors)
        return cache[name]

    return run


@pytest.mark.parametrize("name", list(FOLDER))
def test_blind_set_meets_its_gates(blind_results, name):
    metrics, failures = blind_results(name)
    assert GATES[name], f"{name} has no gates"
    for key, minimum in GATES[name].items():
        value = metrics[key][0]
        assert value >= minimum, (name, key, value, [f["id"] for f in failures if key in f["failed"]][:20])


@pytest.mark.parametrize("name", list(FOLDER))
def test_blind_set_is_large_enough_and_written_blind(name):
    meta, cases = load_set(FOLDER[name])
    amount = [c for c in cases if "total_yuan" in c.get("expect", {})]
    assert len(cases) >= 100 and len(amount) >= 40
    assert meta["writer"].startswith("blind helper")


def _digests() -> dict[str, str]:
    out = {}
    for folder in FOLDER.values():
        for f in sorted(folder.rglob("*")):
            if f.is_file():
                out[f.relative_to(ROOT).as_posix()] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def test_blind_sets_are_frozen():
    """Every file of every set is pinned: a question or a document edited after scoring fails here."""
    pinned = dict(line.split("  ", 1)[::-1] for line in (ROOT / "eval" / "FROZEN.sha256").read_text().splitlines() if line)
    now = _digests()
    assert set(now) == set(pinned), sorted(set(now) ^ set(pinned))
    changed = [p for p in now if now[p] != pinned[p]]
    assert not changed, changed


if __name__ == "__main__":  # regenerate the pin list (only when a new set is added)
    print("\n".join(f"{h}  {p}" for p, h in _digests().items()))
