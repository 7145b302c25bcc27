"""The words of each loaded document, derived from its own text when the index is built.

Owns ``Lexicon``: for every document, the terms a question can use to reach it —

* measure names, bases, subjects, tier keys and conditions (from its rules);
* departments, article titles, the document title and region;
* distinctive words (jieba tokens that few clauses use: low document frequency);
* colloquial variants from an optional sidecar next to the policy file
  (``<file>.lexicon.toml``: ``[[variant]] words = ["GPU", "云服务器"]  means = "算力服务费用"``),
  each ``means`` checked against the document text.

A small generic glossary (``data/glossary.tsv``: words that mean the same in every policy,
such as 部门 → 责任单位, 啥时候 → 施行) is shared. Nothing here names one policy: a new
document brings its own words. The lexicon feeds jieba, understanding, routing, scope and
the self-check, and its ``hash`` is part of the index fingerprint.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from assistant.errors import ParseError
from assistant.text import Glossary, default_glossary, tokenize
from assistant.types import Document, Rule

SUFFIX = ".lexicon.toml"
# a numeral and its measure word ("一家", "两项", "每个") says how many, never what a clause is about
_COUNT_WORD = re.compile(r"[每一二两三四五六七八九十百千几单各首]+[家个项件名人次台套批所座户条种位]")
# A token used by at most this share of clauses (and at most MAX_DF of them) is distinctive.
DISTINCT_SHARE = 0.08
MAX_DF = 6
_GENERIC_TOKENS = set("""企业 单位 项目 支持 给予 补助 补贴 奖励 资金 政策 措施 相关 有关 按照 符合 条件 申报 认定 最高 不超过 每年 年度 万元 亿元
元 市级 省级 国家级 区级 县级 发展 建设 推动 加快 鼓励 开展 推进 实施 组织 提升 打造 培育 引进 重点 领域 服务 创新 产业 技术 经济
管理 工作 方面 规定 办法 本办法 本政策 本措施 实施细则 责任 责任单位 部门 人民政府 各区 各县 审核 拨付 其中 以上 以下 首次 当年
获得 获批 获评 通过 评审 遴选 择优 入选 评定 新增 新建 组建 开发 推广 设立 取得 完成 达到 超过 突破 承担 参与 依规 综合 给予 每个 单个
同一 累计 年度 期限 周期 最长 连续 支持 资助 补助 补贴 奖励 分别 对于 其他 本市 市场 社会 主体 平台 体系 机制 能力 水平 质量 规模 领域
行业 重大 关键 核心 先进 优秀 示范 一批 一次性 补充 一次 首批 一年 两年 三年 五年 工作""".split())


@dataclass(frozen=True)
class Term:
    """A word or phrase a question may use, and what it points to in one document."""

    text: str
    kind: str  # "measure" | "base" | "subject" | "tier" | "condition" | "department" | "title" | "region" | "distinctive" | "variant"
    doc_id: str
    clause_ids: tuple[str, ...] = ()
    means: str = ""  # for variants: the document's own term


# the words every policy title is made of ("关于进一步加快推进…高质量发展的若干政策措施")
_TITLE_FORM = re.compile(r"^(关于|进一步|加快|推进|推动|促进|支持|鼓励|加强|若干|政策|措施|办法|意见|实施|细则|方案|通知|规定|发展|高质量|产业|"
                         r"行动|计划|试行|暂行|征求意见稿|全面|更好|做大做强|建设|提升|打造)$")


@dataclass(frozen=True)
class DocLexicon:
    doc_id: str
    title: str
    region: str
    level: str
    terms: tuple[Term, ...]
    vocabulary: frozenset[str]  # every token of the document (a word any document uses never causes a refusal)


@dataclass(frozen=True)
class Match:
    term: Term
    start: int
    end: int


@dataclass(frozen=True)
class Lexicon:
    docs: tuple[DocLexicon, ...]
    glossary: Glossary = field(default_factory=default_glossary)
    sidecar_hash: str = ""

    @cached_property
    def _by_text(self) -> dict[str, list[Term]]:
        out: dict[str, list[Term]] = {}
        for d in self.docs:
            for t in d.terms:
                out.setdefault(t.text.lower(), []).append(t)
        return out

    @cached_property
    def _pattern(self) -> re.Pattern | None:
        words = sorted((w for w in self._by_text if len(w) >= 2), key=len, reverse=True)
        return re.compile("|".join(re.escape(w) for w in words), re.I) if words else None

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """Every word the documents use, and the generic glossary's words for them (a glossary word
        counts only when it leads to a word some document uses: 买房 → 购房补贴 counts only where a
        document has a housing subsidy)."""
        out: set[str] = set()
        for d in self.docs:
            out |= d.vocabulary
        for e in self.glossary.entries:
            if any(t.lower() in out for t in e.terms):
                out |= {v.lower() for v in e.variants}
        return frozenset(out)

    @cached_property
    def topical(self) -> frozenset[str]:
        """Words that name a measure of a document: its names, bases, objects, subjects, tiers and
        conditions, its variants, and the generic glossary's words for them."""
        out = {t.text.lower() for d in self.docs for t in d.terms if t.kind in ("measure", "variant", "base", "subject", "condition", "tier")
               or (t.kind == "title" and t.clause_ids)}
        out |= {t.means.lower() for d in self.docs for t in d.terms if t.kind == "variant"}
        for e in self.glossary.entries:
            if any(t.lower() in out or any(t.lower() in x for x in out) for t in e.terms if len(t) >= 2):
                out |= {v.lower() for v in e.variants if len(v) >= 2}
        return frozenset(out)

    @cached_property
    def title_words(self) -> dict[str, str]:
        """Words of one document's title that no other title has, apart from the words every policy title uses
        ("云岚市支持生物医药产业创新发展的若干政策" → 生物医药, …): "生物医药政策第七条第三项" names that document."""
        from assistant.text import words

        seen: dict[str, set[str]] = {}
        for d in self.docs:
            for w in words(d.title):
                if len(w) >= 2 and not _TITLE_FORM.search(w) and w not in d.region:
                    seen.setdefault(w, set()).add(d.doc_id)
        return {w: next(iter(ids)) for w, ids in seen.items() if len(ids) == 1}

    def documents_by_title_words(self, text: str) -> list[str]:
        """Documents a phrase like "这个商贸流通政策" / "人才引进和安居政策" names: a word only their title has, right
        before 政策/措施/办法/意见/文件."""
        out = []
        for m in re.finditer(r"([\u4e00-\u9fa5]{1,12})(?:政策|措施|办法|意见|文件)", text or ""):
            out += [d for w, d in self.title_words.items() if w in m.group(1)]
        return list(dict.fromkeys(out))

    def named_documents(self, text: str) -> list[str]:
        """Documents the text names: by region or full title, else by a word only their title has."""
        out = [m.term.doc_id for m in self.find(text, kinds=("region", "title")) if m.term.kind == "region" or not m.term.clause_ids]
        out += [d for w, d in self.title_words.items() if w in (text or "")]
        return list(dict.fromkeys(out))

    @cached_property
    def distinctive(self) -> frozenset[str]:
        """Words that name something specific in a document: its terms and its low-frequency words."""
        out = {t.text.lower() for d in self.docs for t in d.terms if t.kind not in ("region", "title")}
        for e in self.glossary.entries:
            if any(t.lower() in out for t in e.terms):
                out |= {v.lower() for v in e.variants if len(v) >= 2}
        return frozenset(out)

    @cached_property
    def hash(self) -> str:
        h = hashlib.sha256(self.sidecar_hash.encode())
        for e in self.glossary.entries:
            h.update(("|".join(e.variants) + "\t" + " ".join(e.terms)).encode())
        return h.hexdigest()[:16]

    @cached_property
    def subject_names(self) -> frozenset[str]:
        return frozenset(t.text for d in self.docs for t in d.terms if t.kind == "subject")

    @cached_property
    def subject_cores(self) -> tuple[tuple[str, str], ...]:
        """(core words, subject): "数据供方" for 数据供方企业 — how people say they are one."""
        out = {}
        for d in self.docs:
            for t in d.terms:
                if t.kind == "subject":
                    core = re.sub(r"(企业|单位|机构|公司|主体)$", "", t.text)
                    if len(core) >= 3 and core != t.text:
                        out[core] = t.text
        return tuple(out.items())

    def doc(self, doc_id: str) -> DocLexicon | None:
        return next((d for d in self.docs if d.doc_id == doc_id), None)

    def _pattern_of(self, kinds: tuple[str, ...] | None) -> re.Pattern | None:
        """The pattern over the terms of some kinds only, so that a longer term of another kind cannot hide
        one of them ("岚川文旅措施": the distinctive 岚川文 must not hide the region 岚川)."""
        if kinds is None:
            return self._pattern
        cache = self.__dict__.setdefault("_patterns_by_kind", {})
        if kinds not in cache:
            words = sorted((w for w, ts in self._by_text.items() if len(w) >= 2 and any(t.kind in kinds for t in ts)),
                           key=len, reverse=True)
            cache[kinds] = re.compile("|".join(re.escape(w) for w in words), re.I) if words else None
        return cache[kinds]

    def find(self, text: str, kinds: tuple[str, ...] | None = None, docs: set[str] | None = None) -> list[Match]:
        """Terms in ``text``, longest first at each position, left to right (ASCII case-insensitive)."""
        pattern = self._pattern_of(tuple(kinds) if kinds is not None else None)
        if pattern is None:
            return []
        out = []
        for m in pattern.finditer(text or ""):
            for t in self._by_text[m.group().lower()]:
                if (kinds is None or t.kind in kinds) and (docs is None or t.doc_id in docs):
                    out.append(Match(t, m.start(), m.end()))
        return out

    @cached_property
    def _abbreviable(self) -> tuple[tuple[str, Term], ...]:
        out = []
        for d in self.docs:
            for t in d.terms:
                plain = _QUOTES.sub("", t.text)
                if t.kind == "subject" and len(plain) >= 6 and plain == t.text.replace("“", "").replace("”", ""):
                    out.append((plain, t))
        return tuple(out)

    def abbreviations(self, text: str) -> list[Match]:
        """Short forms of recipients: "国家级小巨人" for 国家级专精特新“小巨人”企业 — the start of the name and
        a later part of it, in order (at least 5 characters, at least 40% of the name)."""
        out = []
        found = {(m.start, m.end) for m in self.find(text, kinds=("subject",))}
        for plain, t in self._abbreviable:
            head = plain[:2]
            i = text.find(head)
            while i >= 0:
                span = _abbreviation_at(text, i, plain)
                if span and (i, span) not in found:
                    out.append(Match(t, i, span))
                    break
                i = text.find(head, i + 1)
        return out

    def words(self) -> list[str]:
        """Multi-character terms to teach the tokenizer (so 算力服务券 stays one word)."""
        return sorted({t.text for d in self.docs for t in d.terms if 2 <= len(t.text) <= 12 and t.kind != "distinctive"})


