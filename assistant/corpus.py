"""The loaded policy corpus: documents, the clause table, rules, and hotline look-ups.

Owns: loading every file under ``corpus_dir`` (all or nothing), lookup by clause id
(``3.4``, ``第三条第四项``, ``第三条``), by department, by keyword, and the rule table.
``Corpus.lookup`` is the hotline's one box: every common id form (``3-4``, ``３.４``,
``3.4条``, ``第3.4条``, ``第三条第4项``, ``p2:3.1``, ``p2:第三条``), short department names
(``人才局`` → ``市人才工作局``: characters in order, exact names first) and keywords.
Look-ups by id (clause, its article, its rules) go through dictionaries built once per
corpus, so listing a page of a 10,000-article document never scans every article.
Does not know about embeddings or the index (see ``retrieval``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from assistant.errors import EmptyQueryError, ParseError, UnknownClauseError, UnknownDocumentError
from assistant.numerals import int_to_chinese
from assistant.parser import SUPPORTED_SUFFIXES, parse_file
from assistant.rules import apply_bound_definitions, build_rule_table, non_computable, unify_base_keys
from assistant.types import Article, Clause, Coverage, DocStatus, Document, FINAL_SECTION, NonComputable, Rule

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
    def from_documents(cls, docs: list[Document] | tuple[Document, ...], *, sidecars: bool = True) -> "Corpus":
        """Rules read from the clause text, then corrected by each document's sidecar file if it has one."""
        from assistant.sidecar import load_sidecar, sidecar_path

        rules: list[Rule] = []
        nc: list[NonComputable] = []
        for d in docs:
            r, n = build_rule_table(d.clauses), non_computable(d.clauses)
            r = apply_bound_definitions(r, d.preamble + "".join(c.text for c in d.clauses))
            path = sidecar_path(Path(d.source_path)) if sidecars and d.source_path else None
            if path is not None and path.is_file():
                local = {_local_id(c.id): c for c in d.clauses}
                r, n = load_sidecar(path, local).apply(r, n)
            rules.extend(unify_base_keys(r))
            nc.extend(n)
        return cls(tuple(docs), tuple(rules), tuple(nc))

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
    def _rules_by_id(self) -> dict[str, Rule]:
        return {r.id: r for r in self.rules}

    def article_of(self, clause: Clause) -> Article:
        return self._article_by_clause[clause.id]

    def is_active(self, doc_id: str, today=None) -> bool:
        """In force for answers: not superseded, and not past a fixed expiry date."""
        doc = self._docs[doc_id]
        return doc.status is not DocStatus.SUPERSEDED and not doc.expired(today)

    def coverage(self, doc_id: str | None = None) -> list[tuple[Clause, Coverage, list[Rule], str]]:
        """Every clause (of one document, or all) with its coverage: computable, needs review,
        award without a figure, or no amounts; plus its rules and the reason."""
        listed = {n.clause_id: n for n in self.non_computable}
        out = []
        for c in self.clauses:
            if doc_id is not None and c.doc_id != doc_id:
                continue
            rules = self.rules_for(c.id)
            if rules and c.id in listed and listed[c.id].coverage is Coverage.REVIEW:
                out.append((c, Coverage.REVIEW, rules, listed[c.id].reason))  # partly read: the rest needs a person
            elif rules:
                out.append((c, Coverage.COMPUTABLE, rules, ""))
            elif c.id in listed:
                out.append((c, listed[c.id].coverage, [], listed[c.id].reason))
            else:
                out.append((c, Coverage.NONE, [], ""))
        return out

    @cached_property
    def _rules_by_clause(self) -> dict[str, list[Rule]]:
        out: dict[str, list[Rule]] = {}
        for r in self.rules:
            out.setdefault(r.clause_id, []).append(r)
        return out

    @cached_property
    def rules_by_doc(self) -> dict[str, list[Rule]]:
        out: dict[str, list[Rule]] = {}
        for r in self.rules:
            out.setdefault(self.get(r.clause_id).doc_id, []).append(r)
        return out

    @cached_property
    def base_counts(self) -> dict[tuple[str, str], int]:
        """(document, canonical base) → how many rules compute on it (a shared base names no one measure)."""
        from assistant.rules import canonical_base

        out: dict[tuple[str, str], int] = {}
        for r in self.rules:
            if r.base:
                key = (self.get(r.clause_id).doc_id, canonical_base(r.base))
                out[key] = out.get(key, 0) + 1
        return out

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

    def local_id(self, doc_id: str, cid: str) -> str | None:
        """The id that ``cid`` (``"5.1"``, as written without a prefix) has in one document (``"p2:5.1"``)."""
        doc = self._docs.get(doc_id)
        if doc is None:
            return None
        prefix = _prefix_of(doc)
        return f"{prefix}:{cid}" if prefix else cid

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

    def by_department(self, dept: str, doc: str | None = None) -> list[Clause]:
        """Clauses of a department, named in full or short (``人才局``, ``经信局``; see ``match_departments``)."""
        dept = (dept or "").strip()
        if not dept:
            raise EmptyQueryError("责任单位")
        names = set(self.match_departments(dept, doc))
        return [c for c in self._clauses_of(doc) if names & set(c.departments)]

    def match_departments(self, name: str, doc: str | None = None) -> list[str]:
        """Department names meant by ``name``: the exact name; else the names containing it (``经信局`` → ``市经信局``);
        else the names holding its characters in order with the same last character (``人才局`` → ``市人才工作局``),
        shortest first."""
        name = unicodedata.normalize("NFKC", name or "").strip()
        if not name:
            return []
        known = self.document(doc).departments if doc else self.departments
        if name in known:
            return [name]
        inside = [d for d in known if name in d]
        if inside:
            return sorted(inside, key=len)
        if len(name) < 2:
            return []
        return sorted((d for d in known if d[-1] == name[-1] and _in_order(name, d)), key=len)

    def by_keyword(self, keyword: str, doc: str | None = None) -> list[Clause]:
        kw = (keyword or "").strip()
        if not kw:
            raise EmptyQueryError("关键词")
        words = kw.split()
        return [c for c in self._clauses_of(doc) if all(w in c.text or w in c.article_title for w in words)]

    def document(self, doc_id: str) -> Document:
        """A document by its id (``talent``) or its clause-id prefix (``p2``)."""
        doc_id = (doc_id or "").strip()
        found = self._docs.get(doc_id) or next((d for d in self.documents if _prefix_of(d) == doc_id), None)
        if found is None:
            raise UnknownDocumentError(doc_id, "、".join(d.id for d in self.documents))
        return found

    def lookup(self, query: str, doc: str | None = None) -> list[Clause]:
        """The hotline's one box: clauses for an id, a department or keywords, exact id matches first.

        Ids in every common form: ``3.4``, ``3-4``, ``３.４``, ``3.4条``, ``第3.4条``, ``第三条第4项``, ``附则1``;
        an article (``第三条``, ``3``); with a document prefix (``p2:3.1``, ``p2:第三条``). Without a prefix and
        without ``doc``, the document with plain ids comes first, then the same number in the other documents.
        Then departments (short names too), then clauses containing every word. An id that matches nothing
        and no other match raises ``UnknownClauseError``.

        >>> # corpus.lookup("3-4")[0].id == "3.4"; corpus.lookup("人才局") → the clauses of 市人才工作局
        """
        q = unicodedata.normalize("NFKC", query or "").strip()
        if not q:
            raise EmptyQueryError("查询内容")
        if doc:
            self.document(doc)
        ref = parse_ref(q)
        found: list[Clause] = self._by_ref(ref, doc) if ref else []
        if ref is None or not found:
            for c in self.by_department(q, doc) + self.by_keyword(q, doc):
                if c not in found:
                    found.append(c)
        if not found and ref is not None:
            raise UnknownClauseError(q, "请检查编号（如 3.4、第三条第四项），或输入关键词、责任单位查询")
        return found

    def _by_ref(self, ref: "Ref", doc: str | None) -> list[Clause]:
        if ref.prefix is not None:
            try:
                docs = [self.document(ref.prefix)]
            except UnknownDocumentError:
                return []
            if doc and docs[0].id != self.document(doc).id:
                return []
        elif doc:
            docs = [self.document(doc)]
        else:
            docs = sorted(self.documents, key=lambda d: _prefix_of(d) != "")  # plain ids first
        out: list[Clause] = []
        for d in docs:
            for c in d.clauses:
                local = _local_id(c.id)
                if (ref.item is not None and local == ref.local) or (ref.item is None and local.split(".")[0] == ref.article):
                    out.append(c)
        return out

    def _clauses_of(self, doc: str | None) -> tuple[Clause, ...]:
        return self.document(doc).clauses if doc else self.clauses

    def citation_text(self, clause: Clause) -> str:
        """Ready-to-read citation for hotline staff."""
        doc = self.document_of(clause)
        if clause.article_no is None:
            where = f"{FINAL_SECTION}第{clause.item_no}项"
        else:
            where = f"第{int_to_chinese(clause.article_no)}条第{clause.item_no}项"
        depts = f"（责任单位：{'、'.join(clause.departments)}）" if clause.departments else ""
        return f"{doc.full_title}{where}：{clause.text}{depts}"


