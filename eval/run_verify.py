"""The verifier against a frozen corpus of rewrites: unfaithful ones must be rejected, faithful ones kept.

    .venv/bin/python eval/run_verify.py [--out docs/benchmarks.md] [--show] [--llm-url URL --llm-model NAME]

``eval/verify/references.json`` holds reference answers as ``Answer`` dicts (the engine's
answers of 2026-11 and a few in the bottom-line-first shape), frozen so that the corpus
does not move when the engine's wording does. ``eval/verify/rewrites.json`` holds rewrites
of them: ``reject`` ones (each must get a finding of one of its ``expect`` kinds) and
``accept`` ones (faithful paraphrases: reordered, reworded, merged, Chinese numerals; no
finding allowed). A rewrite is given as ``lines``, or as ``replace``/``append``/``prepend``
edits of its reference's text.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval.metrics import percentile  # noqa: E402

HERE = ROOT / "eval" / "verify"


def answer_from_dict(d: dict):
    from assistant.types import Answer, Calculation, Citation, Condition

    text = "\n".join(d["lines"]) if "lines" in d else d["answer"]
    return Answer(d["question"], text, d["refused"],
                  tuple(Citation(c["clause_id"], c["article"], c["text"], tuple(c["departments"])) for c in d["citations"]),
                  tuple(Calculation(c["rule_id"], c["clause_id"], c["inputs"], c["formula"], c["amount_yuan"], c["capped"],
                                    c["eligible"], c["reason"], c["is_upper_bound"]) for c in d["calculations"]),
                  d["total_yuan"], tuple(Condition(c["clause_id"], c["condition"], c["status"]) for c in d["conditions"]),
                  tuple(d["notes"]), asks=tuple(d["asks"]))


def load_references() -> dict:
    return {k: answer_from_dict(v) for k, v in json.loads((HERE / "references.json").read_text(encoding="utf-8")).items()}


def load_rewrites() -> list[dict]:
    return json.loads((HERE / "rewrites.json").read_text(encoding="utf-8"))


def rewrite_text(case: dict, reference) -> str:
    if "lines" in case:
        return "\n".join(case["lines"])
    text = reference.answer
    for old, new in case.get("replace", []):
        assert old in text, (case["id"], old)
        text = text.replace(old, new)
    if case.get("prepend"):
        text = "\n".join(case["prepend"]) + "\n" + text
    if case.get("append"):
        text = text + "\n" + "\n".join(case["append"])
    return text


def check(case: dict, references: dict, corpus):
    """(findings, passed) for one rewrite."""
    from assistant.verify import sources_for, verify

    reference = references[case["ref"]]
    sources = sources_for(reference, known={c.id for c in corpus.clauses}, all_departments=corpus.departments)
    findings = verify(rewrite_text(case, reference), sources, reference=reference)
    if case["verdict"] == "reject":
        return findings, any(f.kind in case["expect"] for f in findings)
    return findings, not findings


def mutations(text: str) -> list[tuple[str, str]]:
    """Small unfaithful edits of a faithful text, each of which must be rejected: an amount ×10, a rate
    changed, 以上 → 以下, a status flipped, a citation removed, a reward added."""
    from assistant.amounts import find_quantities, format_yuan
    from assistant.verify import find_ids

    out = []
    money = [m for m in find_quantities(text) if m.dimension == "money" and m.value > 0]
    if money:
        m = money[0]
        out.append(("amount x10", text[:m.start] + format_yuan(m.value * 10) + text[m.end:]))
    pct = [m for m in find_quantities(text) if m.dimension == "percent"]
    if pct:
        m = pct[0]
        out.append(("rate changed", text[:m.start] + f"{int(m.value * 100) + 10}%" + text[m.end:]))
    import re

    if re.search(r"(?<=[元%％年])(?:及)?以上", text):
        out.append(("以上 → 以下", re.sub(r"(?<=[元%％年])((?:及)?)以上", r"\1以下", text, count=1)))
    for a, b in (("✓", "✗"), ("已满足", "不满足"), ("不满足", "已满足"), ("待确认", "已满足")):
        if a in text:
            out.append((f"{a} → {b}", text.replace(a, b)))
            break
    refs = find_ids(text)
    if refs:
        gone = refs[-1].ids[-1]
        pieces, last = [], 0
        for r in refs:
            if gone in r.ids:
                pieces.append(text[last:r.start])
                last = r.end
        out.append((f"citation [{gone}] removed", "".join(pieces) + text[last:]))
    out.append(("reward added", text + "\n另外还可再获30万元奖励。"))
    return out


def evaluate(corpus) -> tuple[dict, list[dict]]:
    references, cases = load_references(), load_rewrites()
    rows, times = [], []
    for case in cases:
        t = time.perf_counter()
        findings, passed = check(case, references, corpus)
        times.append((time.perf_counter() - t) * 1000)
        rows.append({"id": case["id"], "verdict": case["verdict"], "passed": passed, "rejected": bool(findings),
                     "findings": [f.to_dict() for f in findings]})
    from assistant.verify import sources_for, verify

    mutated = []
    for case in cases:
        if case["verdict"] != "accept":
            continue
        reference = references[case["ref"]]
        sources = sources_for(reference, known={c.id for c in corpus.clauses}, all_departments=corpus.departments)
        for name, text in mutations(rewrite_text(case, reference)):
            findings = verify(text, sources, reference=reference)
            mutated.append({"id": f"{case['id']} / {name}", "verdict": "reject", "passed": bool(findings), "rejected": bool(findings),
                            "findings": [f.to_dict() for f in findings], "mutation": True})
    rows += mutated
    bad = [r for r in rows if r["verdict"] == "reject" and not r.get("mutation")]
    good = [r for r in rows if r["verdict"] == "accept"]
    metrics = {
        "references": len(references),
        "bad": len(bad), "bad_rejected": sum(r["rejected"] for r in bad), "bad_rejected_for_the_right_reason": sum(r["passed"] for r in bad),
        "faithful": len(good), "false_rejections": sum(r["rejected"] for r in good),
        "ms_p50": percentile(times, 50), "ms_p95": percentile(times, 95),
        "mutated": len(mutated), "mutated_rejected": sum(r["rejected"] for r in mutated),
    }
    return metrics, rows


def pipeline_overhead(engine, questions: list[str]) -> dict:
    """Time spent in the pipeline's own verification (``answer.verify``) per answer, and per whole answer."""
    import assistant.pipeline as pipeline
    from assistant.pipeline import Conversation, ask

    spent: list[float] = []
    real = pipeline.verify

    def timed(*args, **kwargs):
        t = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            spent.append((time.perf_counter() - t) * 1000)

    pipeline.verify = timed
    try:
        totals = []
        for q in questions:
            t = time.perf_counter()
            ask(q, engine, Conversation())
            totals.append((time.perf_counter() - t) * 1000)
    finally:
        pipeline.verify = real
    return {"verify_ms_p50": percentile(spent, 50), "verify_ms_p95": percentile(spent, 95),
            "answer_ms_p50": percentile(totals, 50), "answer_ms_p95": percentile(totals, 95), "answers": len(totals)}


