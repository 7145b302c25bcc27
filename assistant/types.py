"""Typed, immutable records for every pipeline stage.

Document/Article/Clause come from the parser, Rule from the rule extractor,
Calculation from the calculator. Later stages (Hit, Citation, Answer) live here too.
Records are frozen: derive changed copies with ``dataclasses.replace``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from decimal import Decimal


class DocStatus(str, enum.Enum):
    DRAFT = "draft"
    IN_FORCE = "in_force"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return {"draft": "征求意见稿", "in_force": "现行有效", "superseded": "已废止/已被替代"}[self.value]


FINAL_SECTION = "附则"


@dataclass(frozen=True)
class Clause:
    """One citable item: a sentence of an article body (``3.4``) or of the final provisions."""

    id: str  # "3.4" or "附则.1"
    doc_id: str
    article_no: int | None  # None for the final provisions
    article_title: str
    item_no: int
    text: str  # verbatim
    departments: tuple[str, ...] = ()

    @property
    def is_final_provision(self) -> bool:
        return self.article_no is None


@dataclass(frozen=True)
class Article:
    number: int | None  # None = final provisions
    title: str
    clause_ids: tuple[str, ...]

    @property
    def label(self) -> str:
        from assistant.numerals import int_to_chinese

        return FINAL_SECTION if self.number is None else f"第{int_to_chinese(self.number)}条"


@dataclass(frozen=True)
class Document:
    id: str  # file stem
    title: str  # without the status suffix
    status: DocStatus
    status_text: str  # as written, e.g. "征求意见稿"; "" if none
    effective_from: str | None  # as written, e.g. "2026年X月X日"
    effective_until: str | None
    preamble: str
    articles: tuple[Article, ...]
    clauses: tuple[Clause, ...]
    source_path: str
    content_hash: str

    @property
    def full_title(self) -> str:
        return f"《{self.title}（{self.status_text}）》" if self.status_text else f"《{self.title}》"

    def expired(self, today=None) -> bool:
        """True if a fixed ``effective_until`` date lies before ``today``."""
        import datetime as dt
        import re

        m = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", self.effective_until or "")
        if not m:
            return False
        today = today or dt.date.today()
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) < today

    @property
    def dates_fixed(self) -> bool:
        """True only if both dates are written out without placeholders such as ``X``."""
        import re

        dates = [d for d in (self.effective_from, self.effective_until) if d]
        return bool(dates) and all(re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日", d) for d in dates)


class RuleKind(str, enum.Enum):
    RATE = "rate"  # rate × base, maybe capped, maybe with a threshold
    FIXED = "fixed"  # a fixed award (maybe per year × years)
    TIERED = "tiered"  # fixed award depending on a level (国家级 / 省级)
    CAP_ONLY = "cap_only"  # "最高X万元", amount decided by review: only the ceiling is known


class Comparator(str, enum.Enum):
    GE = ">="
    GT = ">"

    def holds(self, value: Decimal, threshold: Decimal) -> bool:
        return value >= threshold if self is Comparator.GE else value > threshold


@dataclass(frozen=True)
class Quantity:
    """A number as it appears in the clause: its source text and its value (yuan, or a fraction for rates)."""

    text: str  # exactly as in the clause, e.g. "50％", "最高200万元"
    value: Decimal


@dataclass(frozen=True)
class Threshold:
    measure: str  # what is compared, e.g. "年度数据交易额"
    comparator: Comparator
    amount: Quantity
    text: str  # e.g. "达100万元及以上"


@dataclass(frozen=True)
class Rule:
    """Amount rule extracted from one clause segment; every number keeps its source text."""

    id: str  # "1.3-2"
    clause_id: str
    kind: RuleKind
    segment: str  # the part of the clause text this rule was read from
    name: str  # short label, e.g. "数据券（数据交易奖励）"
    subject: str  # who receives it, e.g. "数据供方企业"
    conditions: tuple[str, ...]  # eligibility phrases as written
    base: str | None = None  # as written, e.g. "数据交易额"
    base_key: str | None = None  # canonical base, e.g. "数据交易额"
    rate: Quantity | None = None
    rate_is_max: bool = False  # "不超过…的50％" / "最高80%"
    cap: Quantity | None = None
    cap_scope: str = ""  # "每个专项", "同一主体年度", "累计", "单个区" ...
    cap_aggregates: bool = False  # cap applies to the sum of claims of one subject
    threshold: Threshold | None = None
    fixed: Quantity | None = None
    tiers: tuple[tuple[str, Quantity], ...] = ()
    period: str = ""  # "年度", "累计", "一次性", "每年", "最长三年", "不超过三年"
    years: int | None = None  # for "每年…支持周期为3年"
    base_limit: Quantity | None = None  # 10.3 单笔贷款最高1000万元
    notes: tuple[str, ...] = ()  # ambiguity and reading notes, shown in answers

    def numbers(self) -> list[Quantity]:
        qs = [self.rate, self.cap, self.fixed, self.base_limit]
        if self.threshold:
            qs.append(self.threshold.amount)
        qs.extend(q for _, q in self.tiers)
        return [q for q in qs if q is not None]


@dataclass(frozen=True)
class NonComputable:
    clause_id: str
    reason: str


@dataclass(frozen=True)
class Calculation:
    rule_id: str
    clause_id: str
    inputs: dict = field(default_factory=dict)
    formula: str = ""
    amount_yuan: int = 0
    capped: bool = False
    eligible: bool = True
    reason: str = ""
    is_upper_bound: bool = False  # CAP_ONLY / "不超过" rates: the amount is a ceiling

    def to_dict(self) -> dict:
        return {
            "clause_id": self.clause_id,
            "rule_id": self.rule_id,
            "inputs": self.inputs,
            "formula": self.formula,
            "amount_yuan": self.amount_yuan,
            "capped": self.capped,
            "eligible": self.eligible,
            "reason": self.reason,
            "is_upper_bound": self.is_upper_bound,
        }


@dataclass(frozen=True)
class Hit:
    """A retrieved clause with its fused score and where it came from."""

    clause: Clause
    score: float
    sources: tuple[str, ...] = ()  # "exact", "dense", "bm25"
    dense_rank: int | None = None
    bm25_rank: int | None = None
    dense_sim: float | None = None  # cosine similarity from the vector store
    bm25_score: float | None = None  # raw BM25 score on the expanded query


@dataclass(frozen=True)
class Citation:
    clause_id: str
    article: str
    text: str
    departments: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"clause_id": self.clause_id, "article": self.article, "text": self.text, "departments": list(self.departments)}


@dataclass(frozen=True)
class Condition:
    clause_id: str
    text: str
    status: str  # "met" | "not_met" | "unknown"

    def to_dict(self) -> dict:
        return {"clause_id": self.clause_id, "condition": self.text, "status": self.status}


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    calculations: tuple[Calculation, ...] = ()
    total_yuan: int | None = None
    conditions: tuple[Condition, ...] = ()
    notes: tuple[str, ...] = ()
    degraded: bool = False
    conversation_id: str | None = None
    asks: tuple[str, ...] = ()  # follow-up questions to the user (missing facts)
    llm: str = "off"  # optional polish: "off" | "used" | "rejected" | "timeout" | "error" (see polish.py)
    llm_findings: tuple["Finding", ...] = ()  # why a rewrite was rejected

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_dict() for c in self.citations],
            "calculations": [c.to_dict() for c in self.calculations],
            "total_yuan": self.total_yuan,
            "conditions": [c.to_dict() for c in self.conditions],
            "notes": list(self.notes),
            "asks": list(self.asks),
            "degraded": self.degraded,
            "conversation_id": self.conversation_id,
            "llm": self.llm,
            "llm_findings": [f.to_dict() for f in self.llm_findings],
        }


@dataclass(frozen=True)
class QuantityMention:
    """A quantity written in text: ``四百万元`` at 12..17 is money, 4000000 yuan.

    ``value`` is normalised per dimension: yuan (money), a fraction (percent), months
    (duration), the number itself otherwise; ``date`` is yyyymmdd with unknown parts 0.
    """

    start: int
    end: int
    text: str
    value: Decimal
    dimension: str  # money | percent | duration | days | count | area | multiple | date | number
    unit: str = ""  # canonical unit for counts (个, 人, 项 …); "" otherwise


@dataclass(frozen=True)
class Finding:
    """One reason a text is not faithful to its sources: what kind, where, and why (Chinese)."""

    kind: str  # e.g. "unsourced_quantity", "role_mismatch", "citation_dropped" (see verify.KINDS)
    start: int
    end: int
    text: str  # the offending span ("" for something missing)
    why: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "span": [self.start, self.end], "text": self.text, "why": self.why}