def _abbreviation_at(text: str, i: int, name: str) -> int | None:
    """End of the longest abbreviation of ``name`` starting at text[i]: pieces of name in order (the first at its
    start, each at least 2 characters, at least two pieces), or None."""
    j, k, pieces, sizes = i, 0, 0, []
    while j < len(text) and k < len(name):
        n = 0
        while j + n < len(text) and k + n < len(name) and text[j + n] == name[k + n]:
            n += 1
        if n >= 2:
            j, k, pieces = j + n, k + n, pieces + 1
            sizes.append(n)
            continue
        if pieces == 0:
            return None
        nxt = name.find(text[j:j + 2], k) if j + 2 <= len(text) else -1
        if nxt < 0:
            break
        k = nxt
    length = j - i
    if pieces >= 2 and length >= 5 and length >= 0.4 * len(name) and (sizes[0] >= 5 or max(sizes[1:]) >= 3):
        return j  # "国家级小巨人", not "国家级企业"
    return None


def sidecar_path(policy_file: Path) -> Path:
    p = Path(policy_file)
    return p.with_name(p.stem + SUFFIX)


def build_lexicon(corpus, glossary: Glossary | None = None) -> Lexicon:
    """Derive every document's terms from its clauses and rules (plus its variant sidecar)."""
    glossary = glossary or default_glossary()
    clause_tokens = {c.id: set(tokenize(f"{c.article_title} {c.text}")) for c in corpus.clauses}
    n = max(1, len(clause_tokens))
    df: dict[str, int] = {}
    for toks in clause_tokens.values():
        for t in toks:
            df[t] = df.get(t, 0) + 1
    limit = max(1, min(MAX_DF, int(n * DISTINCT_SHARE)))
    docs = []
    sidecar_digest = hashlib.sha256()
    for doc in corpus.documents:
        rules = [r for r in corpus.rules if corpus.get(r.clause_id).doc_id == doc.id]
        terms: list[Term] = []
        texts = [c.text for c in doc.clauses]
        # a measure's core words name it only when few clauses use them ("制造业单项冠军", not "中小企业")
        terms += [t for t in _rule_terms(doc.id, rules)
                  if not (t.kind == "measure" and t.means == "core" and sum(t.text in x for x in texts) > 2)]
        terms += _doc_terms(doc)
        vocab: set[str] = set()
        by_token: dict[str, list[str]] = {}
        for c in doc.clauses:
            for t in clause_tokens[c.id]:
                vocab.add(t)
                by_token.setdefault(t, []).append(c.id)
        for tok, cids in by_token.items():
            if len(tok) >= 2 and df.get(tok, 0) <= limit and tok not in _GENERIC_TOKENS and not re.fullmatch(r"[\d.%％]+", tok) \
                    and not _COUNT_WORD.fullmatch(tok):
                terms.append(Term(tok, "distinctive", doc.id, tuple(cids)))
        path = sidecar_path(Path(doc.source_path)) if doc.source_path else None
        if path is not None and path.is_file():
            data = path.read_bytes()
            sidecar_digest.update(data)
            terms += _variants(path, data, doc)
        for t in terms:
            vocab |= set(tokenize(t.text))
            vocab.add(t.text)
        docs.append(DocLexicon(doc.id, doc.title, getattr(doc, "region", "") or "", getattr(doc, "level", "") or "",
                               tuple(_dedupe(terms)), frozenset(v.lower() for v in vocab)))
    return Lexicon(tuple(docs), glossary, sidecar_digest.hexdigest())


