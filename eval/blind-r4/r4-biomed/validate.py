# -*- coding: utf-8 -*-
"""Validate cases.jsonl: JSON per line, unique ids, known categories, clause ids exist in clauses.txt."""
import json, collections, os, sys
HERE = os.path.dirname(os.path.abspath(__file__))
ids = {l.split("\t")[0] for l in open(os.path.join(HERE, "clauses.txt"), encoding="utf-8") if l.strip()}
CATS = {"amount", "not_computable", "needs_fact", "department", "dates", "procedure", "lookup_question",
        "paraphrase", "conversation", "out_of_scope", "cross_document", "lookup"}
seen, cnt, bad = set(), collections.Counter(), 0
for n, line in enumerate(open(os.path.join(HERE, "cases.jsonl"), encoding="utf-8"), 1):
    c = json.loads(line)
    assert c["id"] not in seen, c["id"]; seen.add(c["id"])
    assert c["id"].startswith("r4-biomed-")
    assert c["category"] in CATS, c
    cnt[c["category"]] += 1
    e = c["expect"]
    refs = list(e.get("citations_include", [])) + list(e.get("amounts", {}).keys()) + list(e.get("clause_ids_include", []))
    for r in refs:
        if r not in ids:
            print("line", n, "unknown clause", r); bad += 1
    if c["category"] == "out_of_scope":
        assert e == {"refused": True} and "doc" not in c
    elif c["category"] != "lookup":
        assert c["doc"] == "r4-biomed" and e.get("refused") is False and c["turns"]
    if "amounts" in e:
        assert e["total_yuan"] == sum(e["amounts"].values()), c["id"]
        assert all(isinstance(v, int) for v in e["amounts"].values())
    if c["category"] == "conversation":
        assert len(c["turns"]) >= 2
print(dict(cnt), "total", sum(cnt.values()), "bad", bad)
sys.exit(1 if bad else 0)
