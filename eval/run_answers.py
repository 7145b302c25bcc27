"""Answer benchmark over the hand-written gold set ``eval/answers/gold.jsonl``.

    .venv/bin/python eval/run_answers.py [--out docs/benchmarks.md] [--show-failures]

Reports citation hit@3, amount exact-match, refusal precision/recall/accuracy,
no-number-outside-sources rate, department accuracy, asks/mentions checks and warm
latency per question (p50/p95) with the default engine, no LLM.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval.metrics import percentile  # noqa: E402

GOLD = ROOT / "eval" / "answers" / "gold.jsonl"


def load_cases(path: Path = GOLD) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def check_case(case: dict, answer) -> dict[str, bool]:
    """Each applicable check → passed?"""
    from assistant.verify import sources_for, verify

    exp = case["expect"]
    d = answer.to_dict()
    cites = [c["clause_id"] for c in d["citations"]]
    text = d["answer"] + "\n" + "\n".join(d["notes"])
    out: dict[str, bool] = {}
    if "refused" in exp:
        out["refusal"] = d["refused"] == exp["refused"]
    if exp.get("citations_include"):
        out["citation_hit@3"] = all(c in cites[:3] for c in exp["citations_include"])
    if "total_yuan" in exp or "amounts" in exp:
        ok = True
        if "total_yuan" in exp:
            ok = ok and d["total_yuan"] == exp["total_yuan"]
        if "amounts" in exp:
            got: dict[str, int] = {}
            for c in d["calculations"]:
                got[c["clause_id"]] = got.get(c["clause_id"], 0) + c["amount_yuan"]
            ok = ok and all(got.get(k) == v for k, v in exp["amounts"].items())
        out["amount_exact"] = ok
    if exp.get("departments_include"):
        depts = " ".join(d["answer"].split("\n")[:3]) + " " + " ".join(" ".join(c["departments"]) for c in d["citations"][:1])
        out["department"] = all(x in depts for x in exp["departments_include"])
    if exp.get("asks_for"):
        asks = " ".join(d["asks"]) + d["answer"]
        out["asks_for"] = all(x in asks for x in exp["asks_for"])
    if exp.get("mentions"):
        out["mentions"] = all(x in text for x in exp["mentions"])
    if exp.get("must_not_mention"):
        out["must_not_mention"] = not any(x in text for x in exp["must_not_mention"])
    out["no_unsourced_numbers"] = not verify(answer, sources_for(answer))
    return out


def evaluate(engine, cases: list[dict]) -> tuple[dict, list[dict]]:
    from assistant.pipeline import Conversation, ask

    checks: dict[str, list[bool]] = {}
    failures = []
    latencies = []
    tp = fp = fn = 0
    for case in cases:
        conv = Conversation()
        answer = None
        for turn in case["turns"]:
            t = time.perf_counter()
            answer = ask(turn, engine, conv)
            latencies.append((time.perf_counter() - t) * 1000)
        result = check_case(case, answer)
        for k, v in result.items():
            checks.setdefault(k, []).append(v)
        if "refused" in case["expect"]:
            exp, got = case["expect"]["refused"], answer.refused
            tp += exp and got
            fp += got and not exp
            fn += exp and not got
        if not all(result.values()):
            failures.append({"id": case["id"], "category": case["category"], "turns": case["turns"],
                             "failed": [k for k, v in result.items() if not v], "expect": case["expect"],
                             "got": {"answer": answer.answer[:300], "citations": [c.clause_id for c in answer.citations],
                                     "total_yuan": answer.total_yuan, "refused": answer.refused, "asks": list(answer.asks)}})
    metrics = {k: sum(v) / len(v) for k, v in checks.items()}
    metrics["n_" + "cases"] = len(cases)
    metrics["refusal_precision"] = tp / (tp + fp) if tp + fp else 1.0
    metrics["refusal_recall"] = tp / (tp + fn) if tp + fn else 1.0
    metrics["latency_p50_ms"] = percentile(latencies, 50)
    metrics["latency_p95_ms"] = percentile(latencies, 95)
    metrics["turns"] = len(latencies)
    return metrics, failures


def render(metrics: dict) -> str:
    rows = [("citation hit@3", "citation_hit@3"), ("amount exact-match", "amount_exact"), ("refusal accuracy", "refusal"),
            ("refusal precision", "refusal_precision"), ("refusal recall", "refusal_recall"),
            ("no number outside sources", "no_unsourced_numbers"), ("department accuracy", "department"),
            ("asks for missing facts", "asks_for"), ("required mentions", "mentions"), ("injection: forbidden text absent", "must_not_mention")]
    lines = [f"Gold set: {metrics['n_cases']} cases, {metrics['turns']} turns (`eval/answers/gold.jsonl`), default engine, no LLM.",
             "", "| metric | value |", "|---|---|"]
    lines += [f"| {name} | {metrics[key]:.3f} |" for name, key in rows if key in metrics]
    lines.append(f"| warm latency per turn p50 / p95 | {metrics['latency_p50_ms']:.1f} ms / {metrics['latency_p95_ms']:.1f} ms |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path)
    ap.add_argument("--show-failures", action="store_true")
    ap.add_argument("--gold", type=Path, default=GOLD, help="cases file (default: the gold set; eval/answers/holdout.jsonl is held out)")
    args = ap.parse_args(argv)
    from assistant.pipeline import Engine
    from assistant.bootstrap import open_retriever
    from assistant.settings import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(index_dir=Path(tmp))
        retriever, _ = open_retriever(settings, quiet=True)
        engine = Engine(retriever.corpus, retriever)
        metrics, failures = evaluate(engine, load_cases(args.gold))
    text = render(metrics).replace("`eval/answers/gold.jsonl`", f"`{args.gold.relative_to(ROOT) if args.gold.is_absolute() else args.gold}`")
    print(text)
    if args.show_failures:
        for f in failures:
            print(json.dumps(f, ensure_ascii=False))
    if args.out:
        from eval.run_retrieval import write_section

        write_section(args.out, "answers-" + args.gold.stem, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
