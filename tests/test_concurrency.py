"""Corpus and index changes under concurrency: separate processes adding policies at once,
two `build-index` runs at once. Each of these lost or broke data before the locks existed."""

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from assistant.corpus import MANIFEST, load_corpus
from tests.conftest import CORPUS_DIR, WUHAN

WUHAN_ID = "wuhan-digital-intelligence-economy-measures-draft"
STATUSES = ["draft", "in_force", "superseded", None, "superseded", "in_force", "draft", None]


def policy_text(n: int) -> str:
    return (f"# 测试政策第{n}号\n\n第一条 为测试并发上传，制定本办法。\n"
            f"第二条 【补贴标准】对企业给予{n + 1}000元补贴。（责任单位：市测试局{n}）\n第三条 本办法自2025年3月1日起施行。\n")


def shipped_corpus(tmp_path: Path) -> Path:
    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    shutil.copy(WUHAN, corpus_dir)
    shutil.copy(CORPUS_DIR / MANIFEST, corpus_dir)
    return corpus_dir


def _add_in_process(args):
    """Runs in a fresh (spawned) process, as a second CLI or worker would."""
    corpus_dir, src, name, doc_id, status = args
    from assistant.policies import add_policy

    r = add_policy(Path(corpus_dir), Path(src), filename=name, doc_id=doc_id, status=status)
    return r.action, r.doc_id, r.prefix


def test_shipped_manifest_pins_plain_ids_on_the_wuhan_policy():
    entries = json.loads((CORPUS_DIR / MANIFEST).read_text(encoding="utf-8"))["documents"]
    assert entries[0] == {"file": WUHAN.name, "id": WUHAN_ID, "prefix": ""}


def test_a_file_sorting_first_does_not_take_the_plain_ids(tmp_path):
    from assistant.policies import add_policy

    corpus_dir = shipped_corpus(tmp_path)
    src = tmp_path / "aaa.md"
    src.write_text(policy_text(0), encoding="utf-8")
    r = add_policy(corpus_dir, src, doc_id="aaa")
    corpus = load_corpus(corpus_dir)
    assert r.prefix == "aaa:" and corpus.get("3.4").doc_id == WUHAN_ID and corpus.get("aaa:2.1").doc_id == "aaa"


def test_eight_concurrent_adds_from_separate_processes_keep_every_document_and_status(tmp_path):
    corpus_dir = shipped_corpus(tmp_path)
    jobs = []
    for n, status in enumerate(STATUSES):
        src = tmp_path / f"src-{n}.md"
        src.write_text(policy_text(n), encoding="utf-8")
        jobs.append((str(corpus_dir), str(src), f"a{n}-upload.md", f"up{n}", status))
    with ProcessPoolExecutor(8, mp_context=get_context("spawn")) as pool:
        results = list(pool.map(_add_in_process, jobs))
    assert sorted(results) == sorted(("added", f"up{n}", f"up{n}:") for n in range(8))

    entries = json.loads((corpus_dir / MANIFEST).read_text(encoding="utf-8"))["documents"]
    assert entries[0] == {"file": WUHAN.name, "id": WUHAN_ID, "prefix": ""}
    by_id = {e["id"]: e for e in entries[1:]}
    assert sorted(by_id) == [f"up{n}" for n in range(8)] and len(entries) == 9
    for n, status in enumerate(STATUSES):
        e = by_id[f"up{n}"]
        assert (e["file"], e["prefix"], e.get("status")) == (f"a{n}-upload.md", f"up{n}:", status)

    corpus = load_corpus(corpus_dir)
    assert corpus.get("3.4").doc_id == WUHAN_ID and len([c for c in corpus.clauses if c.doc_id == WUHAN_ID]) == 42
    for n, status in enumerate(STATUSES):
        assert corpus.get(f"up{n}:2.1").text == f"对企业给予{n + 1}000元补贴。"
        assert corpus.is_active(f"up{n}") == (status != "superseded")
    leftovers = sorted(p.name for p in corpus_dir.iterdir() if p.name.startswith(".") and p.name != ".policies.lock")
    assert leftovers == []


def test_two_build_index_runs_at_once_both_succeed_and_leave_a_working_index(tmp_path):
    from assistant.embedders import HashEmbedder
    from assistant.index import fingerprint, fingerprint_id, open_built

    env = dict(os.environ, POLICY_INDEX_DIR=str(tmp_path / "index"), POLICY_DATA_DIR=str(tmp_path / "data"), POLICY_EMBEDDER="hash")
    exe = Path(sys.executable).parent / "policy-assistant"
    procs = [subprocess.Popen([str(exe), "build-index"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-500:] for _, err in outs]
    assert all("索引已建立：42 个条款" in out for out, _ in outs)
    corpus = load_corpus(CORPUS_DIR)
    built = open_built(tmp_path / "index", fingerprint_id(fingerprint(corpus, HashEmbedder())))
    assert built.store.count() == 42 and not list((tmp_path / "index" / "builds").glob("*.tmp"))
