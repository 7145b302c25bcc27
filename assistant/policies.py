"""Adding and updating policy documents safely (``policy-assistant add``, the admin API).

Owns: validating an uploaded file (type, size, name that cannot escape the corpus folder,
parses completely), the ``corpus/policies.json`` manifest (id, clause-id prefix, status,
dates per document), and atomic writes: a failed add leaves corpus and manifest as they
were. Re-adding identical content is a no-op; a changed file keeps its id and prefix.

Concurrent adds are serialised by the corpus lock (``locks.corpus_lock``, across processes);
callers that also refresh the index hold it around both, so readers never see a corpus
without its index. Every write goes to a uniquely named temporary file in the same folder,
is flushed to disk, then renamed over the target. The shipped policy's plain ids (``3.4``)
are pinned by the committed ``corpus/policies.json`` (prefix ``""``), not by file order.
The index is refreshed by the caller (``ensure_index`` re-embeds only changed clauses).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from assistant.corpus import MANIFEST, Corpus, read_manifest, slug
from assistant.errors import ParseError
from assistant.locks import corpus_lock
from assistant.parser import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, parse_file
from assistant.types import DocStatus

_DATE = re.compile(r"^\d{4}年[\dXx]{1,2}月[\dXx]{1,2}日$")
_SAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


@dataclass(frozen=True)
class AddResult:
    doc_id: str
    file: str
    action: str  # "added" | "updated" | "unchanged"
    clauses: int
    prefix: str

    def message(self) -> str:
        verb = {"added": "已添加", "updated": "已更新", "unchanged": "内容未变化，未做改动"}[self.action]
        return f"{verb}：{self.file}（文件编号 {self.doc_id}，{self.clauses} 个条款，条款编号前缀“{self.prefix or '无'}”）"


def safe_name(name: str) -> str:
    """A file name that stays inside the corpus folder: no directories, no dot-files."""
    base = Path(str(name).replace("\\", "/")).name
    stem, suffix = os.path.splitext(base)
    stem = _SAFE_NAME.sub("-", stem).strip(".-") or "policy"
    suffix = suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ParseError(base or "?", None, f"不支持的文件类型“{suffix or '无扩展名'}”，支持 {'、'.join(SUPPORTED_SUFFIXES)}")
    return f"{stem[:80]}{suffix}"


MAX_TITLE_CHARS = 200
MAX_DOC_ID_CHARS = 64


def add_policy(corpus_dir: Path, source: Path, *, filename: str | None = None, doc_id: str | None = None,
               status: str | None = None, title: str | None = None, effective_from: str | None = None,
               effective_until: str | None = None, rules_file: Path | None = None) -> AddResult:
    """Add or update one policy file: validate it against the whole corpus, then write it, its rule sidecar
    (``rules_file``, or ``<source>.rules.toml`` beside the source, validated against the new document) and
    the manifest, all under the corpus lock."""
    with corpus_lock(corpus_dir):
        return _add_locked(Path(corpus_dir), Path(source), filename=filename, doc_id=doc_id, status=status, title=title,
                           effective_from=effective_from, effective_until=effective_until, rules_file=rules_file)


def _add_locked(corpus_dir: Path, source: Path, *, filename, doc_id, status, title, effective_from, effective_until,
                rules_file: Path | None) -> AddResult:
    from assistant.sidecar import sidecar_path

    source = Path(source)
    name = safe_name(filename or source.name)
    if rules_file is None and sidecar_path(source).is_file():
        rules_file = sidecar_path(source)
    if rules_file is not None and not Path(rules_file).is_file():
        raise ParseError(Path(rules_file).name, None, "规则补充文件不存在")
    sidecar_name = sidecar_path(Path(name)).name
    if not source.is_file():
        raise ParseError(name, None, "文件不存在")
    size = source.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ParseError(name, None, f"文件过大（{size} 字节，上限 {MAX_FILE_BYTES} 字节）")
    if title is not None and (not title.strip() or len(title) > MAX_TITLE_CHARS):
        raise ParseError(name, None, f"标题应为 1–{MAX_TITLE_CHARS} 个字")
    if doc_id is not None and (not doc_id.strip() or len(doc_id) > MAX_DOC_ID_CHARS):
        raise ParseError(name, None, f"文件编号应为 1–{MAX_DOC_ID_CHARS} 个字符")
    if status is not None and status not in {s.value for s in DocStatus}:
        raise ParseError(name, None, f"状态应为 {'/'.join(s.value for s in DocStatus)}")
    for label, value in (("施行日期", effective_from), ("有效期", effective_until)):
        if value is not None and not _DATE.match(value):
            raise ParseError(name, None, f"{label}应写作“2026年1月1日”（未定可写 X）")
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    target = corpus_dir / name
    if target.resolve().parent != corpus_dir.resolve():
        raise ParseError(name, None, "文件名不合法")

    entries = _entries_with_existing(corpus_dir)
    existing = next((e for e in entries if e["file"] == name), None)
    if existing is None:
        for e in entries:
            if hashlib.sha256((corpus_dir / e["file"]).read_bytes()).hexdigest() == digest and rules_file is None:
                return AddResult(e["id"], e["file"], "unchanged", _count(corpus_dir / e["file"], e), e.get("prefix", ""))
        new_id = slug(doc_id or Path(name).stem)
        taken = {e["id"] for e in entries}
        base, n = new_id, 2
        while new_id in taken:
            new_id, n = f"{base}-{n}", n + 1
        entry = {"file": name, "id": new_id, "prefix": "" if not entries else f"{new_id}:"}
        action = "added"
    else:
        entry = dict(existing)
        action = "updated"
        same_rules = rules_file is None or ((corpus_dir / sidecar_name).is_file()
                                            and (corpus_dir / sidecar_name).read_bytes() == Path(rules_file).read_bytes())
        if (corpus_dir / name).exists() and hashlib.sha256((corpus_dir / name).read_bytes()).hexdigest() == digest \
                and all(v is None for v in (status, title, effective_from, effective_until)) and same_rules:
            return AddResult(entry["id"], name, "unchanged", _count(corpus_dir / name, entry), entry.get("prefix", ""))
    for key, value in (("status", status), ("title", title), ("effective_from", effective_from), ("effective_until", effective_until)):
        if value is not None:
            entry[key] = value

    # Validate the new file and the whole resulting corpus in a scratch copy before touching anything.
    with tempfile.TemporaryDirectory() as scratch:
        scratch_dir = Path(scratch)
        for e in entries:
            if e["file"] != name:
                shutil.copy2(corpus_dir / e["file"], scratch_dir / e["file"])
                if sidecar_path(corpus_dir / e["file"]).is_file():
                    shutil.copy2(sidecar_path(corpus_dir / e["file"]), sidecar_path(scratch_dir / e["file"]))
        shutil.copyfile(source, scratch_dir / name)
        if rules_file is not None:
            shutil.copyfile(rules_file, scratch_dir / sidecar_name)
        elif (corpus_dir / sidecar_name).is_file():
            shutil.copyfile(corpus_dir / sidecar_name, scratch_dir / sidecar_name)
        new_entries = [entry if e["file"] == name else e for e in entries] if existing else entries + [entry]
        _write_manifest(scratch_dir, new_entries)
        from assistant.corpus import load_corpus

        corpus = load_corpus(scratch_dir)
        _check_ids(corpus)
        n_clauses = sum(len(d.clauses) for d in corpus.documents if d.id == entry["id"])

    _write_atomic(target, data)
    if rules_file is not None:
        _write_atomic(corpus_dir / sidecar_name, Path(rules_file).read_bytes())
    _write_manifest(corpus_dir, new_entries)
    return AddResult(entry["id"], name, action, n_clauses, entry.get("prefix", ""))


def _entries_with_existing(corpus_dir: Path) -> list[dict]:
    """The manifest, extended with files already in the folder (so the first policy keeps plain ids)."""
    from assistant.corpus import load_corpus

    entries = read_manifest(corpus_dir)
    listed = {e["file"] for e in entries}
    if any(p.suffix.lower() in SUPPORTED_SUFFIXES and p.name not in listed and not p.name.startswith(".")
           and p.name.lower() != "readme.md" for p in corpus_dir.iterdir()):
        corpus = load_corpus(corpus_dir)
        by_id = {e["id"]: e for e in entries}
        entries = [by_id.get(d.id) or {"file": Path(d.source_path).name, "id": d.id,
                                       "prefix": _prefix_of(d)} for d in corpus.documents]
    return entries


def _prefix_of(doc) -> str:
    first = doc.clauses[0].id if doc.clauses else ""
    return first.split(":", 1)[0] + ":" if ":" in first else ""


def _count(path: Path, entry: dict) -> int:
    return len(parse_file(path, doc_id=entry["id"], id_prefix=entry.get("prefix", "")).clauses)


def _check_ids(corpus: Corpus) -> None:
    seen: dict[str, str] = {}
    for c in corpus.clauses:
        if c.id in seen:
            raise ParseError(c.doc_id, None, f"条款编号 {c.id} 与文件 {seen[c.id]} 重复")
        seen[c.id] = c.doc_id


def _write_manifest(corpus_dir: Path, entries: list[dict]) -> None:
    _write_atomic(corpus_dir / MANIFEST, (json.dumps({"documents": entries}, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


def _write_atomic(target: Path, data: bytes) -> None:
    """Write to a uniquely named hidden file beside ``target``, flush it to disk, rename it over ``target``."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
