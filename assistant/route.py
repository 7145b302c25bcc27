"""Routing: which documents and clauses answer a question, and which facts go to which rule.

Owns, in this order:

1. **documents**: a document the question names (its place, title or id), else the documents
   of the best hits (several when they score alike);
2. **clauses**: clause references, then clauses whose rules take a number the user stated
   (matched by base), then measures the question names (lexicon terms), then the best hits;
3. **facts → claims**: each stated number goes to at most one rule of a chosen clause in the
   same document: money by its base (the document's own words, its variant sidecar, the generic
   glossary, shared characters, then embedding similarity above a calibrated threshold), counts
   to per-unit rules and count conditions, areas, months, last year's value, amounts received,
   LPR; tier keys (国家级, A类, 辅导备案) to tiered rules;
4. **status** of each measure: counted, conditional (a subject the user never claimed: not in
   the total), not eligible, needs a fact (what to ask, with quick replies), review conditions
   (遴选/评审/择优: amounts are upper bounds).

A measure enters the total only if the question names it (its name, base, object or tier) or
the user's facts meet its subject. Does not word the answer (``compose``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace as dc_replace
from decimal import Decimal

from assistant import phrases
from assistant.amounts import format_yuan, to_yuan
from assistant.calculator import Claim, calculate_claims, calculate_ladder, combine
from assistant.errors import AmountError, MissingFactError
from assistant.quantities import scan
from assistant.rules import canonical_base
from assistant.text import words
from assistant.types import BlockStatus, Calculation, CapScope, Condition, Hit, Rule, RuleKind
from assistant.understand import Stated

CLOSE_SCORE = 0.75  # a hit this close to the best one (see ``closeness``) is shown too
MAX_MEASURES = 3
BASE_SIMILARITY = 0.55  # embedding similarity above which a stated amount is matched to a base (calibrated)
GENERIC_SUBJECTS = {"企业", "申报单位", "单位", "项目", "机构", "主体", "申请人", "个人", "单个项目", "单个企业", "所在区"}
_CLASS_SUBJECT = re.compile(r"(企业|单位|机构|数商|主体|公司|人才|团队|银行|个人)$")
_REVIEW = re.compile(r"[^，。；]*(遴选|评审|择优|综合评定|综合评估|示范效应明显|视情|优秀等次)[^，。；]*")
_GENERIC_BASE_CHARS = {"费用", "金额", "总额", "资金", "服务", "项目", "实际", "年度", "投入"}


@dataclass(frozen=True)
class Facts:
    """What the user has told us, across the turns of one conversation."""

    stated: tuple[Stated, ...] = ()
    subjects: tuple[tuple[str, bool], ...] = ()
    level: str | None = None
    said: tuple[str, ...] = ()  # earlier questions of the conversation, oldest first (for a tier named a turn ago)

    def subject(self, name: str) -> bool | None:
        name = _unquote(name)
        for s, v in self.subjects:
            s = _unquote(s)
            if s == name or (len(s) >= 3 and (s in name or name in s)):
                return v
        return None

    def with_subject(self, name: str, value: bool) -> "Facts":
        subjects = dict(self.subjects)
        subjects[name] = value
        return Facts(self.stated, tuple(subjects.items()), self.level, self.said)

    def merged_over(self, older: "Facts") -> "Facts":
        """These facts, with the older ones behind them (each older number one turn further back;
        routing lets a newer number for the same rule replace an older one)."""
        subjects = dict(older.subjects)
        subjects.update(dict(self.subjects))
        stated = tuple(dc_replace(s, turn=s.turn + 1) for s in older.stated) + tuple(self.stated)
        return Facts(stated, tuple(subjects.items()), self.level or older.level, older.said + self.said)


@dataclass(frozen=True)
class Measure:
    """One rule (or one clause without a rule) as it stands in this answer."""

    clause_id: str
    doc_id: str
    rule: Rule | None
    status: BlockStatus
    calculation: Calculation | None = None
    conditions: tuple[Condition, ...] = ()
    if_text: str = ""
    ask: str = ""
    options: tuple[str, ...] = ()
    ask_subject: str = ""
    named: bool = False
    refer: str = ""  # another clause that governs the user's case (一事一议 above the top tier): shown with it
    refer_condition: str = ""  # that clause's words the user's case meets ("营业收入首次突破50亿元")


@dataclass
class Route:
    doc_ids: list[str]
    clause_ids: list[str]
    measures: list[Measure] = field(default_factory=list)


# ---------------------------------------------------------------- documents


_PAYER_WORDS = re.compile(r"(区里|区级|本区|县里|县级|本县|市里|市级政策|本市)")


def _payer_level(question: str) -> str | None:
    """The level of government the question asks to pay, named last: 区里/县级/本市…, or 区/县/市 opening a phrase
    before a body of that government ("区科技创新引导基金能给…", "县财政给多少"; not 园区, 社区, and not "纳入市高新
    技术企业培育库", where 市 says whose list, not who pays)."""
    found = [(m.start(), m.group(1)[0]) for m in _PAYER_WORDS.finditer(question)]
    pos = 0
    for w in words(question):
        at = question.find(w, pos)
        if at < 0:
            continue
        pos = at + len(w)
        if w in ("区", "县", "市") and (at == 0 or question[at - 1] in "，,。；;？?！! ") and at + 1 < len(question) \
                and "\u4e00" <= question[at + 1] <= "\u9fff":
            found.append((at, w))
    return max(found)[1] if found else None


def choose_documents(u, hits: list[Hit], corpus, lexicon, active: set[str], focus: tuple[str, ...] = ()) -> list[str]:
    """Documents the question is about, best first."""
    named: list[str] = []
    for ref in u.clause_refs:
        m = re.match(r"([a-z][a-z0-9-]*):", ref)
        if m and m.group(1) in active:
            named.append(m.group(1))
    for m in u.terms:
        if m.term.kind in ("region", "title") and m.term.doc_id in active and m.term.doc_id not in named:
            if m.term.kind == "title" and not m.term.clause_ids or m.term.kind == "region":
                named.append(m.term.doc_id)
    for p in u.places:
        for d in corpus.documents:
            if d.id in active and d.id not in named and (p.full in (getattr(d, "region", "") or "") or p.name in d.title):
                named.append(d.id)
    if not named:  # "这个商贸流通政策有效期到什么时候"
        named = [d for d in lexicon.documents_by_title_words(u.question) if d in active]
    # the government the question asks to pay is named last ("我们是市里评的龙头企业…县里能帮着出多少" → 县)
    level_word = _payer_level(u.question)
    if level_word and not named:
        lv = level_word
        named = [d.id for d in corpus.documents if d.id in active and getattr(d, "level", "") == lv]
        if focus and (u.follow_up or u.reply):
            # in a follow-up, "本市"/"市里已经给了…" is about the conversation's documents, not a switch to another
            named = [d for d in focus if d in named] or list(focus)
    if named:
        return named
    if focus and (u.follow_up or u.reply) and all(f in active for f in focus):
        return list(focus)
    ranked: list[str] = []
    for h in hits:
        if h.clause.doc_id in active and h.clause.doc_id not in ranked:
            ranked.append(h.clause.doc_id)
    if not ranked:
        return []
    # terms the question uses pull their documents in; a second document must score close to the first
    term_docs = {m.term.doc_id for m in u.terms if m.term.kind not in ("region", "distinctive") and m.term.doc_id in active}
    close = closeness(hits)
    out = [ranked[0]]
    for d in ranked[1:3]:
        best = max((close.get(h.clause.id, 0) for h in hits if h.clause.doc_id == d), default=0)
        if d in term_docs and (best >= CLOSE_SCORE or ranked[0] not in term_docs):
            out.append(d)
    if ranked[0] not in term_docs and term_docs:
        out = [d for d in ranked if d in term_docs][:1] + [d for d in out if d not in term_docs]
    # the document the question's words point to most clearly goes first (a recipient the user says they
    # are counts double: "我们是低空经济企业" puts the user in that document's scope)
    weights = _doc_term_scores(u, active)
    if weights:
        best = max(weights, key=weights.get)
        if best != out[0] and weights[best] >= 1.5 * weights.get(out[0], 0.0) + 0.5:
            out = [best] + [d for d in out if d != best]
    return out


_DOC_TERM_WEIGHT = {"measure": 3.0, "variant": 2.5, "base": 2.0, "condition": 2.0, "subject": 1.5, "tier": 0.5, "distinctive": 1.0,
                    "title": 1.2}


def _doc_term_scores(u, active: set[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    seen: set[tuple[str, str]] = set()
    claimed = {name for name, v in u.subjects if v}
    for m in u.terms:
        d, k = m.term.doc_id, m.term.kind
        if d not in active or k not in _DOC_TERM_WEIGHT or (d, m.term.text) in seen:
            continue
        seen.add((d, m.term.text))
        w = _DOC_TERM_WEIGHT[k] * min(len(m.term.text), 8) / 4
        if k == "subject" and m.term.text in claimed and specific_subject(m.term.text) and not is_size_class(m.term.text):
            w *= 2
        out[d] = out.get(d, 0.0) + w
    return out


def closeness(hits: list[Hit]) -> dict[str, float]:
    """How close each hit is to the best one, 0..1, from the raw BM25 and dense scores."""
    bm = [h.bm25_score for h in hits if h.bm25_score is not None]
    ds = [h.dense_sim for h in hits if h.dense_sim is not None]
    out = {}
    for h in hits:
        parts = []
        if bm and max(bm) > 0:
            parts.append((h.bm25_score or 0.0) / max(bm))
        if len(ds) > 1:
            lo, hi = min(ds), max(ds)
            parts.append(((h.dense_sim if h.dense_sim is not None else lo) - lo) / (hi - lo) if hi > lo else 1.0)
        out[h.clause.id] = sum(parts) / len(parts) if parts else 0.0
    return out


# ---------------------------------------------------------------- clauses and facts


# words that end many bases and say only that it is money ("算力服务费用", "实际服务金额"): not what a base is about
_GENERIC_BASE_TAILS = frozenset("费用 费 金额 总额 数额 额 资金 款 款项 支出 开支 成本 投入 投资 收入 价款".split())


def base_score(context: str, rule: Rule, lexicon) -> float:
    """How surely ``context`` (the words around a stated amount) names this rule's base, 0..1."""
    if not rule.base:
        return 0.0
    base = rule.base
    canon = canonical_base(base)
    if base in context or (len(canon) >= 3 and canon in context):
        return 1.0
    for th in rule.thresholds:
        if th.unit == "元" and th.measure and th.measure in context:
            return 0.97
    gloss = re.search(re.escape(base) + r"（以([^（）]{2,16}?)为准）", rule.segment)
    if gloss:
        # "按企业实际让利金额（以消费券核销金额为准）": the words of the gloss name the base ("实际核销320万元")
        core = re.sub(r"(金额|数额|额)$", "", gloss.group(1))
        tail = core[-2:]
        if len(tail) == 2 and tail in context:
            return 0.96
    if (rule.kind is RuleKind.INTEREST and rule.interest_basis == "actual" or "利息" in base) and re.search(r"(利息|付息|息费)", context):
        return 0.9  # "实际付了利息90万元": the interest paid, whatever the verb
    if len(canon) >= 2 and canon in context:
        return 0.95
    doc = rule.clause_id.split(":", 1)[0] if ":" in rule.clause_id else None
    for m in lexicon.find(context, kinds=("variant",)):
        if doc is not None and m.term.doc_id != doc:
            continue
        means = m.term.means
        if means == base or means in base or base in means or canonical_base(means) == canon:
            return 0.9
        if rule.name.startswith(means) or means in rule.name:
            return 0.85
    gloss = [t for t in lexicon.glossary.matches(context) if len(t) >= 2]
    if any(t == base or canonical_base(t) == canon or canon in t for t in gloss):
        return 0.8
    parts = [t for t in gloss if t in base or canonical_base(t) in canon]  # a part of the base ("贷款" of 贷款本金损失)
    if parts:
        heads = [w for w in words(canon) if w not in _GENERIC_BASE_TAILS]
        head = heads[-1] if heads else ""
        named = [t for t in parts if not head or head in t or head in context]
        if not named:
            return 0.3  # "银行贷款…利息交了80万" does not name 贷款本金损失: its head (损失) is not said
        return max(0.5 + 0.3 * len(t) / max(len(canon), len(t)) for t in named)
    for part in re.split(r"[、和及与]", rule.subject):
        part = re.sub(r"(费用|等)$", "", part)
        if len(part) >= 2 and part not in ("企业", "单位", "项目", "申报单位") and part in context:
            return 0.85
    common = _longest_specific_common(canon, context)
    if len(common) >= 2:
        return min(0.79, 0.25 + 0.1 * len(common))  # 2 shared characters alone are not enough
    return 0.0


def _longest_specific_common(a: str, b: str) -> str:
    """The longest stretch of ``a`` found in ``b`` that is not a generic word (实际, 费用 …)."""
    best = ""
    for i in range(len(a)):
        for j in range(i + max(2, len(best) + 1), len(a) + 1):
            piece = a[i:j]
            if piece not in b:
                break
            if piece not in _GENERIC_BASE_CHARS:
                best = piece
    return best


def _longest_common(a: str, b: str) -> str:
    best = ""
    for i in range(len(a)):
        for j in range(i + len(best) + 1, len(a) + 1):
            if a[i:j] in b:
                best = a[i:j]
            else:
                break
    return best


def named_clauses(u, doc_ids: list[str], corpus, outside: list[tuple[int, int]] | None = None) -> dict[str, float]:
    """Clauses whose measures the question names, with a strength (longer, more specific terms win).
    With ``outside``, terms inside those spans (the user's description of themselves) do not count."""
    out: dict[str, float] = {}
    weight = {"measure": 3.0, "variant": 2.5, "base": 2.0, "tier": 1.5, "condition": 2.0, "subject": 1.5, "distinctive": 1.0,
              "title": 1.2, "department": 0.5}
    spans: dict[str, list[tuple[int, int]]] = {}  # per document: one document's term does not hide another's
    for m in sorted(u.terms, key=lambda m: -(m.end - m.start)):
        if m.term.doc_id not in doc_ids or m.term.kind not in weight:
            continue
        if outside and any(a <= m.start and m.end <= b for a, b in outside):
            continue
        taken = spans.setdefault(m.term.doc_id, [])
        if m.term.kind == "distinctive" and any(a <= m.start and m.end <= b for a, b in taken):
            continue
        taken.append((m.start, m.end))
        cids = list(m.term.clause_ids)
        if m.term.kind == "distinctive":
            wider = _wider_compound(u.question, m.start, m.end, doc_ids, corpus)
            if wider is not None:
                cids = [c for c in cids if c in wider]  # "重点实验室": not the clause that only says 联合实验室
        if m.term.kind == "variant" and not cids:
            continue
        if len(cids) > 4 and m.term.kind not in ("department",):
            continue
        for cid in cids:
            if corpus.has(cid):
                out[cid] = out.get(cid, 0.0) + weight[m.term.kind] * min(len(m.term.text), 8) / 4
    return out


def _wider_compound(q: str, start: int, end: int, doc_ids: list[str], corpus) -> set[str] | None:
    """The clauses that use the question's own longer compound around a short term: "重点实验室" for the term
    实验室 (a clause that says only 联合实验室 is about another kind). None when no clause in force uses more
    than the term itself."""
    found = None
    for k in range(2, 5):
        if start - k < 0 or not all("\u4e00" <= ch <= "\u9fff" for ch in q[start - k:start]):
            break
        wider = q[start - k:end]
        cids = {c.id for c in corpus.clauses if c.doc_id in doc_ids and wider in c.text}
        if not cids:
            break
        found = cids
    return found


LITERAL_MIN = 8  # characters a question must share verbatim with a rule's sentence to name it
_PUNCT = re.compile(r"[，,。；;：:、“”‘’\"'（）()《》\s]")


_NUMBER = re.compile(r"[\d.．,，]+\s*(万元|亿元|元|万|亿|%|％|个|人|名|件|项|年|月)?|[一二两三四五六七八九十百千]+(万元|亿元|万|亿)")


def _literal_text(q: str) -> str:
    """The question's words for verbatim matching: numbers (which every clause has) become a break."""
    return _PUNCT.sub("", _NUMBER.sub("|", q))


_IDENTITY = re.compile(r"(?:(?:我们|我司|我公司|本公司|本企业|我们公司|我们企业|我们单位|本单位|我们厂|我)(?:是|属于|作为|系)|(?:作为|身为))"
                       r"(?P<who>[^，。；？！,?!（(]{2,30})")


# where the user's customers or visitors stayed or ate ("在县内三星级酒店住了2晚"): a place, not the user's own status
_STAYED_AT = re.compile(r"在(?P<who>[^，。；？！,?!在]{2,16}?)(?:住了|入住|住宿|过夜|住|用餐|吃饭|就餐)")


def identity_spans(q: str) -> list[tuple[int, int]]:
    """Where the user says who they are ("我们是滨湖区的国家级专精特新小巨人企业") or where their guests stayed
    ("在县内三星级酒店住了2晚"): words there describe the asker's situation, they do not name the measure asked about."""
    return [m.span("who") for m in _IDENTITY.finditer(q)] + [m.span("who") for m in _STAYED_AT.finditer(q)]


def _masked(q: str, spans: list[tuple[int, int]]) -> str:
    for a, b in spans:
        q = q[:a] + "|" * (b - a) + q[b:]
    return q


def literal_names(u, clause_ids: list[str], corpus, question: str | None = None) -> dict[str, int]:
    """Rules the question quotes: the longest stretch of the question found verbatim in the rule's
    sentence ("首次被认定为省级专精特新中小企业"), when that stretch is at least ``LITERAL_MIN``
    characters and at most two clauses of the document use it. Rule id → its length."""
    q = _literal_text(u.question if question is None else question)
    out: dict[str, int] = {}
    if len(q) < LITERAL_MIN:
        return out
    for cid in dict.fromkeys(clause_ids):
        if not corpus.has(cid):
            continue
        texts = None
        for r in corpus.rules_for(cid):
            common = _longest_common(q, _PUNCT.sub("", r.segment))
            if len(common) < LITERAL_MIN:
                continue
            subject = _PUNCT.sub("", r.subject)
            if len(subject) >= 2 and (common in subject or len(common.replace(subject, "")) < LITERAL_MIN - 1):
                continue  # the recipient's name ("国家级专精特新小巨人企业") says who, not which award
            if texts is None:
                doc = corpus.get(cid).doc_id
                texts = [_PUNCT.sub("", c.text) for c in corpus.clauses if c.doc_id == doc]
            if sum(common in t for t in texts) <= 2:
                out[r.id] = len(common)
    return out


def candidate_rules_of(corpus, rule_ids) -> list[Rule]:
    return [r for r in corpus.rules if r.id in rule_ids] if rule_ids else []


_QUOTE_CHARS = re.compile(r"[“”‘’\"'「」『』]")


def _unquote(text: str) -> str:
    return _QUOTE_CHARS.sub("", text)


def _mentions(rule: Rule, t: str) -> bool:
    t = _unquote(t)
    return t in _unquote(rule.segment) or t in _unquote(rule.name) or bool(rule.base and t in rule.base) \
        or any(t in k.key or k.key in t for k in rule.tiers)


_EVENT = re.compile(r"(认定为|被认定|认定|获评为?|获批为?|评为|评上|评价|入选|入库|晋升为|晋级为|晋级|升级为|成为|新获|获得|通过)[^，。；]{0,6}$")


_EVENT_AFTER = re.compile(r"^[^，。；]{0,2}(新获批|获批|新获评|获评|被认定|新认定|认定为|入选|晋级|晋升|升级)")


def _span_of(text: str, t: str) -> tuple[int, int]:
    """Where ``t`` is in ``text`` (quotation marks ignored), as positions in ``text``."""
    i = text.find(t)
    if i >= 0:
        return i, i + len(t)
    plain, t = _unquote(text), _unquote(t)
    i = plain.find(t)
    if i < 0:
        return -1, -1
    keep = [k for k, ch in enumerate(text) if not _QUOTE_CHARS.match(ch)]
    return keep[i], keep[i + len(t) - 1] + 1


def _event_named(text: str, start: int, end: int) -> bool:
    """The words at start:end follow or precede a recognition verb ("新认定为省级工业设计中心")."""
    if start < 0 or end - start < 4:
        return False  # a bare level (国家级) is not what is recognised
    return bool(_EVENT.search(text[max(0, start - 10): start]) or _EVENT_AFTER.match(text[end: end + 8]))


def _names_another_clause(u, clause_id: str, literal: dict[str, int] | None) -> bool:
    """Some other clause is named by a quoted stretch or by a word at most two clauses use."""
    if literal and any(not rid.startswith(clause_id + "-") for rid in literal):
        return True
    return any(x.term.kind in ("measure", "base", "condition", "variant", "distinctive") and clause_id not in x.term.clause_ids
               and len(set(x.term.clause_ids)) <= 2 for x in u.terms)


def rule_named(rule: Rule, u, named: dict[str, float], siblings: list[Rule] | None = None, shared_bases: frozenset = frozenset(),
               literal: dict[str, int] | None = None) -> bool:
    """The question names this rule: a term of it (its name, base, object or condition words)
    that its sibling rules in the same clause do not share, or a long stretch of its sentence
    quoted verbatim (``literal_names``) that is clearly longer than any sibling's. Who the user is
    (a subject, a tier such as 国家级 or D类) is a fact for the claim, not the measure's name."""
    if rule.clause_id not in named:
        return False
    # awards of one condition ("对新评定为全国甲级旅游民宿的" 50万元 and 3年×10万元) are named together
    others = [r for r in (siblings or []) if r.id != rule.id and rule.id != r.continues and r.id != rule.continues]
    if literal and literal.get(rule.id, 0) >= LITERAL_MIN and all(literal.get(o.id, 0) + 3 <= literal[rule.id] for o in others):
        return True
    for m in u.terms:
        if rule.clause_id not in m.term.clause_ids:
            continue
        t = m.term.means if m.term.kind == "variant" else m.term.text
        if m.term.kind == "distinctive" and len(t) < 3 and len(m.term.clause_ids) > 2:
            continue  # a short word several clauses use does not name one measure
        if m.term.kind in ("department", "region", "title"):
            continue
        if m.term.kind == "tier" and not (len(t) >= 4 and not re.search(r"(级|类|档|等奖|星)$", t) and len(set(m.term.clause_ids)) == 1
                                          and not _names_another_clause(u, rule.clause_id, literal)):
            continue  # a level (国家级, A类) is who the user is; a tier only one clause lists ("高级导游") names it, unless
            # the question names another measure ("我们是中华老字号…租金补贴能拿多少": 老字号 is who, 租金 is what)
        if m.term.kind == "subject" and (is_size_class(t) or t in GENERIC_SUBJECTS or not specific_subject(t)
                                         or len(set(m.term.clause_ids)) > 1) \
                and not (_event_named(u.question, m.start, m.end) and _event_named(rule.segment, *_span_of(rule.segment, t))):
            continue  # who the user is (中小企业, or a recipient several measures share) does not name one measure  # 中小企业 / 用人单位 say who the user is; "新认定为省级工业设计中心" names what is awarded
        if rule.base and rule.base in shared_bases and (t == rule.base or canonical_base(t) == canonical_base(rule.base)
                                                        or t in rule.base) and t not in re.sub(r"（按.*计）$", "", rule.name):
            continue  # 算力服务费用 names 3.4 and 3.5 alike: it picks neither
        if _mentions(rule, t) and not any(_mentions(o, t) for o in others):
            return True
        if m.term.kind == "distinctive" and others and all(_mentions(o, t) for o in [rule] + others) \
                and said_levels(u.question) == [_required_level(rule)] \
                and len({_required_level(o) for o in [rule] + others}) == len(others) + 1:
            return True  # "国家级的重点实验室": the clause's awards differ only by level, and the question says which
    return False


def route(u, facts: Facts, hits: list[Hit], engine, doc_ids: list[str], topic: tuple[str, ...] = (),
          topic_rules: tuple[str, ...] = ()) -> Route:
    corpus = engine.corpus
    ranked = [h.clause.id for h in hits if h.clause.doc_id in doc_ids]
    chosen: list[str] = []

    # 1. clause references
    referred: list[str] = []
    for ref in u.clause_refs:
        own = resolve_refs(ref, corpus, doc_ids)
        referred += own
        for cid in own + _same_number_elsewhere(ref, u, corpus, engine.lexicon, doc_ids):
            if cid not in chosen:
                chosen.append(cid)
    exact = [h.clause.id for h in hits if "exact" in h.sources and h.clause.doc_id in doc_ids]
    for cid in exact:
        if cid not in chosen:
            chosen.append(cid)

    named = named_clauses(u, doc_ids, corpus)
    # the question's words, and the documents' words for its colloquial ones ("首次进规" → 纳入规模以上工业企业统计)
    said = u.question + "|" + "|".join(t for t in engine.lexicon.glossary.matches(u.question) if len(t) >= 4)
    literal = literal_names(u, ranked[:12] + list(named), corpus, said)
    for r in candidate_rules_of(corpus, literal):
        named[r.clause_id] = max(named.get(r.clause_id, 0.0), 2.0 + 0.1 * literal[r.id])
    # what the question asks about, apart from who the user says they are
    who = identity_spans(u.question)
    asked = set(named)
    asked_firmly = asked
    if who:
        masked = _masked(u.question, who)
        lit_out = literal_names(u, list(named), corpus,
                                masked + "|" + "|".join(t for t in engine.lexicon.glossary.matches(masked) if len(t) >= 4))
        outside = named_clauses(u, doc_ids, corpus, who)
        asked = set(outside) | {r.clause_id for r in candidate_rules_of(corpus, lit_out)}
        # a clause of the same article counts as asked only when named by more than a short common word ("生产")
        asked_firmly = {c for c in asked if outside.get(c, 2.0) >= 1.0}
    if topic and (u.follow_up or u.reply):
        topic = tuple(dict.fromkeys(sibling_said(u.question, c, corpus) or c for c in topic))  # "4A级" after 3A级's item
        for cid in topic:  # what the user asked about a turn ago is what "这个/那…呢" names
            if corpus.has(cid) and corpus.get(cid).doc_id in doc_ids:
                named[cid] = max(named.get(cid, 0.0), 2.5)
    candidate_rules = [r for d in doc_ids for r in corpus.rules_by_doc.get(d, ())]

    # 2. stated money → the rule whose base it names
    assigned: dict[str, list] = {}
    amounts = [s for s in facts.stated if s.kind == "money" and s.role in ("amount", "previous")]
    scores: dict[int, float] = {}
    for s in [a for a in amounts if a.role == "amount"]:
        rule, score = _best_rule_for_amount(s, candidate_rules, u, facts, named, ranked, engine, chosen + list(topic))
        if rule is not None:
            assigned.setdefault(rule.id, []).append(s)
            scores[id(s)] = score
    for rid, got in list(assigned.items()):
        # a newer number replaces an older one; of one turn's numbers, those that name the base best
        # ("贷款800万元…本金损失了500万元" → the loss, not the loan)
        newest = min(s.turn for s in got)
        got = [s for s in got if s.turn == newest]
        top = max(scores[id(s)] for s in got)
        got = [s for s in got if scores[id(s)] >= top - 0.01]
        # "营业收入1.3亿元，第一次突破1亿元": the second number restates the milestone, the first is the value
        own = [s for s in got if not _MILESTONE_WORD.search(s.context)]
        assigned[rid] = own or got
        cid = next(r.clause_id for r in candidate_rules if r.id == rid)
        if cid not in chosen:
            chosen.append(cid)
    # "在按本条第一项给予补助的基础上，再按…的2%给予追加补助": the first item is paid too, on the same amount
    carried: set[str] = set()
    literal_rules = {r.id for r in candidate_rules_of(corpus, literal)}
    denied: set[str] = set()
    for r in candidate_rules:
        if r.on_top_of and _condition_match(u, r, corpus.get(r.clause_id).text) == -1:
            denied.add(r.id)  # "项目没有列入省级重点技改计划": the additional award's condition fails
            continue
        # the additional award whose own condition the question states ("列入了省级重点技改项目计划")
        if r.on_top_of and (r.id in literal_rules or _measure_term_names(u, r.clause_id) or _condition_named(u, r, corpus.get(r.clause_id).text)):
            base_rules = [t for t in corpus.rules_for(r.on_top_of) if t.id in assigned and t.base and r.base
                          and canonical_base(t.base) == canonical_base(r.base)]
            if r.id in assigned:
                carried.add(r.id)
            elif base_rules:
                assigned.setdefault(r.id, assigned[base_rules[0].id])
                carried.add(r.id)
                if r.clause_id not in chosen:
                    chosen.append(r.clause_id)
    for rid, got in list(assigned.items()):
        r = next(x for x in candidate_rules if x.id == rid)
        if not r.on_top_of or not corpus.has(r.on_top_of):
            continue
        for t in corpus.rules_for(r.on_top_of):
            if t.id not in assigned and t.base and r.base and canonical_base(t.base) == canonical_base(r.base):
                assigned[t.id] = got
                carried.add(t.id)
                if t.clause_id not in chosen:
                    chosen.insert(chosen.index(r.clause_id) if r.clause_id in chosen else len(chosen), t.clause_id)

    # 3. topic of a follow-up
    if (u.follow_up or u.reply or (facts.stated and not named and not u.clause_refs)) and topic:
        for cid in topic:
            if cid not in chosen and corpus.has(cid) and corpus.get(cid).doc_id in doc_ids:
                chosen.append(cid)

    # 4. measures the question names, strongest first (a clause named only by the base of an amount
    #    that went to another rule is not named: "算力服务费80万" names the base, not every measure using it)
    used_bases = {r.base for r in candidate_rules if r.id in assigned and r.base}
    base_only = _named_only_by_bases(u, used_bases, doc_ids)
    strong = bool(assigned) or any(sc >= 2.0 for sc in named.values())
    for cid, score in sorted(named.items(), key=lambda kv: (-kv[1], ranked.index(kv[0]) if kv[0] in ranked else 99)):
        if len([c for c in chosen if not corpus.get(c).is_final_provision]) >= MAX_MEASURES:
            break
        if cid in base_only or cid in chosen or corpus.get(cid).is_final_provision:
            continue
        if who and asked and cid not in asked and not any(_same_article(corpus, c, cid)
                                                          for c in asked_firmly if corpus.has(c)):
            continue  # named only by the user's description of themselves, while the question names another measure
        if _explained_by(u, cid, chosen, corpus, literal):
            continue  # its words are part of a measure already chosen ("受让一项发明专利" names 专利转化, not 专利资助)
        rules_here = corpus.rules_for(cid)
        if rules_here and not any(rule_named(r, u, named, rules_here, literal=literal) for r in rules_here) \
                and not _measure_term_names(u, cid):
            continue  # named only by words it shares with other measures, or by a tier word
        if rules_here and score < 1.0 and strong:
            continue  # beside a measure the question clearly names, not one a single short word points to ("投入")
        if score >= 2.0 or cid in ranked[:5]:
            chosen.append(cid)

    # 5. best hits
    close = closeness([h for h in hits if h.clause.doc_id in doc_ids])
    measures_ranked = [c for c in ranked if not corpus.get(c).is_final_provision]
    if u.clause_refs and chosen and u.has("lookup"):
        measures_ranked = []  # "第四条第三项讲的是什么": that clause, not what else retrieval brings
    for i, cid in enumerate(measures_ranked[:3]):
        if cid in chosen or len(chosen) >= MAX_MEASURES:
            continue
        if (i == 0 and not chosen) or close.get(cid, 0.0) >= CLOSE_SCORE and not named:
            chosen.append(cid)
    if not chosen and ranked:
        chosen.append(ranked[0])

    # "本条所称高级管理人员，是指…" explains an award; asked for an amount or a department, the award is what is asked
    # (only for the measure the answer leads with: beside others it is context, not the question)
    first = next((c for c in chosen if not corpus.get(c).is_final_provision), None)
    paying = _paying_sibling(first, u, corpus) if first and first not in referred else None
    if paying and paying not in chosen:
        chosen.insert(chosen.index(first), paying)
    dropped = _contrasted(chosen, u, corpus) - set(referred)
    chosen = [c for c in chosen if c not in dropped]
    r = Route(doc_ids, chosen)
    follow = u.follow_up or u.reply
    r.measures = _measures(u, facts, chosen, assigned, named, engine, topic if follow else (), literal, topic_rules if follow else (),
                           carried, denied)
    r.measures = _governed_by_case(facts, r.measures, ranked, corpus)
    r.measures = _raised_standards(r.measures)
    r.measures = _deducted_siblings(r.measures)
    r.measures = _pooled_clause_caps(r.measures)
    r.measures = _highest_only(r.measures, corpus)
    r.clause_ids = list(dict.fromkeys(r.clause_ids + [m.clause_id for m in r.measures]))
    return r


_HIGHEST_ONLY = re.compile(r"(?:同时|多个|多项)[^。；]{0,16}(?:按|按照)(?:其中)?(?:最高|就高)(?:标准|档次|层级|等级)?[^。；]{0,8}(?:给予|奖励|执行|补助)"
                           r"|不重复享受|不叠加享受")
_PER_ITEM_RULE = re.compile(r"同一(?:产品|项目|品种|作品|件|个)")


_RESTRICTS = re.compile(r"不得|不予|不再|取消|停止|追回|暂停|收回")


def _paying_sibling(cid: str, u, corpus) -> str | None:
    """An item with no award of its own (a definition, a limit on how many may claim) that retrieval put
    first, when the question asks for an amount or a department: the one item of the same article that
    pays. None when the item pays itself, or when no item or several items of the article pay (which of
    them is asked cannot be told from the explaining item)."""
    if corpus.rules_for(cid) or not (u.has("amount") or u.has("department")) or _RESTRICTS.search(corpus.get(cid).text):
        return None  # an item that takes the award away (被降低等级的，3年内不得申报) is not its explanation
    if any(n.clause_id == cid for n in corpus.non_computable):
        return None  # an award of its own that could not be read, or a rule for the others: not an explanation
    paying = [c.id for c in corpus.clauses if c.id != cid and _same_article(corpus, c.id, cid)
              and not c.is_final_provision and corpus.rules_for(c.id)]
    return paying[0] if len(paying) == 1 else None


def _highest_only(measures: list[Measure], corpus) -> list[Measure]:
    """"同一年度同时入选多个榜单的，按最高标准给予奖励，不重复享受": of a clause's awards the user meets, only the
    highest is paid (unless the clause says so per product or project: "同一产品符合多个奖励类别的…")."""
    by_clause: dict[str, list[Measure]] = {}
    for m in measures:
        if m.status is BlockStatus.COUNTED and m.calculation is not None and m.calculation.amount_yuan:
            by_clause.setdefault(m.clause_id, []).append(m)
    out = list(measures)
    for cid, ms in by_clause.items():
        text = corpus.get(cid).text
        hit = _HIGHEST_ONLY.search(text)
        if len(ms) < 2 or not hit or _PER_ITEM_RULE.search(text[max(0, hit.start() - 20): hit.end()]):
            continue
        top = max(ms, key=lambda m: m.calculation.amount_yuan)
        for m in ms:
            if m is top:
                continue
            calc = dc_replace(m.calculation, amount_yuan=0, eligible=False, reason="按最高标准给予，不重复享受",
                              formula=f"同时符合的按最高标准给予，不重复享受：不另计（单独计为{format_yuan(m.calculation.amount_yuan)}）")
            out[out.index(m)] = dc_replace(m, status=BlockStatus.NOT_ELIGIBLE, calculation=calc,
                                           conditions=m.conditions + (Condition(cid, "按最高标准给予，不重复享受", "not_met"),))
    return out


def _deducted_siblings(measures: list[Measure]) -> list[Measure]:
    """"对挂牌的…给予50万元；对上市的…分三个阶段拨付：…3.成功上市的，拨付剩余100万元，已获挂牌奖励的，在本阶段拨付时予以
    扣除": both counted in one answer, the stage pays less the other award."""
    out = list(measures)
    for i, m in enumerate(out):
        calc = m.calculation
        if m.status is not BlockStatus.COUNTED or calc is None or m.rule is None or "已获的需扣除" not in calc.formula:
            continue
        deduct = next((t.deduct for t in m.rule.tiers if t.deduct and t.deduct in calc.formula), "")
        for o in out:
            if o is m or o.clause_id != m.clause_id or o.status is not BlockStatus.COUNTED or o.calculation is None or o.rule is None:
                continue
            word = re.sub(r"(已获得?|奖励|的|在本阶段拨付时予以扣除|予以扣除|扣除|，)", "", deduct)
            if len(word) >= 2 and word in o.rule.segment:
                got = o.calculation.amount_yuan
                left = max(0, calc.amount_yuan - got)
                formula = calc.formula.replace("（" + deduct + "，已获的需扣除）", "") + f"；{deduct}：减去本次同时测算的{o.rule.name}{format_yuan(got)}，按{format_yuan(left)}计"
                out[i] = dc_replace(m, calculation=dc_replace(calc, amount_yuan=left, formula=formula))
                break
    return out


_RAISED = re.compile(r"(标准|补贴|奖励|资助|补助)?(提高至|提高到|上调至|提高为)")


def _raised_standards(measures: list[Measure]) -> list[Measure]:
    """"按展览面积每平方米20元…；对连续三年在我市举办的品牌展会，补贴标准提高至每平方米30元": the raised standard
    replaces the first for the cases it covers, it is not paid on top. Of the two, the raised one counts when the
    question identifies it, else the first one."""
    out = list(measures)
    counted = [i for i, m in enumerate(out) if m.status is BlockStatus.COUNTED and m.calculation is not None and m.rule is not None]
    for i in counted:
        raised = out[i]
        if not _RAISED.search(raised.rule.segment):
            continue
        base = [j for j in counted if j < i and out[j].clause_id == raised.clause_id and out[j].status is BlockStatus.COUNTED]
        if not base:
            continue
        j = base[-1]
        drop = j if raised.named else i
        out[drop] = dc_replace(out[drop], status=BlockStatus.INFO, calculation=None)
    return out


def _pooled_clause_caps(measures: list[Measure]) -> list[Measure]:
    """Awards of one clause that share its recipient-wide ceiling ("参加境外展会的…；参加境内展会的…。同一企业年度
    展会补贴总额最高30万元"): their sum is held to it, the last award counted gets what is left."""
    out = list(measures)
    groups: dict[tuple, list[int]] = {}
    for i, m in enumerate(out):
        if m.status is not BlockStatus.COUNTED or m.calculation is None or m.rule is None:
            continue
        for c in m.rule.caps:
            if c.scope.aggregates and c.scope is not CapScope.ITEM:
                groups.setdefault((c.clause_id or m.clause_id, c.scope, c.amount.value), []).append(i)  # or the article's cap clause
    for (cid, _, limit), idx in groups.items():
        rules = {out[i].rule.id for i in idx}
        if len(rules) < 2:
            continue
        total = sum(out[i].calculation.amount_yuan for i in idx)
        if total <= limit:
            continue
        last = idx[-1]
        calc = out[last].calculation
        left = max(0, int(limit) - (total - calc.amount_yuan))
        cap = next(c for c in out[last].rule.caps if c.amount.value == limit)
        own = calc.formula.replace(f"（未超过{cap.text or ''}上限{format_yuan(limit)}）", "")
        formula = (f"{own}；与受[{cid}]同一上限约束的其他奖励合计{format_yuan(total)}，超过{cap.text or ''}上限"
                   f"{format_yuan(limit)}，本项按{format_yuan(left)}计")
        out[last] = dc_replace(out[last], calculation=dc_replace(calc, amount_yuan=left, formula=formula, capped=True))
    return out


_CASE_BY_CASE = re.compile(r"(一事一议|一企一策|一项一议|一事一策|一企一议)")


def _governed_by_case(facts: Facts, measures: list[Measure], ranked: list[str], corpus) -> list[Measure]:
    """A clause that takes cases above a line "一事一议" ("对总投资1亿元以上的…重大项目，采取“一事一议”方式给予
    支持"), and the user's own amount of the same thing is above it: the general rule's figure is not the
    answer for that case; the measure is shown with the clause that governs it."""
    money = [st for st in facts.stated if st.kind == "money" and st.turn == 0 and st.role in ("amount", "claimed")]
    docs = {m.doc_id for m in measures if m.calculation is not None}
    if not money or not docs:
        return measures
    listed = {n.clause_id for n in corpus.non_computable}
    seen = dict.fromkeys([m.clause_id for m in measures] + ranked[:8])
    for c in (corpus.get(cid) for cid in seen if cid in listed):
        if c.doc_id not in docs or not _CASE_BY_CASE.search(c.text):
            continue
        for q in scan(c.text):
            bound = re.match(r"^(（含）)?(及以上|以上)", c.text[q.end: q.end + 6])
            noun = re.split(r"[，、；。]", c.text[: q.start])[-1][-8:]
            if q.kind != "money" or not bound:
                continue
            for st in money:
                if st.value < q.value or len(_longest_common(st.window or st.context, noun)) < 2:
                    continue
                phrase = noun.lstrip("对") + q.text + bound.group()
                yuan = to_yuan(st.value)
                out = []
                for m in measures:
                    calc = m.calculation
                    if calc is not None and m.doc_id == c.doc_id and calc.amount_yuan and yuan in calc.inputs.values():
                        m = dc_replace(m, status=BlockStatus.INFO, calculation=None, refer=c.id, refer_condition=phrase)
                    out.append(m)
                if out == measures:
                    return measures
                out = [m for m in out if m.clause_id != c.id]
                at = next(i for i, m in enumerate(out) if m.refer == c.id)
                out.insert(at, Measure(c.id, c.doc_id, None, BlockStatus.INFO,
                                       conditions=(Condition(c.id, phrase, "met"),), named=True))
                return out
    return measures


_MILESTONE_WORD = re.compile(r"(突破|达到|超过|越过|跨过|迈过|跨越|站上)了?$")


def _contrasted(chosen: list[str], u, corpus) -> set[str]:
    """Of two parallel items (same wording but for a few words: "上海证券交易所、深圳证券交易所…100万元" and
    "北京证券交易所…50万元"), the one whose own words the question never uses, when the other's it does."""
    from difflib import SequenceMatcher

    q = _literal_text(u.question)
    out: set[str] = set()
    ids = [c for c in chosen if corpus.has(c) and corpus.rules_for(c)]
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            if corpus.get(a).doc_id != corpus.get(b).doc_id:
                continue
            ta, tb = _literal_text(corpus.get(a).text), _literal_text(corpus.get(b).text)
            sm = SequenceMatcher(None, ta, tb, autojunk=False)
            if sm.ratio() < 0.6:
                continue
            own_a = [ta[i1:i2] for tag, i1, i2, _, _ in sm.get_opcodes() if tag in ("replace", "delete")]
            own_b = [tb[j1:j2] for tag, _, _, j1, j2 in sm.get_opcodes() if tag in ("replace", "insert")]
            hit_a = sum(len(_longest_common(q, x)) for x in own_a if len(_longest_common(q, x)) >= 2)
            hit_b = sum(len(_longest_common(q, x)) for x in own_b if len(_longest_common(q, x)) >= 2)
            if hit_a and not hit_b:
                out.add(b)
            elif hit_b and not hit_a:
                out.add(a)
    return out


def _named_only_by_bases(u, bases: set[str], doc_ids: list[str]) -> set[str]:
    """Clauses every naming term of which is (a variant of) one of ``bases``."""
    if not bases:
        return set()
    by_clause: dict[str, list[bool]] = {}
    for m in u.terms:
        if m.term.doc_id not in doc_ids:
            continue
        t = m.term.means if m.term.kind == "variant" else m.term.text
        is_base = any(t == b or canonical_base(t) == canonical_base(b) or (len(t) >= 2 and t in b) for b in bases)
        for cid in m.term.clause_ids:
            by_clause.setdefault(cid, []).append(is_base or m.term.kind == "distinctive" and any(t in b for b in bases))
    return {cid for cid, flags in by_clause.items() if flags and all(flags)}


def _same_number_elsewhere(ref: str, u, corpus, lexicon, doc_ids: list[str]) -> list[str]:
    """"第四条第三项讲的是什么" with several documents in force and none named: the clause of that number in each
    of the other documents too, first document first (the hotline does not have to say which document)."""
    if not re.match(r"^(第|[一二三四五六七八九十])", ref) or lexicon.named_documents(u.question):
        return []
    out = []
    for d in corpus.documents:
        if d.id in doc_ids[:1] or not corpus.is_active(d.id):
            continue
        out += [c for c in resolve_refs(ref, corpus, [d.id]) if corpus.get(c).doc_id == d.id][:1]
    return out[:2]


def resolve_refs(ref: str, corpus, doc_ids: list[str], limit: int = 3) -> list[str]:
    """The clauses a reference means: one clause ("第五条第一项"), or the first items of an article ("第二十四条").

    An id without a document prefix is looked up in the question's documents, best first
    ("青禾县农业政策第五条第一项" → r3-agri:5.1), then as the first document's own id."""
    from assistant.understand import clause_ref_to_id

    cid = clause_ref_to_id(ref)
    if cid is None:
        return []
    doc, _, local = cid.rpartition(":")
    candidates = [cid] if doc else [corpus.local_id(d, local) for d in doc_ids] + [local]
    for c in candidates:
        if not c:
            continue
        if corpus.has(c):
            return [c]
        if "." not in c.rpartition(":")[2]:  # an article: its items
            items = [x.id for x in corpus.clauses if x.id.startswith(c + ".")]
            if items:
                return items[:limit]
    return []


def _best_rule_for_amount(s, rules: list[Rule], u, facts: Facts, named, ranked, engine, preferred: list[str]) -> tuple[Rule | None, float]:
    money_rules = [r for r in rules if r.kind in (RuleKind.RATE, RuleKind.MARGINAL, RuleKind.INTEREST)
                   or (r.tiers and any(t.threshold for t in r.tiers)) or (r.kind is RuleKind.TIERED and r.base)]
    if not money_rules:
        return None, 0.0
    contexts = [s.context, s.window or s.context, s.after]
    prior = [x for x in facts.stated if x.kind == "money" and x.turn == s.turn and x.start < s.start]
    if prior and prior[-1].role == "previous" and len(s.window or "") <= 6 and not re.search(r"[\u4e00-\u9fff]{2,}(额|费|收入|投资|资金|成本)", s.context):
        # "上年营业额2200万元，今年2500万元": this year's figure is of the thing named with last year's
        contexts[0] = prior[-1].context + s.context
    scored: list[tuple[float, Rule]] = []
    raw: dict[str, float] = {}  # how well the number's own words name each base, before bonuses
    for r in money_rules:
        score = max(base_score(contexts[0], r, engine.lexicon), 0.95 * base_score(contexts[1], r, engine.lexicon))
        if score == 0:  # only when nothing before the number names a base: "100万元的研发投入"
            score = 0.6 * base_score(re.split(r"\d", contexts[2])[0], r, engine.lexicon)
        if r.tiers and any(t.threshold for t in r.tiers) and r.tier_label and any(
                r.tier_label in c or r.tier_label in engine.lexicon.glossary.matches(c) for c in contexts[:2]):
            score = max(score, 0.96)  # 营业收入 (or 营收) for milestones of 营业收入
        if r.increment and score > 0 and any(x.role == "previous" and x.kind == "money" for x in facts.stated):
            score += 0.25  # this year's and last year's figures: a rule on the increase over last year
        raw[r.id] = score
        # the measure itself named in the same stretch of words ("…应用场景项目入选，总投入200万元")
        if any(r.clause_id in m.term.clause_ids and m.term.kind in ("measure", "variant", "condition", "subject", "distinctive")
               and m.term.text in (s.window or "") for m in u.terms):
            score += 0.04
        v = facts.subject(r.subject)
        if score > 0 and v is True:
            score += 0.05
        elif v is False:
            score -= 0.3
        scored.append((score, r))
    best = max(s for s, _ in scored)
    if best < 0.5:
        sim = _embedding_scores(s.context or u.question, money_rules, engine)
        scored = [(max(sc, sim.get(r.id, 0.0)), r) for sc, r in scored]
        raw = {rid: max(v, sim.get(rid, 0.0)) for rid, v in raw.items()}
        best = max(sc for sc, _ in scored)
    if best < 0.5:
        # an amount with no base words: the one rate rule the question names, or of the follow-up topic
        pool = [r for r in money_rules if rule_named(r, u, named)] or [r for r in money_rules if r.clause_id in preferred]
        pool = [r for r in pool if not _window_names_elsewhere(s, r, u, named, engine.corpus)]
        if pool:
            pool.sort(key=lambda r: (_subject_penalty(r, facts), ranked.index(r.clause_id) if r.clause_id in ranked else 99))
            return pool[0], 0.5
        return None, 0.0
    top = [r for sc, r in scored if sc >= best - 0.02]
    # siblings on the same base told apart by their own words ("境外展会…展位费9万元" vs 境内展会)
    top = [r for r in top if not _sibling_named_instead(r, top, (s.window or "") + s.context)] or top
    said = said_levels(u.question)
    if said and all(_required_level(r) and _required_level(r) not in said for r in top):
        # "被认定为省级首台（套）…首年度销售合同金额600万元": the 省级 award on (nearly) the same base, not the 国家级 one
        other = [r for sc, r in scored if sc >= best - 0.3 and _required_level(r) in said]
        if other:
            top = other
    top.sort(key=lambda r: (_subject_penalty(r, facts), not _meets(r, s.value), -named.get(r.clause_id, 0.0),
                            preferred.index(r.clause_id) if r.clause_id in preferred else 50,
                            ranked.index(r.clause_id) if r.clause_id in ranked else 99))
    return top[0], raw.get(top[0].id, best)


def _sibling_marks(rule: Rule, rules: list[Rule]) -> tuple[set[str], set[str]]:
    """Words only this rule's sentence has, and words only its siblings' have, among the rules of its clause on
    the same base (境外 / 境内 for two rates on 展位费)."""
    siblings = [o for o in rules if o.clause_id == rule.clause_id and o.id != rule.id and o.base == rule.base]
    if not siblings:
        return set(), set()

    def ws(r: Rule) -> set[str]:
        return {w for w in words(r.segment.split("给予")[0]) if len(w) >= 2 and not any(ch.isdigit() for ch in w)}

    mine = ws(rule)
    other = set().union(*(ws(o) for o in siblings))
    return mine - other, other - mine


def _sibling_named_instead(rule: Rule, rules: list[Rule], near: str) -> bool:
    """The words around an amount are a sibling's own words and none of this rule's."""
    own, theirs = _sibling_marks(rule, rules)
    return not any(w in near for w in own) and any(w in near for w in theirs)


def _window_names_elsewhere(s, rule: Rule, u, named: dict[str, float], corpus) -> bool:
    """The amount's own words ("包装设计花了12万元") are words of another clause the question names and none
    of this rule's clause: the amount is that clause's, not this rule's base."""
    terms = {m.term.text for m in u.terms if m.term.kind != "department"}  # the documents' own words, not 分别/付了
    own = [w for w in words(s.context or s.window) if len(w) >= 2 and w in terms]
    mine = [cid for cid in (rule.clause_id, *rule.modifiers) if corpus.has(cid)]  # a modifier (比重达到5%…) reads it too
    text = "".join(corpus.get(cid).text for cid in mine)
    if not own or any(w in text for w in own):
        return False
    this_doc = corpus.get(rule.clause_id).doc_id
    return any(cid not in mine and corpus.get(cid).doc_id == this_doc and any(w in corpus.get(cid).text for w in own)
               for cid in named if corpus.has(cid))


def _meets(rule: Rule, value: Decimal) -> bool:
    """The amount satisfies the rule's own money thresholds (bands: 200万元以上、500万元以下 at 5%)."""
    return all(t.comparator.holds(value, t.amount.value) for t in rule.thresholds if t.unit == "元")


def _embedding_scores(context: str, rules: list[Rule], engine) -> dict[str, float]:
    """Cosine similarity of the amount's words with each base (USE / e5 embeddings), above the threshold."""
    embedder = getattr(engine.retriever, "embedder", None)
    if embedder is None or not context.strip():
        return {}
    try:
        import numpy as np

        texts = [r.base or r.name for r in rules]
        vecs = embedder.embed_queries([context] + texts)
        q, others = np.asarray(vecs[0]), np.asarray(vecs[1:])
        sims = others @ q / (np.linalg.norm(others, axis=1) * np.linalg.norm(q) + 1e-9)
    except Exception:  # noqa: BLE001 - a failing embedder only loses this fallback
        return {}
    return {r.id: (0.5 + float(s) - BASE_SIMILARITY) for r, s in zip(rules, sims) if float(s) >= BASE_SIMILARITY}


def _subject_penalty(rule: Rule, facts: Facts) -> int:
    v = facts.subject(rule.subject)
    if v is True:
        return 0
    if v is False:
        return 3
    return 1 if specific_subject(rule.subject) else 0


def is_size_class(subject: str) -> bool:
    """中小企业 and the like: a size class the user must state; nothing else in a question implies it."""
    from assistant.understand import SIZE_CLASS

    return subject.endswith(SIZE_CLASS) or subject in ("小微企业", "中型企业", "小型企业")


def specific_subject(subject: str) -> bool:
    """A recipient the user must be (中小企业, 牵头研发单位, 数据供方企业), not a generic 企业 or a project."""
    s = subject.strip()
    return bool(s) and s not in GENERIC_SUBJECTS and bool(_CLASS_SUBJECT.search(s)) and not s.endswith("项目")


# ---------------------------------------------------------------- measures


def _same_article(corpus, a: str, b: str) -> bool:
    ca, cb = corpus.get(a), corpus.get(b)
    return ca.doc_id == cb.doc_id and ca.article_no is not None and ca.article_no == cb.article_no


_SEVERAL = re.compile(r"(同时|另外|另有|还有|此外|以及|加上|再加|两项|三项|几项|这两|这三|两个都|都能|一并)")


def _explained_by(u, cid: str, chosen: list[str], corpus, literal: dict[str, int]) -> bool:
    """Every word naming ``cid`` also appears in the text of a clause already chosen, and the question
    does not list several things: the words belong to that measure."""
    if not chosen or _SEVERAL.search(u.question) or any(r.clause_id == cid for r in candidate_rules_of(corpus, literal)):
        return False
    words = [m.term.means if m.term.kind == "variant" else m.term.text for m in u.terms
             if cid in m.term.clause_ids and m.term.kind in ("measure", "variant", "base", "condition", "subject", "distinctive")]
    if not words:
        return False
    texts = [_PUNCT.sub("", corpus.get(c).text) for c in chosen if corpus.has(c)]
    return all(any(_PUNCT.sub("", w) in t for t in texts) for w in words)


def _condition_named(u, rule: Rule, clause_text: str = "") -> bool:
    """The question states this rule's own condition: a stretch of at least 6 characters of the words
    before its award ("项目列入省级及以上重点技术改造项目计划的" ~ "列入了省级重点技改项目计划")."""
    return _condition_match(u, rule, clause_text) == 1


_ON_TOP_PHRASE = re.compile(r"在按?照?本条第[一二三四五六七八九十\d]{1,3}[项款][^，。；]{0,16}基础上")
_DEPT_WORD = re.compile(r"[由经会同]*[\u4e00-\u9fa5]{1,8}(局|办|委|中心|人民政府|政府)")
_NEGATED = re.compile(r"(没有|没|未|尚未|还未|不是|并非|非|不)$")


def _condition_match(u, rule: Rule, clause_text: str = "") -> int:
    """1: the question states the rule's own condition; -1: it states it negated ("项目没有列入省级重点技改计划"); 0: neither."""
    text = clause_text if rule.segment in clause_text else rule.segment
    head = text[: text.find(rule.segment)] + rule.segment.split("给予")[0].split("再按")[0]
    head = _ON_TOP_PHRASE.sub("|", head)
    head = _literal_text(_DEPT_WORD.sub("|", head))
    q = _literal_text(u.question)
    common = _longest_common(q, head)
    if not (len(common) >= 4 and len(_longest_common(q.replace(common, "|"), head)) >= 2 or len(common) >= LITERAL_MIN):
        return 0
    i = q.find(common)
    return -1 if _NEGATED.search(q[max(0, i - 3): i]) else 1


def _measure_term_names(u, cid: str) -> bool:
    """A measure name of this clause is in the question ("发明专利" for 发明专利资助), though its
    awards share it: the clause is named, which of its awards is decided in ``_measures``."""
    return any(m.term.kind == "measure" and cid in m.term.clause_ids and len(m.term.clause_ids) == 1 for m in u.terms)


_PAST_AFTER = re.compile(r"^.{0,6}?(?<!没有)(?<![没未])(?<!不曾)(?<!从未)(拿了|拿过|领了|领过|补了|给了|给过|发了|获得了|享受了|享受过|已获|已拿|已享受|已领)")
_PAST_BEFORE = re.compile(r"(之前|以前|此前|原来|原先|曾经|曾|前几年|前年|早年|当年)[^，。；]{0,8}$")


def history_rules(rules: list[Rule], u) -> set[str]:
    """Awards the question tells as already received ("前几年评上省级创新型中小企业拿了5万元"): the
    rule's sentence is quoted and followed by a past-tense receipt or preceded by a past marker."""
    q = _PUNCT.sub("", u.question)
    out = set()
    for r in rules:
        common = _longest_common(q, _PUNCT.sub("", r.segment))
        if len(common) < 4:
            continue
        i = q.find(common)
        after = q[i + len(common): i + len(common) + 14]
        past = _PAST_AFTER.search(after)
        if past and re.search(r"(市里|市级|省里|省级|国家|县里|区里|上级)", after[: past.end()]):
            continue  # "市里已经给了10万元同类奖励": paid by another government, deducted by the top-up, not this award
        if past or _PAST_BEFORE.search(q[max(0, i - 10): i]):
            out.add(r.id)
    return out


def sibling_said(q: str, cid: str, corpus) -> str | None:
    """A short reply that says which item of the topic's article it means ("4A级" after an answer about
    "被评为3A级物流企业的，奖励10万元"): the one sibling whose text has those words, if only one has."""
    core = re.sub(r"[，。？！?!、\s]|^(是|是的|对|我们是|我们)|(的|呢|吧|啊)$", "", q)
    if not corpus.has(cid) or not (2 <= len(core) <= 8):
        return None
    here = corpus.get(cid)
    if core in here.text:
        return None
    found = [c.id for c in corpus.clauses if c.doc_id == here.doc_id and c.article_no == here.article_no and core in c.text]
    return found[0] if len(found) == 1 else None


def _threshold_ladder(rules: list[Rule]) -> list[Rule]:
    """A clause's fixed awards that step up with one measure per event ("单场参会人数达到300人以上的，给予10万元奖励；单场参会
    人数达到800人以上的，给予20万元奖励…"), lowest step first; [] if the clause is not written that way."""
    if len(rules) < 2 or any(r.kind is not RuleKind.FIXED or r.fixed is None or len(r.thresholds) != 1 or r.tiers for r in rules):
        return []
    ths = [r.thresholds[0] for r in rules]
    measure = ths[0].measure
    if not re.match(r"^(单场|单次|每场|每次|单届|每届|单个|单团)", measure or "") or any(t.unit != ths[0].unit for t in ths) \
            or any(t.measure and t.measure != measure for t in ths):
        return []
    if any(b.amount.value <= a.amount.value for a, b in zip(ths, ths[1:])) \
            or any(b.fixed.value <= a.fixed.value for a, b in zip(rules, rules[1:])):
        return []
    return list(rules)


def _ladder_values(steps: list[Rule], facts: Facts) -> list[Decimal]:
    """The per-event values the user gives for a ladder's measure, from the newest turn that gives any ("三场，参会人数分别
    为400人、900人、200人"; "那1000人呢")."""
    unit = steps[0].thresholds[0].unit
    counts = [s for s in facts.stated if s.kind == "count" and (s.unit == unit or {s.unit, unit} <= {"人", "名", "位"})]
    if not counts:
        return []
    newest = min(s.turn for s in counts)
    values = [s.value for s in sorted((s for s in counts if s.turn == newest), key=lambda s: s.start)]
    # "主办了4场演唱会，每场售票观众都在15000人左右": one value for every event
    events = [s for s in facts.stated if s.kind == "count" and s.turn == newest and s.unit in ("场", "届", "期", "次")]
    if len(values) == 1 and len(events) == 1 and 1 < events[0].value <= 50:
        values = values * int(events[0].value)
    return values


def _ladder(relevant: list[Rule], facts: Facts) -> list[Rule]:
    """Awards on one ladder (晋升的补足差额): with awards already received, the claim is the highest rung."""
    if len(relevant) < 2 or not all(r.top_up for r in relevant) or not any(s.role == "received" for s in facts.stated):
        return relevant
    fixed = [r for r in relevant if r.fixed is not None]
    return [max(fixed, key=lambda r: r.fixed.value)] if len(fixed) == len(relevant) else relevant


def _measures(u, facts: Facts, chosen: list[str], assigned: dict[str, list], named: dict[str, float], engine,
              topic: tuple[str, ...] = (), literal: dict[str, int] | None = None,
              topic_rules: tuple[str, ...] = (), carried: set[str] = frozenset(), denied: set[str] = frozenset()) -> list[Measure]:
    corpus = engine.corpus
    out: list[Measure] = []
    lead = next((c for c in chosen if not corpus.get(c).is_final_provision), None)  # the first measure chosen
    for cid in chosen:
        clause = corpus.get(cid)
        rules = corpus.rules_for(cid)
        if not rules:
            out.append(Measure(cid, clause.doc_id, None, BlockStatus.REVIEW if _listed(corpus, cid) else BlockStatus.INFO))
            continue
        steps = _threshold_ladder(rules)
        values = _ladder_values(steps, facts) if steps else []
        if steps and values and (named.get(cid, 0.0) >= 1.0 or cid == lead and named.get(cid, 0.0) > 0 or cid in topic
                                 or any(r.id in topic_rules for r in steps)):
            calc = calculate_ladder(steps, values)
            out.append(Measure(cid, clause.doc_id, steps[-1], BlockStatus.COUNTED if calc.eligible else BlockStatus.NOT_ELIGIBLE,
                               calc, named=True))
            continue
        shared = frozenset(r.base for r in rules if r.base and _base_shared(r, corpus))
        past = history_rules(rules, u) if len(rules) > 1 else set()
        relevant = [r for r in rules if r.id not in past and (r.id in assigned or rule_named(r, u, named, rules, shared, literal)
                                                            or r.id in topic_rules)]
        if past and not relevant:
            relevant = [r for r in rules if r.id in topic_rules] or [r for r in rules if r.id not in past]
        relevant = _ladder(relevant, facts)
        picked = set()
        if len(relevant) != 1 and len(rules) > 1 and u.first_time is not None:
            # "对首次认定的…给予20万元；对有效期满后重新通过认定的…给予10万元": the user's first or renewed award
            pool = relevant or rules
            heads = {r.id: r.segment.split("给予")[0] for r in pool}
            if u.first_time:
                fit = [r for r in pool if _FIRST_AWARD.search(heads[r.id]) and not _RENEWAL_AWARD.search(heads[r.id])]
            else:
                fit = [r for r in pool if _RENEWAL_AWARD.search(heads[r.id])]
            if len(fit) == 1 and any(_RENEWAL_AWARD.search(h) for h in heads.values()):
                relevant, picked = fit, {fit[0].id}
        if not relevant and len(rules) > 1 and named.get(cid, 0.0) >= 1.0:
            relevant = _closest_siblings(rules, u)
            picked = {r.id for r in relevant}
        if len(relevant) > 1:
            relevant = _by_level(relevant, u)
            picked = {r.id for r in relevant} if picked else picked
        primary = cid == lead and named.get(cid, 0.0) >= 1.0
        for r in relevant or rules:
            identified = (r.id in carried or r.id in topic_rules or r.id in assigned and not _base_shared(r, engine.corpus)
                          or rule_named(r, u, named, rules, shared, literal)
                          or (cid in topic and (len(rules) == 1 or r.id in assigned)) or (r.id in picked and len(picked) == 1)
                          or (primary and len(relevant or rules) == 1 and not specific_subject(r.subject))
                          or (r.id in assigned and facts.subject(r.subject) is True))
            if r.id in denied:
                head = re.split(r"[，,]", corpus.get(r.clause_id).text.split(r.segment)[0].rstrip("，,的"))[-1] or r.name
                out.append(Measure(r.clause_id, clause.doc_id, r, BlockStatus.NOT_ELIGIBLE,
                                   conditions=(Condition(r.clause_id, head, "not_met"),), named=True))
                continue
            out.append(_measure(r, u, facts, assigned.get(r.id, []), identified, engine))
    for m in list(out):
        if m.refer and not any(x.clause_id == m.refer for x in out):
            out.insert(out.index(m) + 1, Measure(m.refer, corpus.get(m.refer).doc_id, None, BlockStatus.INFO,
                                                 conditions=(Condition(m.refer, m.refer_condition, "met"),), named=True))
    return out


_RENEWAL_AWARD = re.compile(r"(有效期满后?重新[^，。；]{0,8}|重新通过[^，。；]{0,8}|再次[^，。；]{0,6}认定|复核|期满[^，。；]{0,4}重新)")
_FIRST_AWARD = re.compile(r"(首次|第一次|新认定|新获|新获评|新获批|新入选)")
_LEVELS = ("国际级", "国家级", "省级", "市级", "区级", "县级")


def _required_level(rule: Rule) -> str | None:
    """The one level an award is for ("对获批…国家级中小企业产业集群的，给予所在区500万元"; "获得国家级文创设计大赛
    一等奖、二等奖…的" whose tiers are prizes, not levels)."""
    if any(lv[:1] in t.key for t in rule.tiers for lv in _LEVELS):
        return None
    head = rule.segment.split("给予")[0]
    found = [lv for lv in _LEVELS if lv in head]
    return found[0] if len(found) == 1 and not re.search(r"(及以上|以上)", head) else None


_IMPLIED_LEVEL = ((re.compile(r"国家(?!级|税务|统计|金融|标准)[重\u4e00-\u9fa5]"), "国家级"), (re.compile(r"省(?!级|内|外|份)(重点|专精|里|上|认定|评|批)"), "省级"),
                  (re.compile(r"(?<!本)市(重点|认定|评)"), "市级"))


def _duration_conditions(rule: Rule, clause_text: str, facts: Facts) -> list[tuple[str, bool]]:
    """Conditions on how long something lasts ("流转合同期限5年以上", "成立3年以内") that the user's own duration
    of the same thing settles: the stated years next to words the condition names."""
    stated = [st for st in facts.stated if st.kind == "duration" and st.unit == "年" and st.turn == 0]
    if not stated:
        return []
    start = clause_text.find(rule.segment)
    head = (clause_text[:start] if start > 0 else "") + rule.segment.split("给予")[0]
    out = []
    for sp in scan(head):
        if sp.kind != "duration" or sp.unit != "年":
            continue
        bound = re.match(r"^(及以上|（含）以上|以上|及以下|（含）以下|以下|以内|（含）以内|内)", head[sp.end: sp.end + 5])
        noun = re.split(r"[，、；。]|且|并|或", head[: sp.start])[-1][-10:]
        if not bound or len(noun) < 2:
            continue
        for st in stated:
            about = st.window or st.context
            if len(_longest_common(about, noun)) < 2:
                continue
            ok = st.value >= sp.value if "上" in bound.group() else st.value <= sp.value
            out.append((noun.lstrip("的在") + sp.text + bound.group(), ok))
            break
    return out


def said_levels(q: str) -> list[str]:
    """Levels the question says: 国家级/省级… as written, else the ones its words imply ("国家重点实验室" →
    国家级, "省里的绿色工厂" → 省级)."""
    said = [lv for lv in _LEVELS if lv in q]
    if said:
        return said
    return [lv for pat, lv in _IMPLIED_LEVEL if pat.search(q)]


def _by_level(rules: list[Rule], u) -> list[Rule]:
    """Sibling awards that differ by level ("国家级…给予100万元；省级…给予30万元"): the level the question names."""
    said = said_levels(u.question)
    if not said or any(r.tiers for r in rules):
        return rules
    picked = [r for r in rules if any(lv in r.segment for lv in said)]
    return picked or rules


def _closest_siblings(rules: list[Rule], u) -> list[Rule]:
    """No sibling is named by a word of its own: the ones sharing most of the question's words."""
    words = {m.term.text for m in u.terms if len(m.term.text) >= 2}
    scores = [(sum(1 for w in words if w in r.segment), r) for r in rules]
    best = max(sc for sc, _ in scores)
    if best <= 0:
        return []
    tied = [r for sc, r in scores if sc == best]
    if len(tied) > 1:
        # the plain award, not the one with qualifiers the question never mentions ("发明专利，每件3000元"
        # rather than "通过PCT途径获得美国…授权的发明专利，每件1万元")
        shortest = min(len(r.segment) for r in tied)
        plain = [r for r in tied if len(r.segment) <= shortest * 1.5 + 10]
        if len(plain) < len(tied):
            return plain
    return tied


def _base_shared(rule: Rule, corpus) -> bool:
    """Another rule of the same document computes on the same base (算力服务费用: 3.4 and 3.5)."""
    if not rule.base:
        return False
    return corpus.base_counts.get((corpus.get(rule.clause_id).doc_id, canonical_base(rule.base)), 0) > 1


def _listed(corpus, cid: str) -> bool:
    from assistant.types import Coverage

    return any(n.clause_id == cid and n.coverage is Coverage.REVIEW for n in corpus.non_computable)


def review_conditions(rule: Rule, clause_text: str) -> list[str]:
    """Conditions only the department decides (遴选/评审/择优/示范效应明显)."""
    found = []
    for m in _REVIEW.finditer(rule.segment + "。" + clause_text):
        phrase = m.group().strip("，。； ")
        if 2 <= len(phrase) <= 40 and phrase not in found and (m.start() < len(rule.segment) or rule.kind is not RuleKind.FIXED):
            found.append(phrase)
    return found[:2]


# outside the mainland, in every policy's sense of 境内: 香港/澳门/台湾 (adcodes 81, 82, 71) or abroad
_ABROAD = re.compile(r"境外|海外|国外|港股|港交所|联交所|纳斯达克|纽交所|纽约|伦敦|新加坡|东京|美股|美国|日本|欧洲|德国|英国")


def _outside_mainland(rule: Rule, u) -> str:
    """The award is for something done 境内 ("在境内证券交易所首次公开发行股票并上市") and the user does it
    outside the mainland: the phrase of the clause that says 境内, else ""."""
    head = rule.segment.split("给予")[0]
    m = re.search(r"[^，,。；;：:]*境内[^，,。；;：:]*", head)
    if not m:
        return ""
    abroad = _ABROAD.search(u.question) or any(p.adcode[:2] in ("71", "81", "82") for p in u.places)
    # "3个境外展…2个境内展": the user speaks of both, each part is paid by its own rule
    return m.group().strip() if abroad and "境内" not in u.question else ""


def _measure(rule: Rule, u, facts: Facts, amounts: list, named: bool, engine) -> Measure:
    corpus = engine.corpus
    clause = corpus.get(rule.clause_id)
    conds: list[Condition] = []
    status = BlockStatus.COUNTED
    if_text = ""
    ask = ""
    options: tuple[str, ...] = ()
    ask_subject = ""

    # who may receive it: a size class (中小企业) must be stated; another recipient type is implied when
    # the question identifies this measure itself (its name, its own base, its object words)
    if specific_subject(rule.subject):
        v = facts.subject(rule.subject)
        implied = v is None and (_subject_implied(rule, u) or (named and not is_size_class(rule.subject)))
        if v is True or implied:
            if v is True or _subject_implied(rule, u):
                conds.append(Condition(rule.clause_id, f"申请主体为{rule.subject}", "met"))
        elif v is False:
            conds.append(Condition(rule.clause_id, f"申请主体为{rule.subject}", "not_met"))
            status = BlockStatus.NOT_ELIGIBLE
        else:
            conds.append(Condition(rule.clause_id, f"申请主体为{rule.subject}", "unknown"))
            status = BlockStatus.CONDITIONAL
            if_text = f"如属{rule.subject}"
            if (named or amounts) and (u.has("amount") or u.has("eligibility") or amounts):
                ask = phrases.ASK_FACT.format(subject=rule.subject)
                ask_subject = rule.subject
                options = ("是", "否", "不确定")
    for phrase in review_conditions(rule, clause.text):
        conds.append(Condition(rule.clause_id, phrase, "review"))
    # an award for the first recognition, while the user tells of a renewal (复核/期满/再次)
    if u.first_time is False and _FIRST_AWARD.search(rule.segment.split("给予")[0]) and status is not BlockStatus.NOT_ELIGIBLE:
        conds.append(Condition(rule.clause_id, "首次认定（获评）", "not_met"))
        status = BlockStatus.NOT_ELIGIBLE
    renewal = _RENEWAL_AWARD.search(rule.segment.split("给予")[0])
    if u.first_time is True and renewal and status is not BlockStatus.NOT_ELIGIBLE:
        # "对有效期满后重新通过认定的…给予10万元", while the user tells of a first recognition
        conds.append(Condition(rule.clause_id, renewal.group(), "not_met"))
        status = BlockStatus.NOT_ELIGIBLE
    outside = _outside_mainland(rule, u)
    if outside and status is not BlockStatus.NOT_ELIGIBLE:
        # "对在境内证券交易所…上市的", while the user lists in 香港联交所 / 纳斯达克
        conds.append(Condition(rule.clause_id, outside, "not_met"))
        status = BlockStatus.NOT_ELIGIBLE
    for cond, ok in _duration_conditions(rule, clause.text, facts):
        # "流转合同期限5年以上", while the user says "流转合同只签了3年"
        conds.append(Condition(rule.clause_id, cond, "met" if ok else "not_met"))
        if not ok:
            status = BlockStatus.NOT_ELIGIBLE
    # a level the award requires ("获批国家级中小企业产业集群的，给予…"): the user's level, or ask
    level = _required_level(rule)
    if level and status is BlockStatus.COUNTED:
        said = said_levels(u.question) or ([facts.level] if facts.level in _LEVELS + ("否",) else [])
        other = [lv for lv in said if lv != level and lv in engine.corpus.get(rule.clause_id).text]
        if said and level not in said and other and _listed(engine.corpus, rule.clause_id):
            # "获评省级示范物流园区的，按照国家级标准的50%给予奖励": the clause pays that level in words not read
            conds.append(Condition(rule.clause_id, f"获批（获评）{other[0]}的奖励（原文另有规定，需人工核对）", "review"))
            status = BlockStatus.REVIEW
        elif said and level not in said:
            conds.append(Condition(rule.clause_id, f"获批（获评）{level}", "not_met"))
            status = BlockStatus.NOT_ELIGIBLE
        elif not said:
            conds.append(Condition(rule.clause_id, f"获批（获评）{level}", "unknown"))
            status, if_text = BlockStatus.CONDITIONAL, f"如为{level}"
            if not ask and (u.has("amount") or u.has("eligibility")):
                ask, options = f"请问获批（获评）的是否为{level}？", (level, "不是", "不确定")
        else:
            conds.append(Condition(rule.clause_id, f"获批（获评）{level}", "met"))

    claim_kwargs = _claim_facts(rule, u, facts, amounts, corpus.rules_by_doc.get(clause.doc_id, ()))
    calc = None
    needs_amount = rule.kind in (RuleKind.RATE, RuleKind.MARGINAL, RuleKind.INTEREST) and "base" not in claim_kwargs
    if needs_amount and not (rule.tiers and "measure" in claim_kwargs):
        if status is BlockStatus.NOT_ELIGIBLE:
            return Measure(rule.clause_id, clause.doc_id, rule, status, None, tuple(conds), named=named)
        if u.has("amount") and named and not ask and not any(x.kind == "money" and x.turn == 0 for x in facts.stated):
            ask = phrases.ASK_AMOUNT.format(base=rule.base)
        return Measure(rule.clause_id, clause.doc_id, rule, BlockStatus.INFO if status is BlockStatus.COUNTED else status,
                       None, tuple(conds), if_text, ask, options, ask_subject, named)
    if not named and rule.kind is not RuleKind.CAP_ONLY and not amounts and not claim_kwargs:
        # picked by retrieval alone, nothing stated for it: show its standard, no amount
        return Measure(rule.clause_id, clause.doc_id, rule, BlockStatus.INFO if status is BlockStatus.COUNTED else status,
                       None, tuple(conds), if_text, "", (), "", named)
    try:
        claims = _split_claims(rule, claim_kwargs, facts, amounts, u)
        yearly = bool(claims) and all("year" in kw for kw in claims)
        dropped = claims[0].pop("_dropped", 0) if yearly else 0
        calc = combine(calculate_claims([Claim(rule, **kw) for kw in claims]), rule, yearly=yearly, dropped=dropped)
    except MissingFactError as err:
        opts = tuple(dict.fromkeys(t.key for t in rule.tiers if t.threshold is None)) if err.need == (rule.tier_label or "级别") else ()
        # "我们有一个仿制药…": only the rows of the category the question names (仿制药 is listed twice)
        named_rows = tuple(k for k in opts if re.split(r"[（(]", k)[0] in u.question)
        opts = (named_rows if len(named_rows) >= 2 else opts)[:8]
        question = f"请问{err.need}是{'、'.join(opts[:-1])}还是{opts[-1]}？" if len(opts) >= 2 else f"{err.message}。"
        return Measure(rule.clause_id, clause.doc_id, rule, BlockStatus.NEEDS_FACT, None, tuple(conds), if_text,
                       question if named or u.has("amount") else "", opts, "", named)
    except AmountError:
        return Measure(rule.clause_id, clause.doc_id, rule, BlockStatus.INFO, None, tuple(conds), named=named)
    for th in rule.thresholds:
        conds.append(Condition(rule.clause_id, f"{th.measure}{th.text}", "met" if calc.eligible else "not_met"))
    if not calc.eligible:
        status = BlockStatus.NOT_ELIGIBLE
    if status is BlockStatus.NOT_ELIGIBLE and calc.amount_yuan:
        failed = next((c.text for c in conds if c.status == "not_met"), "条件")
        calc = dc_replace(calc, amount_yuan=0, eligible=False, reason=f"不满足“{failed}”",
                          formula=f"不满足“{failed}”，不予计算（若满足，按{calc.formula}）")
    if any(c.status == "review" for c in conds) and not calc.is_upper_bound and calc.amount_yuan:
        calc = dc_replace(calc, is_upper_bound=True)
    calc = _attribute(calc, rule, u, facts, corpus)
    above = _governed_above(rule, calc, claim_kwargs, corpus)
    if above is not None:  # shown as the governing item, with the user's case met there
        cid, text = above
        return Measure(rule.clause_id, clause.doc_id, rule, BlockStatus.INFO, None, tuple(conds), named=named, refer=cid,
                       refer_condition=text)
    if status is BlockStatus.COUNTED and not named and rule.kind is not RuleKind.CAP_ONLY:
        status = BlockStatus.CONDITIONAL
        if_text = if_text or "如符合该项条件"
    if status is BlockStatus.COUNTED and not named and rule.kind is RuleKind.CAP_ONLY:
        status = BlockStatus.INFO
    return Measure(rule.clause_id, clause.doc_id, rule, status, calc, tuple(conds), if_text, ask, options, ask_subject, named)


def _attribute(calc: Calculation, rule: Rule, u, facts: Facts, corpus) -> Calculation:
    """An amount set by another clause of the article is that clause's: the gap paid under "按两级奖励
    标准的差额给予奖励" (the modifier the question's words are closest to), the instalment of "分两期拨付"."""
    if calc is None:
        return calc
    bound = [c for c in rule.caps if c.clause_id and calc.capped and f"上限{format_yuan(c.amount.value)}，按{format_yuan(c.amount.value)}计" in calc.formula]
    if bound and calc.amount_yuan == to_yuan(bound[-1].amount.value):
        return dc_replace(calc, clause_id=bound[-1].clause_id)  # the article's shared ceiling set the figure
    if not rule.modifiers:
        return calc
    sched = rule.schedule
    if sched and sched.clause_id and re.search(r"第\d+[年期]拨付", calc.formula):
        return dc_replace(calc, clause_id=sched.clause_id)
    tops = [c for c in rule.modifiers if not (sched and c == sched.clause_id) and corpus.has(c)]
    if tops and "按差额补足" in calc.formula:
        # the words around the amount received ("市里已经给了10万元同类奖励") say which rule of the article applies
        said = [s for s in facts.stated if s.role == "received"]
        where = "".join(re.split(r"[，。；,;]", s.window or s.context)[-1] + s.text + s.after for s in said) or u.question
        q = _literal_text(where)

        def fit(c: str) -> int:
            text = corpus.get(c).text
            level = 3 if any(w in where and lv in text for w, lv in (("市里", "市级"), ("市级", "市级"), ("省里", "省级"),
                                                                     ("区里", "区级"), ("县里", "县级"))) else 0
            return len(_longest_common(q, _literal_text(text))) + level

        return dc_replace(calc, clause_id=max(tops, key=fit))
    return calc


_CROSS = re.compile(r"(突破|超过|达到|高于)$")


def _governed_above(rule: Rule, calc: Calculation | None, kw: dict, corpus) -> tuple[str, str] | None:
    """Milestone awards up to 10亿元 while another item of the article takes cases above ("营业收入首次突破
    50亿元的，…一事一议"): past that line this rule's figure does not apply."""
    if calc is None or not rule.tiers or not any(t.threshold for t in rule.tiers) or kw.get("measure") is None:
        return None
    value = Decimal(kw["measure"])
    top = max(t.threshold.value for t in rule.tiers if t.threshold)
    this = corpus.get(rule.clause_id)
    listed = {n.clause_id for n in corpus.non_computable}
    for c in corpus.clauses:
        if c.doc_id != this.doc_id or c.article_no != this.article_no or c.id == this.id or c.id not in listed:
            continue
        if rule.tier_label and rule.tier_label not in c.text:
            continue
        for q in scan(c.text):
            if q.kind == "money" and q.value > top and _CROSS.search(c.text[max(0, q.start - 4): q.start]) \
                    and (value > q.value or value == q.value and kw.get("crossed")):
                start = c.text.rfind(rule.tier_label, 0, q.start) if rule.tier_label else -1
                phrase = c.text[start if 0 <= start and q.start - start <= 12 else max(0, q.start - 6): q.end]
                return c.id, phrase
    return None


def _subject_implied(rule: Rule, u) -> bool:
    """The question describes the user as this rule's recipient, in the document's words."""
    for m in u.terms:
        t = m.term.means if m.term.kind == "variant" else m.term.text
        if m.term.kind in ("subject", "variant") and (t == rule.subject or (len(t) >= 3 and (t in rule.subject or rule.subject in t))):
            return True
    return False


_ITEM_UNITS = set("个件项名人家款台套条座所次批篇种户辆张份场位") | {"台套", "人次"}  # things counted, not measured (千克, 小时)
_ITEM_END = re.compile(r"[、，,。；;？?！!]|和|及|以及|另外|还有|同时")


def _count_item(c, q: str) -> str:
    """What a count counts, as the user wrote it: "3个最大起飞重量200千克以上无人机的型号合格证"."""
    if c.turn or q[c.start: c.start + len(c.text)] != c.text:
        return c.after
    rest = q[c.start + len(c.text):]
    m = _ITEM_END.search(rest)
    return rest[: m.start()] if m else rest


def _unit_item(rule: Rule) -> str:
    """What a per-unit rule pays for: its item, else the words right before 每<unit> ("外贸重箱每标准箱补贴80元" → 外贸重箱)."""
    if not rule.per_unit:
        return ""
    if rule.per_unit.item:
        return rule.per_unit.item
    m = re.search(rf"([\u4e00-\u9fa5A-Za-z]{{2,8}}?)每{re.escape(rule.per_unit.unit)}", rule.segment) if rule.per_unit.unit else None
    return m.group(1) if m and not re.search(r"(按照?|给予|对)$", m.group(1)) else ""


def _item_fit(item: str, rule: Rule) -> float:
    """How well the user's words for a counted item fit the rule's item: shared characters, less half of
    what the rule's item says that the user did not ("补充型号合格证" fits "型号合格证" less than 型号合格证 does)."""
    mine = _unquote(_unit_item(rule))
    if not mine:
        return 0
    common = len(_longest_common(_unquote(item), mine))
    return common - 0.5 * (len(mine) - common) if common >= 2 else 0


def _owned_counts(rule: Rule, counts: list, u, peers) -> list:
    """Counts of items this per-item rule pays for: those whose words fit its item best among the
    document's per-item rules with the same unit ("2个补充型号合格证" belongs to 补充型号合格证, not 型号合格证)."""
    out = []
    same = [p for p in peers if p.per_unit and _unit_item(p) and p.per_unit.unit == rule.per_unit.unit]
    for c in counts:
        if c.unit != rule.per_unit.unit:
            continue
        # the user's words for the item: after the count ("3个…型号合格证"), or right before it ("外贸重箱1.5万标准箱")
        items = [_count_item(c, u.question), re.split(r"[，,、；。]", c.context)[-1][-8:]]

        def fit(p: Rule) -> float:
            return max(_item_fit(i, p) for i in items)

        mine = fit(rule)
        if mine >= 1.5 and mine >= max((fit(p) for p in same), default=0):
            out.append(c)
    return out


_UNIT_RENT = re.compile(r"(?:每月每平方?米|每平方?米每月|每平方?米月租金|月租金每平方?米)(?:的)?(?:租金)?(?:为|是|约|大约)?(\d+(?:\.\d+)?)元")


def _claim_facts(rule: Rule, u, facts: Facts, amounts: list, peers=()) -> dict:
    kw: dict = {}
    money = [s for s in amounts if s.role == "amount"]
    if money:
        if rule.tiers and any(t.threshold for t in rule.tiers) and not rule.rate and not rule.base:
            kw["measure"] = sum((s.value for s in money), Decimal(0))
            if all(_MILESTONE_WORD.search(s.context) for s in money):
                kw["crossed"] = True  # "营业收入首次突破5亿元": past the 5亿元 milestone, not below it
        else:
            kw["base"] = sum((s.value for s in money), Decimal(0))
            for th in rule.thresholds:
                if th.unit == "元" and th.measure:
                    # another figure of the same turn that the condition names; an older turn's figure for the same
                    # thing was replaced ("设备投资600万元…" then "那如果设备投资只有150万元呢")
                    newest = min(x.turn for x in money)
                    other = [s for s in facts.stated if s.kind == "money" and s.role == "amount" and s not in money
                             and s.turn <= newest and th.measure in (s.context + s.after)]
                    if other:
                        kw["measure"] = other[0].value
    if not money and rule.tiers and any(t.threshold for t in rule.tiers) and not rule.rate and not rule.base and rule.tier_label:
        # "销售额从上年的0.8亿元增长到今年的5.6亿元…规模突破奖励": the figure another rule reads (the increase) is also
        # the one this milestone award looks at, when its words name the milestone's measure
        label = rule.tier_label
        cores = [re.sub(r"^(年度|当年|年)", "", w) for w in [re.sub(r"（.*?）", "", label), *re.findall(r"（(.*?)）", label)]]
        cores = [w for w in cores if len(w) >= 2]  # "年度销售额（营业额）": 销售额 or 营业额
        told = [x for x in facts.stated if x.kind == "money" and x.role == "amount" and x.turn == 0]
        for x in told:
            before = [y for y in facts.stated if y.kind == "money" and y.turn == 0 and y.start < x.start and y.role == "previous"]
            ctx = (x.window or "") + x.context + ("|" + before[-1].context + (before[-1].window or "") if before else "")
            if any(w in ctx for w in cores):
                kw["measure"] = x.value
                if _MILESTONE_WORD.search(x.context):
                    kw["crossed"] = True
                break
    parts = re.fullmatch(r"(.{2,12}?)(?:和|与|及|加)(.{2,12}?)之和", rule.base or "")
    if parts:
        # "按设备购置和研发投入之和的10%": each part told by its own words ("设备购置2600万元、研发投入400万元")
        told = [s for s in facts.stated if s.kind == "money" and s.role == "amount" and s.turn == 0]
        found = [next((s for s in told if len(_longest_common(s.window or s.context, p)) >= min(4, len(p))), None)
                 for p in parts.groups()]
        if all(found) and found[0] is not found[1]:
            for s in money:
                if s not in found:
                    kw["measure"] = s.value  # the other figure ("新增固定资产投资5000万元") is what the condition looks at
            kw["base"] = found[0].value + found[1].value
    if rule.increment:
        prev = [s for s in facts.stated if s.role == "previous"]
        if prev:
            kw["previous"] = prev[0].value
    if rule.top_up or any(t.deduct for t in rule.tiers):
        got = [s for s in facts.stated if s.role == "received"]
        if got:  # every award already paid on the way up (5万元, then 15万元) is deducted; 已获挂牌奖励的…予以扣除
            kw["received"] = sum((s.value for s in got), Decimal(0))
    if rule.kind is RuleKind.INTEREST:
        ref = [s for s in facts.stated if s.role == "rate_ref"]
        lpr = [s for s in ref if re.search(r"(LPR|lpr|报价利率)", s.context)]
        if lpr:
            # "执行利率3.4%，签合同时LPR为3.0%": interest is counted at the LPR, never above the rate actually paid
            actual = [s for s in ref if s not in lpr]
            kw["rate_ref"] = min([lpr[0].value] + [a.value for a in actual[:1]])
        elif ref:
            kw["rate_ref"] = ref[0].value
        used = [s for s in facts.stated if s.kind == "duration" and s.unit == "月" and s.value < 12
                and re.search(r"(使用|用了|用款|实际使用|占用|贷了)[^，。；]{0,4}$", s.context)]
        if used:
            kw["periods"] = int(used[0].value)  # "今年实际使用6个月"
    counts = [s for s in facts.stated if s.kind == "count"]
    keys = {t.key for t in rule.tiers}
    if rule.tiers and not any(t.threshold for t in rule.tiers):
        level = _tier_key(rule, u.question, facts, counts)
        if level:
            kw["level"] = level
        lower = _received_level(rule, u.question, kw.get("level"))
        if rule.top_up and lower is not None and "received" not in kw:
            kw["received"] = lower.amount.value  # "原来是省级的，已经拿过省级奖励，今年晋升为国家级": the 省级 award is deducted
    if counts:
        kw["counts"] = tuple((f"{c.noun}|{c.unit}", int(c.value)) for c in counts)
        unit = rule.per_unit.unit if rule.per_unit else ""
        fit = [c for c in counts if (unit and (c.unit == unit or (unit == "人" and c.unit in ("名", "位", "人", "个")) or _convert(1, c.unit, unit)
                                               or len(unit) >= 2 and c.noun.startswith(unit)))
               or any(k in c.noun for k in keys)] if (rule.per_unit or rule.kind is RuleKind.FIXED) else []
        if rule.per_unit and _unit_item(rule):
            owned = _owned_counts(rule, counts, u, peers)
            fit = owned or [c for c in fit if not any(_item_fit(_count_item(c, u.question), p) >= 2 for p in peers
                                                       if p.per_unit and _unit_item(p))]
        if not fit and (rule.kind is RuleKind.FIXED or rule.kind is RuleKind.PER_UNIT and not unit) and len(counts) == 1 \
                and counts[0].unit in _ITEM_UNITS and _counts_this(counts[0], rule):
            fit = counts
        if rule.kind is RuleKind.FIXED:
            # "成员单位10家以上…给予20万元": a count the award's own condition looks at is not a number of awards
            fit = [c for c in fit if not any(th.unit not in ("元", "%") and th.measure and len(_longest_common(_head_noun(c.noun), th.measure)) >= 2
                                             for th in rule.thresholds)]
        if rule.kind is RuleKind.PER_UNIT:
            # "35人的旅游团，游了两个收费景区" for 每人…元 with 游览收费A级旅游景区不少于1个: the 个 of a condition are not persons
            fit = [c for c in fit if c.unit == unit or (unit == "人" and c.unit in ("名", "位")) or not any(th.unit == c.unit and th.measure and len(_longest_common(_head_noun(c.noun), th.measure)) >= 2
                                                             for th in rule.thresholds)]
        if fit and rule.kind in (RuleKind.FIXED, RuleKind.PER_UNIT):
            kw["count"] = int(sum(_convert(c.value, c.unit, unit) or c.value for c in fit))
    areas = [s for s in facts.stated if s.kind == "area"]
    area_ths = [th for th in rule.thresholds if th.unit in ("平方米", "亩")]
    if areas and area_ths and all(len({th.comparator.holds(a.value, th.amount.value) for a in areas}) == 1 for th in area_ths):
        # "营业面积350平方米" for a condition "营业面积不低于200平方米" (an award not paid per area); several areas
        # only when they all fall on the same side of it (180 and 220平方米 against 150), else which one is unclear
        kw["counts"] = kw.get("counts", ()) + tuple((f"{a.noun}|{a.unit}", a.value) for a in areas[:1])
    # conditions of rate modifiers the question states ("以知识产权质押方式获得的贷款" ~ "以专利质押贷款")
    told = "|".join(dict.fromkeys((*facts.said, u.question)))  # this turn, and the earlier turns it follows
    met = tuple(m.condition for m in getattr(rule, "rate_modifiers", ()) if m.ratio is None and _states(told, m.condition))
    if met:
        kw["conditions_met"] = met
    # amounts a ratio condition or a share cap is computed on (营业收入 for 研发费用占营业收入比重; 当月实际租金)
    wanted = [m.ratio.denominator for m in getattr(rule, "rate_modifiers", ()) if m.ratio is not None]
    if getattr(rule, "share_cap", None) is not None:
        wanted.append(rule.share_cap.base)
    named_amounts = []
    for name in wanted:
        for st in facts.stated:
            if st.kind == "money" and st.role in ("amount", "claimed") and _names_amount(name, st):
                named_amounts.append((name, st.value))
                break
    cap = getattr(rule, "share_cap", None)
    area = [s for s in facts.stated if s.kind == "area"]
    if cap is not None and rule.per_unit and rule.per_unit.period == "月" and area and not any(n == cap.base for n, _ in named_amounts):
        # "租金每月每平方米80元" with "租了1800平方米": one month's rent, for "补贴金额不超过实际租金的50%"
        price = _UNIT_RENT.search("|".join(dict.fromkeys((*facts.said, u.question))))
        if price:
            named_amounts.append((cap.base, Decimal(price.group(1)) * area[0].value))
    if named_amounts:
        kw["amounts"] = tuple(named_amounts)
    if rule.per_unit is not None and getattr(rule.per_unit, "by_year", ()) and u.instalment:
        kw["year"] = u.instalment  # "第二年的租金补贴是多少"
    area = [s for s in facts.stated if s.kind == "area"]
    if area and rule.per_unit and rule.per_unit.unit in ("平方米", "亩"):
        kw["area"] = area[0].value
    if rule.schedule and rule.schedule.ratios and u.instalment:
        kw["instalment"] = u.instalment
    elif u.instalment and rule.per_unit and rule.per_unit.period:
        kw["periods"] = 12 if rule.per_unit.period == "月" else 1  # "第一年能拿多少" of a monthly award (签了3年合同)
    elif u.instalment and rule.schedule and rule.schedule.per_year and rule.schedule.years:
        kw["years"] = 1  # "第一年土地流转补贴多少" of an award paid each year for 3 years: one year's
    durations = [s for s in facts.stated if s.kind == "duration"]
    if u.this_year and not u.instalment and not u.per_period:
        # "今年这几项一共能拿多少": this year's payment of an award paid each year (合同10年 is not the years paid)
        if rule.schedule and rule.schedule.per_year and rule.schedule.years:
            kw["years"] = 1
        elif rule.per_unit and rule.per_unit.period == "年":
            kw["periods"] = 1
    if u.per_period and not u.instalment:  # "第一年租金补贴多少" (租金每月45元): the year asked
        if rule.per_unit and rule.per_unit.period and not durations:
            kw["periods"] = 1
        elif rule.schedule and rule.schedule.per_year and rule.kind in (RuleKind.FIXED, RuleKind.CAP_ONLY, RuleKind.PER_UNIT, RuleKind.TIERED):
            kw["years"] = 1  # "每年补多少", also when the question tells other durations ("签了8年合同")
    if durations and rule.per_unit and rule.per_unit.period and not u.instalment:
        d = durations[0]
        periods = d.value * 12 if (rule.per_unit.period == "月" and d.unit == "年") else d.value
        kw["periods"] = int(periods)
    elif durations and rule.schedule and rule.schedule.per_year and rule.kind in (RuleKind.FIXED, RuleKind.CAP_ONLY):
        years = [d for d in durations if d.unit == "年"]
        if years:
            kw["years"] = int(years[0].value)
    return kw


def _states(question: str, condition: str) -> bool:
    """The question states a modifier's condition: its words quoted (at least 4 characters, or the whole of a
    short one), or one of the things it lists ("属于品牌旗舰店、概念店的" ~ "属于概念店")."""
    raw = re.sub(r"^(以|对|凡|属于)|(的|方式获得的|获得的)$", "", condition)
    core = _literal_text(raw)
    q = _literal_text(question)
    common = _longest_common(q, core)
    return len(common) >= min(4, len(core)) and len(common) >= 2 or any(
        p in q for p in map(_literal_text, re.split(r"[、和及或]", raw)) if len(p) >= 3)


def _names_amount(name: str, st) -> bool:
    """A stated amount is the one called ``name`` ("2026年营业收入6亿元" for 当年营业收入)."""
    ctx = (st.window or st.context) + st.context
    core = re.sub(r"^(当年|年度|上一?年度?|当月|实际)+", "", name)
    return core in ctx or len(_longest_specific_common(core, ctx)) >= max(2, len(core) - 2)


_GOT = re.compile(r"(已经?|曾经?)?(拿过|拿了|领过|领了|获得过|享受过|享受了|得过|已获|已拿|已领)")


def _received_level(rule: Rule, q: str, level: str | None):
    """The tier of an award the user says was already received, by level and without a figure ("已经拿过省级奖励")."""
    if not level:
        return None
    for t in rule.tiers:
        if t.key == level or t.amount is None or t.threshold is not None:
            continue
        for m in re.finditer(re.escape(t.key), q):
            near = q[max(0, m.start() - 10): m.end() + 10]
            if _GOT.search(near) and not re.search(r"\d", near):
                return t
    return None


def _head_noun(noun: str) -> str:
    """What a count counts: the words right after it, up to 的 or a stop ("阶段的奖励全部拿完" → 阶段)."""
    return re.split(r"[的，,。；;、和及与都也还]", noun)[0][:6]


def _counts_this(c, rule: Rule) -> bool:
    """A count with no unit of the rule's own counts what this rule awards: its noun is in the rule's
    words ("取得2个型号合格证" for an award per certificate), not something else ("6件发明专利" for a
    专精特新 award)."""
    noun = _head_noun(c.noun)
    if not noun:
        return False
    words = rule.segment + rule.name
    return any(noun[i:i + 2] in words for i in range(len(noun) - 1)) if len(noun) >= 2 else noun in words


def _key_for_count(c, keys: list[str]) -> str | None:
    """The tier a count belongs to: "1名B类人才" (key after) or "全日制博士研究生2名" (key before)."""
    after, before = c.after[:16], (c.window or c.context)[-12:]
    own = re.split(r"[，,。；;、]", after)[0]  # the words up to the next listed item ("金奖1项、优秀奖2项")
    hits = [k for k in keys if before.endswith(k)] or [k for k in keys if own.startswith(k) or own[:len(k) + 6].find(k) >= 0]
    if not hits:
        # "3名全日制博士" for 博士研究生: the head of one key only, in the words right after the count
        near = re.split(r"[，,。；;、和及与（(\d一二两三四五六七八九十俩仨]", after)[0][:8]
        hits = [k for k in keys if len(k) >= 4 and k[:2] in near and sum(x[:2] == k[:2] for x in keys) == 1] or \
            [k for k in keys if len(k) >= 5 and k[-4:] in near]  # "20亩连栋温室" for 新建连栋温室
    return max(hits, key=len) if hits else None


def _split_claims(rule: Rule, kw: dict, facts: Facts, amounts: list, u) -> list[dict]:
    """The claims a question makes on one rule: one per stated amount when each is its own case
    (三起案件分别80万元、80万元、30万元; 4项，每项150万元), one per tier named, else one."""
    per_claim_cap = any(c.scope in (CapScope.UNIT, CapScope.ITEM, CapScope.CLAIM) for c in rule.caps) or any(
        re.match(r"(单笔|单个|单项|每笔|每个|每项)", th.measure or "") for th in rule.thresholds)  # "单笔投资额达到500万元": each on its own
    money = [s for s in amounts if s.role == "amount"]
    yearly = _yearly_claims(rule, kw, facts, money, u)
    if yearly:
        return yearly
    if rule.kind is RuleKind.PER_UNIT and rule.tiers and all(t.threshold is not None for t in rule.tiers):
        # "2人年薪45万元、1人年薪正好50万元" for 年薪50万元以上…每人每年3万元: each group of persons at its own figure
        pairs = _counted_values(money, facts, u.question)
        if pairs and (len(pairs) >= 2 or pairs[0][0] > 1):
            rest = {k: v for k, v in kw.items() if k not in ("measure", "base", "count", "crossed")}
            return [{**rest, "measure": v, "count": n} for n, v in pairs]
    if "base" in kw and per_claim_cap:
        if len(money) >= 2:
            return [{**kw, "base": s.value} for s in money]
        each = re.search(r"(每[项个笔件起家台套架辆座部]|都是|均为|各)", money[0].window + money[0].context) if money else None
        n = next((int(c.value) for c in facts.stated if c.kind == "count" and c.turn == 0 and 1 < c.value <= 50), None)
        if each and n:
            return [dict(kw) for _ in range(n)]
    per_tier = _split_by_tier(rule, kw, facts)
    if len(per_tier) >= 2:
        return per_tier  # counts told per tier (1名B类、3名D类) decide each tier's count
    if rule.tier_label == "阶段":
        reached = _reached_stages(rule, u)
        if reached:
            return [{**kw, "level": k} for k in reached]
    stages = _named_keys(rule, u)
    if len(stages) >= 2 and rule.tier_label not in ("级别", "类别", "档次") and "level" not in kw or \
            len(stages) >= 2 and re.search(r"(先后|分别|都|各|两项|三项|一共|合计)", u.question):
        return [{**kw, "level": k} for k in stages]
    return per_tier


def _counted_values(money: list, facts: Facts, q: str) -> list[tuple[int, Decimal]]:
    """(how many, figure) for figures each told right after a count of persons or items of this turn ("3人年薪60万元、
    2人年薪120万元"); [] unless every figure has its count."""
    counts = [c for c in facts.stated if c.kind == "count" and c.turn == 0]
    out = []
    for s in money:
        if s.turn != 0:
            return []
        before = [c for c in counts if c.start + len(c.text) <= s.start
                  and re.fullmatch(r"[\u4e00-\u9fa5]{0,6}", q[c.start + len(c.text): s.start] or "")]
        if not before:
            return []
        out.append((int(before[-1].value), s.value))
    return out


def _yearly_claims(rule: Rule, kw: dict, facts: Facts, money: list, u) -> list[dict]:
    """Support over several years, told year by year: one claim per year's value ("三年算力服务费用分别是
    300万、400万、500万元"; "第一年实际支付利息80万元，第二年260万元"), or one value repeated ("每年利息30万元，
    连续三年"), never more years than the rule pays (最长2年)."""
    sched = rule.schedule
    if not u.yearly or "base" not in kw or not sched or not sched.years or sched.ratios or \
            rule.kind not in (RuleKind.RATE, RuleKind.MARGINAL, RuleKind.INTEREST):
        return []
    if len(money) >= 2:
        values = [s.value for s in money]
    else:
        years = [int(s.value) for s in facts.stated if s.kind == "duration" and s.unit == "年" and s.turn == 0 and 1 < s.value <= 20]
        if not years or not re.search(r"每年", (money[0].window or money[0].context) + money[0].context):
            return []
        values = [money[0].value] * min(years)
    paid = values[: sched.years]
    claims = [{**kw, "base": v, "year": i} for i, v in enumerate(paid, start=1)]
    if len(values) > len(paid):
        claims[0]["_dropped"] = len(values) - len(paid)
    return claims


_ALL_STAGES = re.compile(r"(全部|所有|[两三四五2-5]个(阶段|环节|步骤)|各个?(阶段|环节)|都(已经?)?(完成|走完|拿到)|全都|走完|从[^，。；]{1,12}到[^，。；]{0,10}"
                         r"(上市|敲钟|最后|结束|完成))")
_DONE_BEFORE = re.compile(r"(完成|已经?|获得?|成功|通过|拿到|取得|走完|进入)了?[^，。；]{0,4}$")
_RECEIPT_AFTER = re.compile(r"^[^，。；,;]{0,6}(拿了|拿过|领了|领过|补了|给了|给过|发了|享受了|享受过|已拿|已领|已享受|已经拿|已经领)")
_DONE_AFTER = re.compile(r"^(了|完成|成功|通过)")


_PAID = re.compile(r"(拿到了|拿了|拿过|领了|领过|到账|都拿|已拨付|拨付了|已经拿|已拿|给过|发了)")
_LAST_ONE = re.compile(r"(最后|剩下|剩余)(这|的)?一?(笔|期|阶段|部分)")


def _stage_forms(key: str) -> tuple[str, ...]:
    """How a stage is said: its key, or the key's last two characters ("受理" for 证券交易所受理)."""
    return tuple(dict.fromkeys((key, key[-2:] if len(key) > 3 else key)))


def _stage_mentions(keys: list[str], seg: str) -> list[str]:
    """The stages a stretch of words names: a key, or its last two characters, not as the start of another
    stage's words ("上市辅导备案" names 辅导备案, not 上市)."""
    out = []
    for k in keys:
        for form in _stage_forms(k):
            for m in re.finditer(re.escape(form), seg):
                rest = seg[m.end():]
                if any(o != k and (rest.startswith(o[:2]) or seg[m.start():].startswith(o)) for o in keys):
                    continue
                out.append(k)
                break
            if k in out:
                break
    return out


def _reached_stages(rule: Rule, u) -> list[str]:
    """Stages of a staged award the user has reached and not been paid for: all of them ("三个阶段都完成了",
    "从辅导备案到上市"), or each stage told as done ("已完成辅导备案，申报材料也已获交易所受理"), not one merely
    planned ("计划…首发上市") nor one already paid ("辅导备案和申请受理两个阶段的钱也都拿到了"); "最后这一笔" is
    the last of them."""
    keys = [t.key for t in rule.tiers if t.threshold is None]
    q = u.question
    paid: set[str] = set()
    reached: list[str] = []
    for seg in re.split(r"[，,。；;！？?]", q):
        named = _stage_mentions(keys, seg)
        if not named:
            continue
        if _PAID.search(seg):
            paid.update(named)
            continue
        for k in named:  # a done-word right at the stage's words ("成功在北交所上市", "获受理了"), not anywhere
            for form in _stage_forms(k):
                done = any(_DONE_BEFORE.search(seg[max(0, m.start() - 8): m.start()]) or _DONE_AFTER.match(seg[m.end():])
                           for m in re.finditer(re.escape(form), seg))
                if done and k not in reached:
                    reached.append(k)
    if _ALL_STAGES.search(q) and not paid:
        out = keys
    else:
        out = [k for k in keys if k in reached and k not in paid]
        if not out and paid and _LAST_ONE.search(q):
            out = [k for k in keys if k not in paid][-1:]
    if _LAST_ONE.search(q):
        out = out[-1:]
    return out


def _named_keys(rule: Rule, u) -> list[str]:
    keys = [t.key for t in rule.tiers if t.threshold is None]
    return [k for k in keys if k in u.question or (len(k) >= 3 and k.rstrip("级类档") in u.question)]


def _split_by_tier(rule: Rule, kw: dict, facts: Facts) -> list[dict]:
    """One claim per tier when the user counts people or items per tier (2名省级、3名市级)."""
    keys = [t.key for t in rule.tiers if t.threshold is None]
    if not keys:
        return [kw]
    by_area = bool(rule.per_unit and rule.per_unit.unit in ("平方米", "亩"))  # 连栋温室20亩、钢架大棚50亩
    told = [s for s in facts.stated if s.kind == ("area" if by_area else "count")]
    latest = min((s.turn for s in told), default=0)  # this turn's counts, else the last turn that told some
    counts = [s for s in told if s.turn == latest]
    per_key: dict[str, Decimal] = {}
    for c in counts:
        k = _key_for_count(c, keys)
        if k:
            per_key[k] = per_key.get(k, 0) + c.value
    if by_area:
        return [{**kw, "level": k, "area": n} for k, n in per_key.items()] if len(per_key) >= 2 else [kw]
    if len(per_key) < 2 and not (len(per_key) == 1 and next(iter(per_key.values())) > 1 and "level" in kw
                                 and next(iter(per_key)) == kw["level"] and "count" not in kw):
        return [kw]
    return [{**kw, "level": k, "count": int(n)} for k, n in per_key.items()]


_UNIT_FACTOR = {("兆瓦", "千瓦"): 1000, ("万千瓦", "千瓦"): 10000, ("兆瓦时", "千瓦时"): 1000, ("万吨", "吨"): 10000,
                ("年", "月"): 12, ("亩", "平方米"): Decimal("666.6667")}


def _convert(value, unit: str, to: str):
    """A count in another unit of the same measure (8兆瓦 → 8000千瓦); None if they do not convert."""
    if unit == to:
        return value
    f = _UNIT_FACTOR.get((unit, to))
    return None if f is None or to == "平方米" else value * f


def _tier_key(rule: Rule, q: str, facts: Facts, counts: list) -> str | None:
    keys = [t.key for t in rule.tiers]
    hits = [k for k in keys if k in q]
    if not hits:  # a key's own gloss in the clause: "区域首店（华中地区首店）" for "华中地区首店"
        hits = [k for k in keys for g in re.findall(re.escape(k) + r"（([^（）]{2,16})）", rule.segment + rule.subject) if g in q]
    if len(hits) > 1:
        # "新获得中国质量奖提名奖": of overlapping keys the one the words end with (提名奖), not the one they run past
        spans = {k: (q.find(k), q.find(k) + len(k)) for k in hits}
        hits = [k for k in hits if not any(o != k and spans[o][0] < spans[k][1] < spans[o][1] and spans[o][0] > spans[k][0]
                                           for o in hits)] or hits
    if not hits:
        hits = [k for k in keys if len(k) >= 3 and k.rstrip("级类档") in q]
    if not hits:
        # "博士" for 博士研究生, "本科" for 本科毕业生: the start of one key only
        heads = [k for k in keys if len(k) >= 4 and k[:2] in q and sum(x[:2] == k[:2] for x in keys) == 1]
        hits = heads if len(heads) == 1 else []
    if not hits:
        for c in counts:
            hits += [k for k in keys if k in c.noun]
    if not hits and facts.level in keys:
        return facts.level
    if not hits and facts.said:
        for earlier in reversed(facts.said):  # "我是全日制硕士…" a turn ago, "领满的话一共多少？" now
            found = _tier_key(rule, earlier, Facts(), counts)
            if found:
                return found
    if len(hits) >= 1:
        return max(hits, key=len)
    return None
