"""The loaded policy corpus: documents, the clause table, rules, and hotline look-ups.

Owns: loading every file under ``corpus_dir`` (all or nothing), lookup by clause id
(``3.4``, ``第三条第四项``, ``第三条``), by department, by keyword, and the rule table.
Look-ups by id (clause, its article, its rules) go through dictionaries built once per
corpus, so listing a page of a 10,000-article document never scans every article.
Does not know about embeddings or the index (see ``retrieval``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from assistant.errors import EmptyQueryError, ParseError, UnknownClauseError
from assistant.numerals import int_to_chinese
from assistant.parser import SUPPORTED_SUFFIXES, parse_file
from assistant.rules import build_rule_table, non_computable
from assistant.types import Article, Clause, DocStatus, Document, FINAL_SECTION, NonComputable, Rule

_CN = "零〇一二两三四五六七八九十百"
_ID = re.compile(r"^\s*(\d+|附则)\s*[.．。]\s*(\d+)\s*$")
_CN_ID = re.compile(rf"^\s*第([{_CN}\d]+)条(?:第([{_CN}\d]+)(?:项|款|句|条))?\s*$")
_ARTICLE_ONLY = re.compile(r"^\s*(\d+)\s*$")


@dataclass(frozen=True)
class Corpus:
    documents: tuple[Document, ...]
    rules: tuple[Rule, ...] = field(default=())
    non_computable: tuple[NonComputable, ...] = field(default=())

    @classmethod
    def from_documents(cls, docs: list[Document] | tuple[Document, ...]) -> "Corpus":
        clauses = [c for d in docs for c in d.clauses]
        return cls(tuple(docs), tuple(build_rule_table(clauses)), tuple(non_computable(clauses)))

    # ----------------------------------------------------------- views

    @cached_property
    def clauses(self) -> tuple[Clause, ...]:
        return tuple(c for d in self.documents for c in d.clauses)

    @cached_property
    def _by_id(self) -> dict[str, Clause]:
        return {c.id: c for c in self.clauses}

    @cached_property
    def departments(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for c in self.clauses:
            for d in c.departments:
                seen.setdefault(d, None)
        return tuple(seen)

    @cached_property
    def _docs(self) -> dict[str, Document]:
        return {d.id: d for d in self.documents}

    def document_of(self, clause: Clause) -> Document:
        return self._docs[clause.doc_id]

    @cached_property
    def _article_by_clause(self) -> dict[str, Article]:
        return {cid: a for d in self.documents for a in d.articles for cid in a.clause_ids}

    @cached_property
    def _rules_by_clause(self) -> dict[str, list[Rule]]:
        out: dict[str, list[Rule]] = {}
        for r in self.rules:
            out.setdefault(r.clause_id, []).append(r)
        return out

    @cached_property
    def _rules_by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    def article_of(self, clause: Clause) -> Article:
        return self._article_by_clause[clause.id]

    def is_active(self, doc_id: str, today=None) -> bool:
        """In force for answers: not superseded, and not past a fixed expiry date."""
        doc = self._docs[doc_id]
        return doc.status is not DocStatus.SUPERSEDED and not doc.expired(today)

    def rules_for(self, clause_id: str) -> list[Rule]:
        return list(self._rules_by_clause.get(clause_id, ()))

    def rule(self, rule_id: str) -> Rule | None:
        return self._rules_by_id.get(rule_id)

    # ----------------------------------------------------------- look-ups

    def get(self, ref: str) -> Clause:
        """A clause by ``3.4``, ``3．4``, ``第三条第四项`` or ``附则.1``."""
        if ref and ref.strip() in self._by_id:
            return self._by_id[ref.strip()]
        cid = normalize_clause_id(ref)
        if cid is None or cid not in self._by_id:
            raise UnknownClauseError(ref.strip() if ref else "")
        return self._by_id[cid]

    def has(self, clause_id: str) -> bool:
        return clause_id in self._by_id

    def article_clauses(self, ref: str) -> list[Clause]:
        """All clauses of an article: ``3``, ``第三条``, ``附则``."""
        ref = (ref or "").strip()
        m = _CN_ID.match(ref)
        if ref == FINAL_SECTION:
            prefix = f"{FINAL_SECTION}."
        elif m and not m.group(2):
            prefix = f"{_to_int(m.group(1))}."
        elif _ARTICLE_ONLY.match(ref):
            prefix = f"{int(ref)}."
        else:
            raise UnknownClauseError(ref)
        found = [c for c in self.clauses if c.id.startswith(prefix)]
        if not found:
            raise UnknownClauseError(ref)
        return found

    def by_department(self, dept: str) -> list[Clause]:
        dept = (dept or "").strip()
        if not dept:
            raise EmptyQueryError("责任单位")
        exact = [c for c in self.clauses if dept in c.departments]
        if exact:
            return exact
        return [c for c in self.clauses if any(dept in d for d in c.departments)]

    def by_keyword(self, keyword: str) -> list[Clause]:
        kw = (keyword or "").strip()
        if not kw:
            raise EmptyQueryError("关键词")
        words = kw.split()
        return [c for c in self.clauses if all(w in c.text or w in c.article_title for w in words)]

    def citation_text(self, clause: Clause) -> str:
        """Ready-to-read citation for hotline staff."""
        doc = self.document_of(clause)
        if clause.article_no is None:
            where = f"{FINAL_SECTION}第{clause.item_no}项"
        else:
            where = f"第{int_to_chinese(clause.article_no)}条第{clause.item_no}项"
        depts = f"（责任单位：{'、'.join(clause.departments)}）" if clause.departments else ""
        return f"{doc.full_title}{where}：{clause.text}{depts}"


def normalize_clause_id(ref: str) -> str | None:
    """``"3.4"``/``"3．4"``/``"第三条第四项"`` → ``"3.4"``; ``"talent:第二条第一项"`` → ``"talent:2.1"``;
    None if it is not an id."""
    if not ref:
        return None
    s = ref.strip().strip("[]【】")
    m = re.match(r"^([a-z0-9][a-z0-9-]*):(.+)$", s)
    if m:
        local = normalize_clause_id(m.group(2))
        return f"{m.group(1)}:{local}" if local else None
    m = _ID.match(s)
    if m:
        return f"{m.group(1)}.{int(m.group(2))}"
    m = _CN_ID.match(s)
    if m and m.group(2):
        a, i = _to_int(m.group(1)), _to_int(m.group(2))
        if a is not None and i is not None:
            return f"{a}.{i}"
    m = re.match(r"^附则第?([一二三四五六七八九十\d]+)项?$", s)
    if m:
        i = _to_int(m.group(1))
        return f"{FINAL_SECTION}.{i}" if i else None
    return None


def _to_int(s: str) -> int | None:
    from assistant.numerals import chinese_to_int

    try:
        return chinese_to_int(s)
    except ValueError:
        return None


MANIFEST = "policies.json"


def load_corpus(corpus_dir: Path) -> Corpus:
    """Parse every policy file in ``corpus_dir``; any failure aborts the whole load.

    ``policies.json`` (written by ``policy-assistant add``) fixes each document's id, clause-id
    prefix, status and dates. Without it the files are taken in name order: the first keeps
    plain ids (``3.4``), later ones are namespaced by their id (``talent:3.4``).
    """
    from dataclasses import replace

    from assistant.types import DocStatus

    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise ParseError(str(corpus_dir), None, "政策目录不存在")
    entries = read_manifest(corpus_dir)
    listed = {e["file"] for e in entries}
    files = sorted(p for p in corpus_dir.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith((".", "~$"))
                   and p.name.lower() != "readme.md" and p.name not in listed)
    for p in files:
        entries.append({"file": p.name, "id": slug(p.stem), "prefix": "" if not entries else f"{slug(p.stem)}:"})
    if not entries:
        raise ParseError(str(corpus_dir), None, "目录中没有政策文件（.txt/.md/.docx）")
    docs = []
    for e in entries:
        path = corpus_dir / e["file"]
        if not path.is_file():
            raise ParseError(e["file"], None, f"{MANIFEST} 列出的文件不存在")
        status = DocStatus(e["status"]) if e.get("status") else None
        doc = parse_file(path, doc_id=e["id"], status=status, id_prefix=e.get("prefix", ""))
        overrides = {k: e[k] for k in ("title", "effective_from", "effective_until") if e.get(k)}
        docs.append(replace(doc, **overrides) if overrides else doc)
    return Corpus.from_documents(docs)


def read_manifest(corpus_dir: Path) -> list[dict]:
    import json

    path = Path(corpus_dir) / MANIFEST
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return list(data["documents"])
    except (ValueError, KeyError, TypeError):
        raise ParseError(MANIFEST, None, "清单文件损坏，请检查 JSON 格式") from None


def slug(stem: str) -> str:
    """A short id for a document from its file name (ASCII letters/digits/dash, else a hash)."""
    import hashlib

    s = re.sub(r"[^a-z0-9-]+", "-", stem.lower()).strip("-")[:64].strip("-")
    return s or "doc-" + hashlib.sha1(stem.encode()).hexdigest()[:6]
