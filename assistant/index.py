"""Build, fingerprint, persist and open the retrieval index (one node per clause).

Owns: the node text (article title as context + verbatim clause), the fingerprint
(embedder + version, corpus content hashes, node settings, dictionary/glossary hash),
atomic builds (build into ``builds/<id>.tmp``, then swap the ``active`` symlink, so a
killed build leaves the previous index serving), and the checks that refuse a stale or
corrupt index and rebuild it. Does not rank anything (see ``retrieval``).

Builds hold the index build lock (``locks.index_lock``): a second ``build-index`` waits
instead of deleting the first one's work, and ``ensure_index`` looks again once it has the
lock, so workers starting together build once. The previously active build is kept (other
worker processes may still be answering from it until they notice the switch). In Chroma
server mode a collection that already holds this fingerprint's vectors (another app node
built it) is adopted instead of being rebuilt under that node's feet.

Layout::

    index/
      active -> builds/<build id>        symlink, swapped atomically
      builds/<build id>/manifest.json    fingerprint, counts, build time
      builds/<build id>/bm25.json        tokens for BM25
      builds/<build id>/chroma/          embedded Chroma (absent in server mode)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from assistant.corpus import Corpus
from assistant.errors import IndexStateError
from assistant.keyword import KeywordIndex
from assistant.lexicon import sidecars_hash
from assistant.locks import index_lock
from assistant.text import data_hash
from assistant.types import Clause

NODE_SETTINGS = {"unit": "clause", "context": "article_title+lead", "version": 2}
LEXICON_VERSION = 1  # bump when the lexicon derivation changes how clauses are tokenised
ACTIVE = "active"
Progress = Callable[[str, int, int], None]  # (stage, done, total)


def node_text(clause: Clause) -> str:
    """What is embedded and BM25-indexed for a clause: its article title, and the article's lead-in
    ("申请人才公寓的，按以下程序办理：") when it has one, give context."""
    return f"{clause.article_title}：{clause.lead}{clause.text}"


def node_metadata(corpus: Corpus, clause: Clause) -> dict:
    doc = corpus.document_of(clause)
    return {"clause_id": clause.id, "article": clause.article_title, "article_no": clause.article_no or 0,
            "departments": "、".join(clause.departments), "document": doc.title, "status": doc.status.value,
            "text_hash": text_hash(node_text(clause))}


def text_hash(text: str) -> str:
    """Decides whether a node must be re-embedded."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def fingerprint(corpus: Corpus, embedder) -> dict:
    return {
        "embedder": embedder.name,
        "embedder_version": embedder.version,
        "dim": embedder.dim,
        "corpus": sorted([d.id, d.content_hash] for d in corpus.documents),
        "node_settings": NODE_SETTINGS,
        "text_data": data_hash(),
        "sidecars": sidecars_hash(corpus),
        "lexicon_version": LEXICON_VERSION,
    }