_QUOTES = re.compile(r"[“”‘’\"'「」『』]")


def _unquoted(terms: list[Term]) -> list[Term]:
    """Each term with quotation marks also without them: people type 专精特新小巨人企业, the text says
    专精特新“小巨人”企业."""
    return terms + [Term(_QUOTES.sub("", t.text), t.kind, t.doc_id, t.clause_ids, t.means) for t in terms
                    if _QUOTES.search(t.text) and len(_QUOTES.sub("", t.text)) >= 2]


def _dedupe(terms: list[Term]) -> list[Term]:
    seen: dict[tuple[str, str, str], Term] = {}
    for t in _unquoted(terms):
        key = (t.text, t.kind, t.means)
        if key in seen:
            old = seen[key]
            seen[key] = Term(t.text, t.kind, t.doc_id, tuple(dict.fromkeys(old.clause_ids + t.clause_ids)), t.means)
        else:
            seen[key] = t
    return list(seen.values())


def _rule_terms(doc_id: str, rules: list[Rule]) -> list[Term]:
    out = []
    for r in rules:
        cids = (r.clause_id,)
        name = re.sub(r"（按.*计）$", "", r.name)
        out.append(Term(name, "measure", doc_id, cids))
        core = re.sub(r"[（(][^）)]*[）)]|[“”‘’]", "", name)
        core = re.sub(r"^((国际级|国家级|省级|市级|区级|县级)[、和及]?|首次|新)+", "", core)
        core = re.sub(r"(奖励|补助|补贴|资助|支持|贴息|奖补|经费支持|资金支持)$", "", core)
        if 3 <= len(core) <= 14 and core != name:
            out.append(Term(core, "measure", doc_id, cids, "core"))
        voucher = re.search(r"([\u4e00-\u9fa5]{1,6}券)", r.name)
        if voucher:
            out.append(Term(voucher.group(1), "measure", doc_id, cids))
        if r.base:
            out.append(Term(r.base, "base", doc_id, cids))
        if r.subject and r.subject not in ("申报单位", "企业", "单位"):
            for s in re.split(r"[、和及或]|等(?=[\u4e00-\u9fa5]{3,12}$)", r.subject):  # "…、国家临床医学研究中心等国家级创新平台"
                if len(s) >= 2 and not re.fullmatch(r"(国际级|国家级|省级|市级|区级|县级|国家|省|市|区|县)", s):
                    out.append(Term(s, "subject", doc_id, cids))
        for t in r.tiers:
            out.append(Term(t.key, "tier", doc_id, cids))
        for th in r.thresholds:
            if th.measure and len(th.measure) >= 2:
                out.append(Term(th.measure, "condition", doc_id, cids))
    return out