class InstantGenerator:
    """Streams the draft back in 6-character pieces with no delay: what is left is the polisher's own cost."""

    def stream(self, messages, *, max_tokens, deadline, cancel=None):
        draft = messages[-1]["content"].split("草稿回答：\n", 1)[1].rsplit("\n\n请输出", 1)[0]
        for i in range(0, len(draft), 6):
            yield draft[i:i + 6]


def polish_overhead(generator, references: dict, rounds: int = 5) -> dict:
    """Wall time of ``Polisher.polish`` per reference answer, and how the outcomes fell."""
    from dataclasses import replace as with_

    from assistant.polish import Polisher

    p = Polisher(generator, 120.0)
    times, outcomes = [], {}
    for i in range(rounds):
        for key, ref in references.items():
            t = time.perf_counter()
            out = p.polish(with_(ref, conversation_id=f"{key}-{i}"))
            times.append((time.perf_counter() - t) * 1000)
            outcomes[out.llm] = outcomes.get(out.llm, 0) + 1
    return {"ms_p50": percentile(times, 50), "ms_p95": percentile(times, 95), "outcomes": outcomes, "n": len(times)}


def render(m: dict) -> str:
    return "\n".join([
        f"Rewrite corpus (`eval/verify/`): {m['bad']} unfaithful and {m['faithful']} faithful rewrites of {m['references']} frozen reference answers.",
        "", "| metric | value |", "|---|---|",
        f"| unfaithful rewrites rejected | {m['bad_rejected']}/{m['bad']} ({m['bad_rejected'] / m['bad']:.0%}) |",
        f"| … with a finding of the expected kind | {m['bad_rejected_for_the_right_reason']}/{m['bad']} |",
        f"| faithful paraphrases rejected (false rejections) | {m['false_rejections']}/{m['faithful']} ({m['false_rejections'] / m['faithful']:.0%}) |",
        f"| mutated faithful paraphrases rejected (amount ×10, rate, 以上→以下, status, citation, added reward) | "
        f"{m['mutated_rejected']}/{m['mutated']} ({m['mutated_rejected'] / m['mutated']:.0%}) |",
        f"| verify() per rewrite p50 / p95 | {m['ms_p50']:.2f} ms / {m['ms_p95']:.2f} ms |",
    ] + ([
        f"| pipeline: answer.verify per answer p50 / p95 ({m['pipeline']['answers']} gold questions) | "
        f"{m['pipeline']['verify_ms_p50']:.2f} ms / {m['pipeline']['verify_ms_p95']:.2f} ms "
        f"(whole answer {m['pipeline']['answer_ms_p50']:.1f} ms / {m['pipeline']['answer_ms_p95']:.1f} ms) |",
        f"| polish with an instant generator (the polisher's own cost: sentence-by-sentence and whole check) p50 / p95 | "
        f"{m['instant']['ms_p50']:.2f} ms / {m['instant']['ms_p95']:.2f} ms |",
    ] if "pipeline" in m else []) + ([
        f"| polish with {m['real']['model']} on a real OpenAI-compatible server, p50 / p95 | "
        f"{m['real']['ms_p50'] / 1000:.1f} s / {m['real']['ms_p95'] / 1000:.1f} s (outcomes: {m['real']['outcomes']}) |",
    ] if "real" in m else []))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path)
    ap.add_argument("--show", action="store_true", help="print every rewrite's findings")
    ap.add_argument("--no-latency", action="store_true", help="skip the pipeline and polish timings (they build an index)")
    ap.add_argument("--llm-url", help="also time the polish against this OpenAI-compatible server (…/v1)")
    ap.add_argument("--llm-model", default="default", help="model name for --llm-url")
    args = ap.parse_args(argv)
    import tempfile

    from assistant.pipeline import Engine
    from assistant.bootstrap import open_retriever
    from assistant.corpus import load_corpus
    from assistant.settings import load_settings

    corpus = load_corpus(load_settings().corpus_dir)
    metrics, rows = evaluate(corpus)
    if not args.no_latency:
        from eval.run_answers import load_cases

        with tempfile.TemporaryDirectory() as tmp:
            retriever, _ = open_retriever(load_settings(index_dir=Path(tmp)), quiet=True)
            questions = [c["turns"][0] for c in load_cases()]
            metrics["pipeline"] = pipeline_overhead(Engine(retriever.corpus, retriever), questions)
        metrics["instant"] = polish_overhead(InstantGenerator(), load_references())
    if args.llm_url:
        from assistant.llm import OpenAICompatible

        refs = load_references()
        sample = {k: refs[k] for k in ("department", "dates", "opc", "data_trade", "two_measures")}
        metrics["real"] = dict(polish_overhead(OpenAICompatible(args.llm_url, args.llm_model), sample, rounds=1), model=args.llm_model)
    text = render(metrics)
    print(text)
    for r in rows:
        if args.show or not r["passed"]:
            print(json.dumps(r, ensure_ascii=False))
    if args.out:
        from eval.run_retrieval import write_section

        write_section(args.out, "verify", text)
    return 0 if all(r["passed"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
