"""Calibrate the scope decision (answer / maybe / refuse) on labelled questions, and report the trade-off.

    .venv/bin/python eval/calibrate_scope.py [--out docs/benchmarks.md] [--apply]

Questions come from every single-turn case with an expected ``refused`` in the tuned gold sets and the
round-1, round-3 and round-4 blind sets, each scored in the corpus it was written for (the shipped policy
alone for the shipped-policy sets; the shipped policy plus the documents of that round for the others). For every
question it records the evidence ``scope.evidence`` computes (lexicon coverage, dense similarity),
then searches the thresholds of ``scope.Thresholds`` for the fewest false refusals first and the
most out-of-scope questions refused second. It prints the trade-off table (false refusals against
out-of-scope questions answered or "maybe"), and the chosen values; ``--apply`` writes them into
``assistant/scope.py``. The round-2 blind sets are never used here: they stay held out.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHIPPED_SETS = [ROOT / "eval/answers/gold.jsonl", ROOT / "eval/answers/holdout.jsonl", ROOT / "eval/blind/w5-shipped/cases.jsonl"]
MULTI_SETS = ["w1-talent", "w2-manufacturing", "w3-lowalt", "w4-sme"]
# development rounds, each scored in one corpus of its documents and the shipped policy
ROUND_SETS = {"round3": ["blind-r3/r3-techinno", "blind-r3/r3-agri", "blind-r3/r3-commerce"],
              "round4": ["blind-r4/r4-culture", "blind-r4/r4-biomed"]}


def _cases(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def collect() -> list[tuple[bool, object, str, str]]:
    """(should refuse, Evidence, question, set) for every labelled single-turn question."""
    from assistant.pipeline import clean_question, strip_markup
    from assistant.scope import evidence
    from assistant.understand import understand
    from eval.run_blind import build_corpus, load_set, open_engine

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        groups = [("shipped", [], SHIPPED_SETS)]
        blind = [(ROOT / "eval/blind" / name) for name in MULTI_SETS]
        groups.append(("multi", [(p, load_set(p)[0]) for p in blind], [p / "cases.jsonl" for p in blind]))
        for rnd, names in ROUND_SETS.items():
            folders = [ROOT / "eval" / name for name in names]
            groups.append((rnd, [(p, load_set(p)[0]) for p in folders], [p / "cases.jsonl" for p in folders]))
        for name, docs, sets in groups:
            corpus_dir, errors = build_corpus(Path(tmp) / name, docs)
            if errors:
                raise SystemExit(f"cannot load {errors}")
            engine = open_engine(corpus_dir, Path(tmp) / f"{name}-index", "use")
            active = {d.id for d in engine.corpus.documents if engine.corpus.is_active(d.id)}
            for path in sets:
                for c in _cases(path):
                    if c.get("category") == "lookup" or len(c.get("turns") or []) != 1 or "refused" not in c.get("expect", {}):
                        continue
                    q = strip_markup(clean_question(c["turns"][0]))
                    u = understand(q, engine.lexicon)
                    hits, _ = engine.retriever.search_ex(q, 20)
                    hits = [h for h in hits if h.clause.doc_id in active][:12]
                    ev = evidence(u, hits, engine.lexicon, engine.corpus, active)
                    rows.append((bool(c["expect"]["refused"]), ev, q, path.parent.name if path.name == "cases.jsonl" else path.stem))
    return rows


def score(rows, th) -> dict:
    from assistant.scope import judge

    fr = maybe_cov = oos_ans = oos_maybe = oos_ref = 0
    for should_refuse, ev, _, _ in rows:
        d = judge(ev, th)
        if should_refuse:
            oos_ref += d == "refuse"
            oos_maybe += d == "maybe"
            oos_ans += d == "answer"
        else:
            fr += d == "refuse"
            maybe_cov += d == "maybe"
    n_oos = sum(r[0] for r in rows)
    return {"false_refusals": fr, "covered": len(rows) - n_oos, "covered_maybe": maybe_cov, "oos": n_oos, "oos_refused": oos_ref,
            "oos_maybe": oos_maybe, "oos_answered": oos_ans}


def grid(rows):
    from assistant.scope import Thresholds

    best = None
    table = []
    for sw, ta, tm, da, dm in itertools.product((1.0, 1.5, 2.0, 3.0), (-1.0, 0.0, 1.0), (-4.0, -3.0, -2.0, -1.0),
                                                  (0.40, 0.45, 0.50, 0.55), (0.25, 0.30, 0.35, 0.40)):
        if tm > ta or dm > da:
            continue
        th = Thresholds(strong_weight=sw, answer_evidence=ta, maybe_evidence=tm, dense_answer=da, dense_maybe=dm)
        s = score(rows, th)
        key = (s["false_refusals"], -s["oos_refused"], s["covered_maybe"])
        table.append((key, th, s))
        if best is None or key < best[0]:
            best = (key, th, s)
    return best, table


def render(rows, best, table) -> str:
    key, th, s = best
    # the trade-off: for each number of false refusals allowed, the most out-of-scope refused
    frontier = {}
    for k, t, sc in table:
        fr = sc["false_refusals"]
        if fr not in frontier or sc["oos_refused"] > frontier[fr][1]["oos_refused"]:
            frontier[fr] = (t, sc)
    lines = [f"Scope calibration: {len(rows)} labelled single-turn questions ({s['covered']} covered, {s['oos']} out of scope; "
             "gold, held-out, round-1, round-3 and round-4 blind sets). Command: `.venv/bin/python eval/calibrate_scope.py`.", "",
             "| false refusals allowed | out-of-scope refused | out-of-scope → 可能相关 | out-of-scope answered | covered → 可能相关 |",
             "|---|---|---|---|---|"]
    for fr in sorted(frontier)[:6]:
        t, sc = frontier[fr]
        lines.append(f"| {fr} / {sc['covered']} | {sc['oos_refused']} / {sc['oos']} | {sc['oos_maybe']} | {sc['oos_answered']} | {sc['covered_maybe']} |")
    lines += ["", f"Chosen (fewest false refusals, then most refusals of out-of-scope questions): `{asdict(th)}`."]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path)
    ap.add_argument("--apply", action="store_true", help="write the chosen thresholds into assistant/scope.py")
    ap.add_argument("--show", action="store_true", help="print every misjudged question")
    args = ap.parse_args(argv)
    rows = collect()
    best, table = grid(rows)
    text = render(rows, best, table)
    print(text)
    if args.show:
        from assistant.scope import judge

        for should_refuse, ev, q, name in rows:
            d = judge(ev, best[1])
            if (d == "refuse") != should_refuse:
                print("OOS" if should_refuse else "COV", d, name, q[:50], {k: v for k, v in asdict(ev).items() if k != "features"})
    if args.apply:
        path = ROOT / "assistant" / "scope.py"
        src = path.read_text(encoding="utf-8")
        new = re.sub(r"CALIBRATED = Thresholds\([^)]*\)", f"CALIBRATED = Thresholds(**{asdict(best[1])!r})", src)
        path.write_text(new, encoding="utf-8")
    if args.out:
        from eval.run_retrieval import write_section

        write_section(args.out, "scope", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