def _prefix_of(doc: Document) -> str:
    """The clause-id prefix of a document (``"p2"``), ``""`` for plain ids."""
    first = doc.clauses[0].id if doc.clauses else ""
    return first.split(":", 1)[0] if ":" in first else ""


def _in_order(short: str, full: str) -> bool:
    it = iter(full)
    return all(ch in it for ch in short)


@dataclass(frozen=True)
class Ref:
    """A clause or article reference as typed: ``prefix`` (``p2`` or None), ``article`` (``3`` / ``附则``), ``item`` or None."""

    prefix: str | None
    article: str
    item: int | None = None

    @property
    def local(self) -> str:
        return f"{self.article}.{self.item}" if self.item is not None else self.article


_SEP = r"\s*[.\-_、·。]\s*"
_DOTTED = re.compile(rf"^第?\s*(\d{{1,3}}){_SEP}(\d{{1,3}})\s*(?:条|项|款)?$")
_ARTICLE = re.compile(rf"^第?\s*([{_CN}\d]{{1,6}})\s*条$|^(\d{{1,3}})$")
_FINAL = re.compile(rf"^附则\s*(?:{_SEP})?第?([{_CN}\d]{{1,4}})?\s*项?$")


def parse_ref(text: str) -> Ref | None:
    """Read a clause or article reference in any common form; None if ``text`` is not one.

    >>> [parse_ref(s).local for s in ("3-4", "３.４", "3.4条", "第3.4条", "第三条第4项", "第三条", "附则1")]
    ['3.4', '3.4', '3.4', '3.4', '3.4', '3', '附则.1']
    >>> parse_ref("p2:第三条"), parse_ref("流片")
    (Ref(prefix='p2', article='3', item=None), None)
    """
    s = unicodedata.normalize("NFKC", text or "").strip().strip("[]【】〔〕").strip()
    prefix = None
    m = re.match(r"^([a-z0-9][a-z0-9-]*)\s*:\s*(.+)$", s, re.I)
    if m:
        prefix, s = m.group(1).lower(), m.group(2).strip()
    s = s.replace(" ", "")
    m = _DOTTED.match(s)
    if m:
        return Ref(prefix, str(int(m.group(1))), int(m.group(2)))
    m = _CN_ID.match(s)
    if m and m.group(2):
        a, i = _to_int(m.group(1)), _to_int(m.group(2))
        return Ref(prefix, str(a), i) if a and i else None
    m = _ARTICLE.match(s)
    if m:
        a = _to_int(m.group(1) or m.group(2))
        return Ref(prefix, str(a)) if a else None
    m = _FINAL.match(s)
    if m:
        i = _to_int(m.group(1)) if m.group(1) else None
        return Ref(prefix, FINAL_SECTION, i) if m.group(1) is None or i else None
    return None


def lookup(corpus: Corpus, query: str, doc: str | None = None) -> list[Clause]:
    """Module-level form of ``Corpus.lookup`` (for scripts)."""
    return corpus.lookup(query, doc=doc)


def _local_id(clause_id: str) -> str:
    """``talent:3.4`` → ``3.4`` (the id as the document itself numbers it)."""
    return clause_id.split(":", 1)[1] if ":" in clause_id else clause_id


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

    from assistant.dates import with_dates
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
        if e.get("title"):
            doc = replace(doc, title=e["title"])
        # --from is the start (the publication date for 自发布之日起施行): a relative term counts from it
        docs.append(with_dates(doc, effective_from=e.get("effective_from"), effective_until=e.get("effective_until")))
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
