"""Score the blind test sets (documents and cases written by people who never read the code).

    .venv/bin/python eval/run_blind.py eval/blind/w1-talent [more sets…] [--all-in-one] [--show-failures]
        [--json results.json] [--out docs/benchmarks.md --section blind-final]

Each set folder holds a policy file, ``set.json`` (document id, status, publication date) and
``cases.jsonl`` (format: ``eval/blind/FORMAT.md``). By default every set is scored in a corpus of
the shipped policy plus that set's document, added with ``policies.add_policy`` exactly as
``policy-assistant add`` does; ``--all-in-one`` loads every set's document into one corpus (the
hotline's situation: many policies at once). A document that cannot be added scores 0 on all of
its cases: that is what a user would get.

Metrics (per set): amount exact-match over every case with an expected amount (``total_yuan`` and
per-clause ``amounts``; "no payout" is ``null`` or 0 either way), the same over cases whose
expected total is a number (computable), "no unsupported amount" over cases that expect none,
citation hit@3, refusal accuracy, false refusals, out-of-scope refusals, right document (the first
citation comes from the expected document), departments, asks, mentions, and lookups.
Works against the current code and, for the blind-first score, against an older checkout put
first on ``PYTHONPATH`` (it only uses APIs both have).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "corpus" / "wuhan-digital-intelligence-economy-measures-draft.txt"


def load_set(folder: Path) -> tuple[dict, list[dict]]:
    meta = json.loads((folder / "set.json").read_text(encoding="utf-8"))
    cases = [json.loads(line) for line in (folder / "cases.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return meta, cases


def build_corpus(tmp: Path, sets: list[tuple[Path, dict]]) -> tuple[Path, dict[str, str]]:
    """A corpus dir with the shipped policy and the given documents; returns (dir, doc_id → error)."""
    from assistant.errors import PolicyError
    from assistant.policies import add_policy

    corpus_dir = tmp / "corpus"
    corpus_dir.mkdir(parents=True)
    shutil.copy(SHIPPED, corpus_dir / SHIPPED.name)
    for sidecar in SHIPPED.parent.glob(SHIPPED.stem + ".*.toml"):  # its rule and variant sidecars
        shutil.copy(sidecar, corpus_dir / sidecar.name)
    manifest = ROOT / "corpus" / "policies.json"
    if manifest.exists():
        shutil.copy(manifest, corpus_dir / "policies.json")
    errors: dict[str, str] = {}
    for folder, meta in sets:
        if not meta.get("file"):
            continue
        kwargs = {"doc_id": meta["doc_id"], "status": meta.get("status")}
        if meta.get("effective_from"):
            kwargs["effective_from"] = meta["effective_from"]
        try:
            add_policy(corpus_dir, folder / meta["file"], **kwargs)
        except PolicyError as err:
            errors[meta["doc_id"]] = err.message
        except Exception as err:  # noqa: BLE001 - the blind score counts crashes as failures, it must not stop
            errors[meta["doc_id"]] = f"{type(err).__name__}: {err}"
    return corpus_dir, errors


def open_engine(corpus_dir: Path, index_dir: Path, embedder: str):
    from assistant.settings import load_settings

    settings = load_settings(corpus_dir=corpus_dir, index_dir=index_dir, embedder=embedder)
    try:  # current code: the service-independent engine factory
        from assistant.pipeline import open_engine as new_open

        return new_open(settings)
    except ImportError:
        from assistant.pipeline import Engine
        from assistant.bootstrap import open_retriever

        retriever, _ = open_retriever(settings, quiet=True)
        return Engine(retriever.corpus, retriever)


def run_turns(engine, turns: list[str]):
    try:
        from assistant.pipeline import Conversation, ask
    except ImportError:
        from assistant.pipeline import Conversation, ask
    conv = Conversation()
    answer = None
    for t in turns:
        answer = ask(t, engine, conv)
    return answer


def _doc_of(clause_id: str) -> str:
    return clause_id.split(":", 1)[0] if ":" in clause_id else "shipped"


def _no_payout(v) -> bool:
    return v is None or v == 0


def check_answer(case: dict, d: dict) -> dict[str, bool]:
    exp = case["expect"]
    out: dict[str, bool] = {}
    cites = [c["clause_id"] for c in d.get("citations", [])]
    text = d.get("answer", "") + "\n" + "\n".join(d.get("notes", []))
    if "refused" in exp:
        out["refusal"] = bool(d.get("refused")) == exp["refused"]
    if exp.get("citations_include"):
        out["citation_hit@3"] = all(c in cites[:3] for c in exp["citations_include"])
    if case.get("doc") and exp.get("refused") is not True and cites:
        out["right_document"] = _doc_of(cites[0]) == case["doc"]
    if "total_yuan" in exp or "amounts" in exp:
        ok = True
        got_total = d.get("total_yuan")
        if "total_yuan" in exp:
            want = exp["total_yuan"]
            ok = (_no_payout(got_total) if _no_payout(want) else got_total == want)
        if "amounts" in exp and ok:
            got: dict[str, int] = {}
            for c in d.get("calculations", []):
                got[c["clause_id"]] = got.get(c["clause_id"], 0) + c["amount_yuan"]
            ok = all((_no_payout(got.get(k)) if _no_payout(v) else got.get(k) == v) for k, v in exp["amounts"].items())
        out["amount_exact"] = ok
        if exp.get("total_yuan", 1) is not None and not _no_payout(exp.get("total_yuan", 1)):
            out["amount_exact_computable"] = ok
        else:
            out["no_unsupported_amount"] = _no_payout(got_total)
    if exp.get("departments_include"):
        depts = d.get("answer", "") + " " + " ".join(" ".join(c.get("departments", [])) for c in d.get("citations", []))
        out["department"] = all(x in depts for x in exp["departments_include"])
    if exp.get("asks_for"):
        asks = " ".join(d.get("asks", [])) + d.get("answer", "")
        out["asks_for"] = all(x in asks for x in exp["asks_for"])
    if exp.get("mentions"):
        out["mentions"] = all(x in text for x in exp["mentions"])
    if exp.get("must_not_mention"):
        out["must_not_mention"] = not any(x in text for x in exp["must_not_mention"])
    return out


def check_lookup(case: dict, corpus) -> dict[str, bool]:
    q = case["lookup"]
    want = set(case["expect"].get("clause_ids_include", []))
    try:
        if "id" in q:
            try:
                from assistant.corpus import lookup as new_lookup  # current code: one box, every id form

                ids = [c.id for c in new_lookup(corpus, q["id"], doc=case.get("doc"))]
            except ImportError:
                ref = q["id"] if case.get("doc") in (None, "shipped") else f"{case['doc']}:{q['id']}"
                from assistant.corpus import normalize_clause_id

                ids = [corpus.get(ref).id] if normalize_clause_id(ref) else [c.id for c in corpus.article_clauses(ref)]
        elif "dept" in q:
            ids = [c.id for c in corpus.by_department(q["dept"])]
        else:
            ids = [c.id for c in corpus.by_keyword(q["keyword"])]
    except Exception:  # noqa: BLE001 - a failed lookup is a miss
        ids = []
    return {"lookup": want <= set(ids)}


def evaluate(engine, cases: list[dict], failed_docs: dict[str, str]) -> tuple[dict, list[dict]]:
    checks: dict[str, list[bool]] = {}
    failures = []
    latencies = []
    for case in cases:
        if case.get("doc") in failed_docs:
            result = {k: False for k in _applicable(case)}
            got = {"error": failed_docs[case["doc"]]}
        elif case["category"] == "lookup":
            result = check_lookup(case, engine.corpus)
            got = {}
        else:
            t = time.perf_counter()
            try:
                answer = run_turns(engine, case["turns"])
                d = answer.to_dict()
            except Exception as err:  # noqa: BLE001
                d = {"error": f"{type(err).__name__}: {err}"}
            latencies.append((time.perf_counter() - t) * 1000)
            result = check_answer(case, d) if "error" not in d else {k: False for k in _applicable(case)}
            got = {k: d.get(k) for k in ("answer", "total_yuan", "refused", "asks", "error")}
            got["citations"] = [c["clause_id"] for c in d.get("citations", [])]
            got["calculations"] = [(c["clause_id"], c["amount_yuan"]) for c in d.get("calculations", [])]
        for k, v in result.items():
            checks.setdefault(k, []).append(v)
        if case["category"] == "out_of_scope":
            checks.setdefault("out_of_scope_refused", []).append(result.get("refusal", False))
        elif case.get("expect", {}).get("refused") is False:
            checks.setdefault("no_false_refusal", []).append(result.get("refusal", False))
        if not all(result.values()):
            failures.append({"id": case["id"], "category": case["category"], "failed": [k for k, v in result.items() if not v],
                             "turns": case.get("turns") or case.get("lookup"), "expect": case["expect"], "got": got})
    metrics = {k: (sum(v) / len(v), len(v)) for k, v in checks.items()}
    if latencies:
        lat = sorted(latencies)
        metrics["latency_p95_ms"] = (lat[min(len(lat) - 1, int(0.95 * (len(lat) - 1)))], len(lat))
    return metrics, failures


def _applicable(case: dict) -> list[str]:
    exp = case.get("expect", {})
    keys = []
    if case["category"] == "lookup":
        return ["lookup"]
    if "refused" in exp:
        keys.append("refusal")
    if exp.get("citations_include"):
        keys.append("citation_hit@3")
    if "total_yuan" in exp or "amounts" in exp:
        keys.append("amount_exact")
    return keys


ROWS = [("amount exact-match (all amount cases)", "amount_exact"), ("amount exact-match (computable)", "amount_exact_computable"),
        ("no unsupported amount", "no_unsupported_amount"), ("citation hit@3", "citation_hit@3"),
        ("refusal accuracy", "refusal"), ("no false refusal", "no_false_refusal"),
        ("out-of-scope refused", "out_of_scope_refused"), ("right document", "right_document"),
        ("department", "department"), ("asks for missing facts", "asks_for"), ("mentions", "mentions"),
        ("must not mention", "must_not_mention"), ("lookup", "lookup")]


def render(results: dict[str, dict], title: str) -> str:
    names = list(results)
    lines = [title, "", "| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label, key in ROWS:
        cells = []
        for n in names:
            v = results[n].get(key)
            cells.append(f"{v[0]:.3f} ({round(v[0] * v[1])}/{v[1]})" if v else "–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def doc_coverage(corpus, doc_id: str) -> dict[str, int]:
    """How much of one document's money text became rules: clauses, rules, and each clause's coverage."""
    from collections import Counter

    rows = corpus.coverage(doc_id)
    counts = Counter(cov.value for _, cov, _, _ in rows)
    return {"clauses": len(rows), "rules": sum(len(rules) for _, _, rules, _ in rows), **counts}


def render_coverage(coverage: dict[str, dict]) -> str:
    from assistant.types import Coverage

    cols = ["clauses", "rules", *[c.value for c in Coverage if c is not Coverage.NONE]]
    lines = ["Rule coverage per document: all clauses, rules built, and the clauses with money or an award by how they are covered (`rules --doc` lists them):", "",
             "| set | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    for name, counts in coverage.items():
        lines.append(f"| {name} | " + " | ".join(str(counts.get(c, 0)) for c in cols) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", type=Path)
    ap.add_argument("--all-in-one", action="store_true", help="load every set's document into one corpus")
    ap.add_argument("--embedder", default="use")
    ap.add_argument("--show-failures", action="store_true")
    ap.add_argument("--json", type=Path, help="write metrics and failures here")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--section", default="blind")
    ap.add_argument("--title", default="")
    args = ap.parse_args(argv)
    loaded = [(p, *load_set(p)) for p in args.sets]
    results: dict[str, dict] = {}
    all_failures: dict[str, list] = {}
    coverage: dict[str, dict] = {}
    groups = [loaded] if args.all_in_one else [[x] for x in loaded]
    for group in groups:
        with tempfile.TemporaryDirectory() as tmp:
            corpus_dir, errors = build_corpus(Path(tmp), [(p, meta) for p, meta, _ in group])
            engine = open_engine(corpus_dir, Path(tmp) / "index", args.embedder)
            for p, meta, cases in group:
                metrics, failures = evaluate(engine, cases, errors)
                if meta.get("doc_id") in errors:
                    metrics["add_error"] = errors[meta["doc_id"]]
                results[p.name] = metrics
                all_failures[p.name] = failures
                if meta.get("doc_id") in {d.id for d in engine.corpus.documents}:
                    coverage[p.name] = doc_coverage(engine.corpus, meta["doc_id"])
    title = args.title or f"Blind sets ({'all documents in one corpus' if args.all_in_one else 'each document with the shipped policy'}, embedder {args.embedder})."
    text = render(results, title)
    if coverage:
        text += "\n\n" + render_coverage(coverage)
    for name, m in results.items():
        if "add_error" in m:
            text += f"\n\n`{name}`: add failed — {m['add_error']}"
    print(text)
    if args.show_failures:
        for name, fs in all_failures.items():
            for f in fs:
                print(json.dumps({"set": name, **f}, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps({"metrics": results, "coverage": coverage, "failures": all_failures}, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.out:
        sys.path.insert(0, str(ROOT))
        from eval.run_retrieval import write_section

        write_section(args.out, args.section, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