def fingerprint_id(fp: dict) -> str:
    return hashlib.sha256(json.dumps(fp, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


@dataclass
class BuiltIndex:
    directory: Path
    manifest: dict
    keyword: KeywordIndex
    store: object  # VectorStore
    client: object


def _collection_name(fp_id: str) -> str:
    return f"clauses_{fp_id}"


def build_index(index_dir: Path, corpus: Corpus, embedder, *, chroma_url: str | None = None,
                progress: Progress | None = None, batch_size: int = 64) -> BuiltIndex:
    """Build a fresh index and make it active. Atomic: on any failure the old one stays."""
    with index_lock(index_dir):
        return _build_locked(Path(index_dir), corpus, embedder, chroma_url=chroma_url, progress=progress,
                             batch_size=batch_size, adopt=False)


def _build_locked(index_dir: Path, corpus: Corpus, embedder, *, chroma_url: str | None, progress: Progress | None,
                  batch_size: int, adopt: bool) -> BuiltIndex:
    from assistant.vectorstore import ChromaStore, open_client

    started = time.perf_counter()
    fp = fingerprint(corpus, embedder)
    fp_id = fingerprint_id(fp)
    builds = Path(index_dir) / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{fp_id[:8]}-{uuid.uuid4().hex[:6]}"
    tmp = builds / f"{build_id}.tmp"
    final = builds / build_id
    try:
        clauses = list(corpus.clauses)
        texts = [node_text(c) for c in clauses]
        ids = [c.id for c in clauses]
        report = progress or (lambda *_: None)
        report("分词（BM25）", 0, len(clauses))
        keyword = KeywordIndex.build(ids, texts)
        keyword.save(tmp)
        report("分词（BM25）", len(clauses), len(clauses))

        metas = [node_metadata(corpus, c) for c in clauses]
        client = open_client(path=None if chroma_url else tmp / "chroma", url=chroma_url)
        store = _adoptable(client, _collection_name(fp_id), len(ids)) if adopt and chroma_url else None
        if store is not None:  # another node already put these vectors on the server
            todo, done_ids = [], list(range(len(ids)))
        else:
            reusable = _previous_vectors(Path(index_dir), embedder, fp_id)
            store = ChromaStore(client, _collection_name(fp_id), create=True)
            todo = [i for i, m in enumerate(metas) if (ids[i], m["text_hash"]) not in reusable]
            todo_set = set(todo)
            done_ids = [i for i in range(len(ids)) if i not in todo_set]
            for start in range(0, len(done_ids), 1000):
                part = done_ids[start:start + 1000]
                store.add([ids[i] for i in part], [reusable[(ids[i], metas[i]["text_hash"])] for i in part],
                          [metas[i] for i in part], [texts[i] for i in part])
        for start in range(0, len(todo), batch_size):
            part = todo[start:start + batch_size]
            vectors = embedder.embed_passages([texts[i] for i in part])
            store.add([ids[i] for i in part], vectors, [metas[i] for i in part], [texts[i] for i in part])
            report("向量化", min(start + batch_size, len(todo)), len(todo))
        if store.count() != len(ids):
            raise IndexStateError(str(tmp), f"向量库条数 {store.count()} 与条款数 {len(ids)} 不一致")
        manifest = {
            "fingerprint": fp, "fingerprint_id": fp_id, "nodes": len(ids), "collection": _collection_name(fp_id),
            "chroma_url": chroma_url, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "build_seconds": round(time.perf_counter() - started, 3),
            "embedded": len(todo), "reused": len(done_ids),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        del store, client  # release sqlite handles before the rename
        os.rename(tmp, final)
        previous = (Path(index_dir) / ACTIVE).resolve() if (Path(index_dir) / ACTIVE).exists() else None
        _activate(Path(index_dir), final)
        _prune(builds, keep={final, previous})
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return open_built(Path(index_dir), expected_fp_id=fp_id)


def _adoptable(client, name: str, nodes: int):
    """The server's collection for this fingerprint if it is complete, else None."""
    from assistant.vectorstore import ChromaStore

    try:
        store = ChromaStore(client, name)
        return store if store.count() == nodes else None
    except Exception:  # noqa: BLE001 - "does not exist" differs across chroma versions
        return None


def _previous_vectors(index_dir: Path, embedder, fp_id: str) -> dict[tuple[str, str], list[float]]:
    """Vectors of the active index keyed by (clause id, text hash), if it was built by the same
    embedder: a changed corpus then re-embeds only the clauses whose text changed."""
    manifest = active_manifest(index_dir)
    if not manifest or manifest.get("fingerprint_id") == fp_id:
        return {}
    fp = manifest.get("fingerprint", {})
    if (fp.get("embedder"), fp.get("embedder_version"), fp.get("dim")) != (embedder.name, embedder.version, embedder.dim):
        return {}
    try:
        old = open_built(index_dir, manifest["fingerprint_id"])
        got = old.store.collection.get(include=["embeddings", "metadatas"])
    except Exception:  # noqa: BLE001 - an unreadable old index just means: embed everything
        return {}
    out = {}
    for cid, vec, meta in zip(got["ids"], got["embeddings"], got["metadatas"]):
        if meta and meta.get("text_hash"):
            out[(cid, meta["text_hash"])] = list(vec)
    return out


def _activate(index_dir: Path, target: Path) -> None:
    link_tmp = index_dir / f".{ACTIVE}.{os.getpid()}"
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    link_tmp.symlink_to(os.path.relpath(target, index_dir))
    os.replace(link_tmp, index_dir / ACTIVE)  # atomic on POSIX


def _prune(builds: Path, keep: set[Path | None]) -> None:
    """Remove old builds and leftovers of killed ones; called under the build lock, so no build is running."""
    for p in builds.iterdir():
        if p not in keep:
            shutil.rmtree(p, ignore_errors=True)


def active_manifest(index_dir: Path) -> dict | None:
    link = Path(index_dir) / ACTIVE
    try:
        return json.loads((link / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def open_built(index_dir: Path, expected_fp_id: str) -> BuiltIndex:
    """Open the active index, or raise ``IndexStateError`` saying why it cannot be used."""
    from assistant.vectorstore import ChromaStore, open_client

    link = Path(index_dir) / ACTIVE
    if not link.exists():
        raise IndexStateError(str(index_dir), "索引尚未建立")
    directory = link.resolve()
    manifest = active_manifest(index_dir)
    if manifest is None:
        raise IndexStateError(str(directory), "manifest.json 缺失或损坏")
    if manifest.get("fingerprint_id") != expected_fp_id:
        raise IndexStateError(str(directory), "索引由其他向量模型、语料或设置生成（指纹不一致）")
    try:
        keyword = KeywordIndex.load(directory)
        url = manifest.get("chroma_url")
        client = open_client(path=None if url else directory / "chroma", url=url)
        store = ChromaStore(client, manifest["collection"])
        n = store.count()
    except IndexStateError:
        raise
    except Exception as exc:  # noqa: BLE001 - chroma/sqlite/json raise many types on corrupt files
        raise IndexStateError(str(directory), f"索引文件损坏（{type(exc).__name__}: {str(exc)[:120]}）") from exc
    if n != manifest["nodes"] or len(keyword.ids) != manifest["nodes"]:
        raise IndexStateError(str(directory), f"索引条数不一致（向量 {n}，关键词 {len(keyword.ids)}，应为 {manifest['nodes']}）")
    return BuiltIndex(directory, manifest, keyword, store, client)


def ensure_index(index_dir: Path, corpus: Corpus, embedder, *, chroma_url: str | None = None,
                 progress: Progress | None = None, notify: Callable[[str], None] | None = None) -> BuiltIndex:
    """Open the index if it matches the corpus and embedder; otherwise (re)build it, saying why.

    The check is repeated under the build lock: a process that waited for another's build uses it."""
    fp_id = fingerprint_id(fingerprint(corpus, embedder))
    try:
        return _open_matching(index_dir, fp_id, chroma_url)
    except IndexStateError:
        pass
    with index_lock(index_dir):
        try:
            return _open_matching(index_dir, fp_id, chroma_url)
        except IndexStateError as err:
            if notify:
                notify(f"{err.reason}，正在重建索引…")
        return _build_locked(Path(index_dir), corpus, embedder, chroma_url=chroma_url, progress=progress, batch_size=64,
                             adopt=True)


def _open_matching(index_dir: Path, fp_id: str, chroma_url: str | None) -> BuiltIndex:
    built = open_built(index_dir, fp_id)
    if (built.manifest.get("chroma_url") or None) != (chroma_url or None):
        raise IndexStateError(str(index_dir), "向量库位置已更改")
    return built
