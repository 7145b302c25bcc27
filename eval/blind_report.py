"""Blind-first against final, per blind set, from the recorded results in ``eval/blind/results/``.

Every blind set was scored once before any fix it could prompt (blind-first); the final score is the
recorded run after the last engine change. This script only reads those files: it re-runs nothing, so
the held-out round 2 is not scored again by writing the docs.

    .venv/bin/python eval/blind_report.py --out docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "eval" / "blind" / "results"

# (round, set, blind-first file, final file)
SETS = [
    ("1 (dev)", "w1-talent", "blind-first-baseline-939e4ed.json", "final-9ecdfe9-round1.json"),
    ("1 (dev)", "w2-manufacturing", "blind-first-baseline-939e4ed-w2.json", "final-9ecdfe9-round1.json"),
    ("1 (dev)", "w3-lowalt", "blind-first-baseline-939e4ed.json", "final-9ecdfe9-round1.json"),
    ("1 (dev)", "w4-sme", "blind-first-baseline-939e4ed.json", "final-9ecdfe9-round1.json"),
    ("1 (dev)", "w5-shipped", "blind-first-baseline-939e4ed.json", "final-9ecdfe9-round1.json"),
    ("3 (dev)", "r3-techinno", "r3-blind-first-r3-techinno-c11746b.json", "final-9ecdfe9-round3.json"),
    ("3 (dev)", "r3-agri", "r3-blind-first-r3-agri-6f52f73.json", "final-9ecdfe9-round3.json"),
    ("3 (dev)", "r3-commerce", "r3-blind-first-r3-commerce-09d0069.json", "final-9ecdfe9-round3.json"),
    ("4 (dev)", "r4-culture", "r4-blind-first-r4-culture-7d39bc3.json", "final-9ecdfe9-round4.json"),
    ("4 (dev)", "r4-biomed", "r4-blind-first-r4-biomed-7d39bc3.json", "final-9ecdfe9-round4.json"),
    ("5 (dev)", "r5-logistics", "r5-blind-first-r5-logistics-2a81556.json", "final-9ecdfe9-round5.json"),
    ("5 (dev)", "r5-hq", "r5-blind-first-r5-hq-2a81556.json", "final-9ecdfe9-round5.json"),
    ("2 (held out)", "r2-greenenergy", "r2-blind-first-baseline-939e4ed.json", "r2-final-9ecdfe9.json"),
    ("2 (held out)", "r2-digitaltrade", "r2-blind-first-baseline-939e4ed.json", "r2-final-9ecdfe9.json"),
]
METRICS = [("amount exact (all)", "amount_exact"), ("amount exact (computable)", "amount_exact_computable"),
           ("citation hit@3", "citation_hit@3"), ("no false refusal", "no_false_refusal"),
           ("out-of-scope refused", "out_of_scope_refused"), ("right document", "right_document"),
           ("no unsupported amount", "no_unsupported_amount")]


def _cell(metrics: dict, key: str) -> str:
    v = metrics.get(key)
    return f"{v[0]:.3f}" if v else "–"


def _loaded(metrics: dict) -> bool:
    """The document was added at all (the baseline could not parse most layouts: every question refused)."""
    return "add_error" not in metrics and bool(metrics.get("right_document"))


def render() -> str:
    cache: dict[str, dict] = {}

    def load(name: str) -> dict:
        if name not in cache:
            cache[name] = json.loads((RESULTS / name).read_text(encoding="utf-8"))
        return cache[name]

    lines = ["Blind-first (before any fix the set could prompt) → final (after the last engine change), per set. "
             "Read from `eval/blind/results/` by `.venv/bin/python eval/blind_report.py --out docs/benchmarks.md`.", "",
             "| round | set | added at blind-first | " + " | ".join(label for label, _ in METRICS) + " |",
             "|---|---|---|" + "---|" * len(METRICS)]
    for rnd, name, first, final in SETS:
        a, b = load(first)["metrics"].get(name, {}), load(final)["metrics"][name]
        cells = [f"{_cell(a, k)} → **{_cell(b, k)}**" for _, k in METRICS]
        lines.append(f"| {rnd} | {name} | {'yes' if _loaded(a) else 'no: add failed'} | " + " | ".join(cells) + " |")
    lines += ["", "Where `add` failed at blind-first every question was refused, so out-of-scope refusal was 1.0 for free; "
              "the final out-of-scope figures are the real ones."]
    cov: dict[str, dict] = {}
    for _, name, _, final in SETS:
        cov.update({k: v for k, v in load(final).get("coverage", {}).items() if k == name})
    if cov:
        cols = ["clauses", "rules", "computable", "shared_cap", "modifier", "review", "no_figure", "none"]
        lines += ["", "Rule coverage of each set's document at the final run (`rules --doc` lists it clause by clause):", "",
                  "| set | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
        lines += [f"| {n} | " + " | ".join(str(c.get(k, 0)) for k in cols) + " |" for n, c in cov.items()]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    text = render()
    print(text)
    if args.out:
        sys.path.insert(0, str(ROOT))
        from eval.run_retrieval import write_section

        write_section(args.out, "blind", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