def _doc_terms(doc: Document) -> list[Term]:
    out = [Term(doc.title, "title", doc.id)]
    region = getattr(doc, "region", "") or ""
    if region:
        out.append(Term(region, "region", doc.id))
        for part in re.findall(r"[\u4e00-\u9fa5]{1,8}?(?:省|市|区|县|新区|州)", region):
            out.append(Term(part, "region", doc.id))
            short = re.sub(r"(省|市|区|县|新区|州)$", "", part)
            if len(short) >= 2:
                out.append(Term(short, "region", doc.id))
    seen_depts: dict[str, list[str]] = {}
    for c in doc.clauses:
        for d in c.departments:
            seen_depts.setdefault(d, []).append(c.id)
    out += [Term(d, "department", doc.id, tuple(cids)) for d, cids in seen_depts.items()]
    for a in doc.articles:
        if a.title and len(a.title) >= 2 and not getattr(a, "title_derived", False):
            out.append(Term(a.title, "title", doc.id, tuple(a.clause_ids)))
    return out


def _variants(path: Path, data: bytes, doc: Document) -> list[Term]:
    name = path.name
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        m = re.search(r"line (\d+)", str(err))
        raise ParseError(name, int(m.group(1)) if m else None, f"不是有效的 TOML（{err}）") from None
    entries = parsed.get("variant", [])
    if not isinstance(entries, list):
        raise ParseError(name, None, "应为若干 [[variant]] 条目")
    text = doc.title + "".join(c.article_title + c.text for c in doc.clauses)
    headers = [i for i, line in enumerate(data.decode("utf-8").splitlines(), start=1) if line.strip() == "[[variant]]"]
    out = []
    for k, e in enumerate(entries):
        line = headers[k] if k < len(headers) else None
        words, means = e.get("words"), e.get("means")
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            raise ParseError(name, line, "words 应为非空的字符串列表")
        if not isinstance(means, str) or not means.strip():
            raise ParseError(name, line, "means 应为文件中的用语")
        if means not in text:
            raise ParseError(name, line, f"“{means}”不在政策原文中")
        if set(e) - {"words", "means"}:
            raise ParseError(name, line, f"未知字段：{'、'.join(sorted(set(e) - {'words', 'means'}))}")
        cids = tuple(c.id for c in doc.clauses if means in c.text or means in c.article_title)
        out += [Term(w.strip(), "variant", doc.id, cids, means) for w in words]
    return out


def sidecars_hash(corpus) -> str:
    """Hash of every document's sidecar files (rules and variants): part of the index fingerprint."""
    from assistant.sidecar import sidecar_path as rules_path

    h = hashlib.sha256()
    for d in corpus.documents:
        for p in (rules_path(Path(d.source_path)), sidecar_path(Path(d.source_path))) if d.source_path else ():
            if p.is_file():
                h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]
