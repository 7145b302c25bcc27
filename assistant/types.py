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


Table = tuple[tuple[str, ...], ...]  # rows of cell texts; the first row is the header


@dataclass(frozen=True)
class Clause:
    """One citable item: a sentence of an article body (``3.4``), a ``（一）``/``1.`` item, or a final provision."""

    id: str  # "3.4" or "附则.1"
    doc_id: str
    article_no: int | None  # None for the free-text final provisions (附则.1)
    article_title: str  # never empty: derived from the article's first phrase when it has no title
    item_no: int
    text: str  # verbatim; a table that belongs to the item is rendered into it as sentences
    departments: tuple[str, ...] = ()
    lead: str = ""  # the article's lead-in before its items ("对符合下列条件的企业给予支持："): context, not part of text
    tables: tuple[Table, ...] = ()  # tables of this item, structured (also rendered into ``text``)
    final: bool = False  # an article of a 附则 chapter (keeps its 条 number)

    @property
    def is_final_provision(self) -> bool:
        return self.article_no is None or self.final

    @property
    def table(self) -> Table:
        """The item's (first) table, first row the header; ``()`` if it has none."""
        return self.tables[0] if self.tables else ()


@dataclass(frozen=True)
class Article:
    number: int | None  # None = final provisions
    title: str
    clause_ids: tuple[str, ...]
    lead: str = ""  # text between the heading and the first item (not citable; context for every item)
    title_derived: bool = False  # no title in the source: ``title`` is the article's first phrase
    chapter: str = ""  # "第二章 支持措施" when the document has chapters
    final: bool = False  # final provisions: in a 附则 chapter, or trailing 本办法… articles
    departments: tuple[str, ...] = ()  # named in the lead-in or an article-level sentence: apply to every item

    @property
    def label(self) -> str:
        from assistant.numerals import int_to_chinese

        return FINAL_SECTION if self.number is None else f"第{int_to_chinese(self.number)}条"


class DatesState(str, enum.Enum):
    """How much the document says about when it applies (see ``Document.dates_state``)."""

    KNOWN = "known"  # real dates (written, or computed from a relative term and the publication date)
    PLACEHOLDER = "placeholder"  # written with placeholders: 2026年X月X日
    AWAITING_PUBLICATION = "awaiting_publication"  # relative (自发布之日起…有效期三年) and no publication date given
    UNSTATED = "unstated"  # the text gives no dates at all


@dataclass(frozen=True)
class Document:
    id: str  # file stem
    title: str  # without the status suffix
    status: DocStatus
    status_text: str  # as written after the title, e.g. "征求意见稿"; "" if none
    effective_from: str | None  # as written ("2026年X月X日"), or the publication date for 自发布之日起施行
    effective_until: str | None  # as written, or computed from the validity term (``until_computed``)
    preamble: str
    articles: tuple[Article, ...]
    clauses: tuple[Clause, ...]
    source_path: str
    content_hash: str
    level: str = ""  # the issuing government's level: 省/市/州/区/县 ("" if unknown)
    region: str = ""  # e.g. "武汉市", "江陵市滨湖区" ("" if unknown)
    trial: str = ""  # "试行"/"暂行" when the document says it is a trial/interim policy (it is still in force)
    validity: str = ""  # the validity wording as written, e.g. "自发布之日起施行，有效期三年"
    term_months: int | None = None  # a relative validity term ("有效期三年" → 36)
    starts_on_publication: bool = False  # "自发布/印发/公布之日起施行"
    until_computed: bool = False  # ``effective_until`` was computed from ``effective_from`` + ``term_months``
    issued: str | None = None  # the date line at the end (落款日期), as written
    issuer: str = ""  # the issuing body in the signature block, as written

    @property
    def full_title(self) -> str:
        return f"《{self.title}（{self.status_text}）》" if self.status_text else f"《{self.title}》"

    @property
    def departments(self) -> tuple[str, ...]:
        """Every department named for any clause, in order of first appearance."""
        seen: dict[str, None] = {}
        for c in self.clauses:
            for d in c.departments:
                seen.setdefault(d, None)
        return tuple(seen)

    @property
    def local_label(self) -> str:
        """How the document calls its own jurisdiction: "本区", "本县", "本市" (default)."""
        return f"本{self.level}" if self.level else "本市"

    def expired(self, today=None) -> bool:
        """True if a fixed ``effective_until`` date lies before ``today``."""
        import datetime as dt

        from assistant.dates import parse_date

        until = parse_date(self.effective_until or "")
        return until is not None and until < (today or dt.date.today())

    @property
    def dates_state(self) -> DatesState:
        from assistant.dates import parse_date

        written = [d for d in (self.effective_from, self.effective_until) if d]
        if any(parse_date(d) is None for d in written):
            return DatesState.PLACEHOLDER
        if (self.starts_on_publication or self.term_months) and not self.effective_from:
            return DatesState.AWAITING_PUBLICATION
        return DatesState.KNOWN if written else DatesState.UNSTATED

    @property
    def dates_fixed(self) -> bool:
        """Kept for older callers: the dates are real dates (``dates_state`` is KNOWN)."""
        return self.dates_state is DatesState.KNOWN

    def dates_note(self) -> str | None:
        """The note answers add about the document's dates, or None when there is nothing to warn about.

        A draft always gets ``DRAFT_NOTE``; an in-force document is never said to have undetermined dates:
        its placeholders are reported as unfilled, a relative term without a publication date as such.
        """
        from assistant import phrases

        state = self.dates_state
        if self.status is DocStatus.DRAFT:
            if state is DatesState.AWAITING_PUBLICATION or (self.validity and not self.effective_from):
                return phrases.DRAFT_RELATIVE_NOTE.format(status=self.status_text or self.status.label, validity=self.validity)
            return phrases.DRAFT_NOTE.format(status=self.status_text or self.status.label,
                                             start=self.effective_from or "未写明", end=self.effective_until or "未写明")
        if state is DatesState.PLACEHOLDER:
            return phrases.PLACEHOLDER_NOTE.format(start=self.effective_from or "未写明", end=self.effective_until or "未写明")
        if state is DatesState.AWAITING_PUBLICATION:
            return phrases.RELATIVE_NOTE.format(validity=self.validity)
        return None


class RuleKind(str, enum.Enum):
    """How the amount of a rule is formed. Display label in ``label``."""

    RATE = "rate"  # rate × base, maybe capped, maybe with thresholds; base may be an increment
    MARGINAL = "marginal"  # rate brackets: "1000万元以内的部分按5%、超过1000万元的部分按2%"
    FIXED = "fixed"  # a fixed award (maybe per year × years)
    TIERED = "tiered"  # fixed award (or rate) chosen by level / class / milestone / stage
    PER_UNIT = "per_unit"  # amount × units (每人, 每件, 每平方米每月 × area × months)
    INTEREST = "interest"  # interest subsidy: a share of LPR × loan, or of interest actually paid
    CAP_ONLY = "cap_only"  # "最高X万元", amount decided by review: only the ceiling is known

    @property
    def label(self) -> str:
        return {"rate": "按比例", "marginal": "分段比例", "fixed": "固定金额", "tiered": "分档金额", "per_unit": "按数量",
                "interest": "贴息", "cap_only": "仅有上限"}[self.value]


class Comparator(str, enum.Enum):
    GE = ">="
    GT = ">"
    LE = "<="
    LT = "<"

    def holds(self, value: Decimal, threshold: Decimal) -> bool:
        return {Comparator.GE: value >= threshold, Comparator.GT: value > threshold,
                Comparator.LE: value <= threshold, Comparator.LT: value < threshold}[self]

    @property
    def words(self) -> str:
        return {">=": "达到", ">": "超过", "<=": "不超过", "<": "低于"}[self.value]


class CapScope(str, enum.Enum):
    """What a ceiling applies to."""

    CLAIM = "claim"  # one award / one application (no scope written)
    ITEM = "item"  # 每个项目 / 单个项目 / 每个专项 / 每项
    UNIT = "unit"  # each unit of a per-unit award (每人最高…)
    YEAR = "year"  # 每年 / 年度
    RECIPIENT = "recipient"  # 单个企业 / 单户 / 同一主体 / 每家 (all claims of one recipient)
    RECIPIENT_YEAR = "recipient_year"  # 单个企业每年 / 同一主体年度
    TOTAL = "total"  # 累计 / 合计 / 总额 (over the whole support period)
    REGION = "region"  # 单个区

    @property
    def label(self) -> str:
        return {"claim": "", "item": "单个项目", "unit": "每个单位", "year": "每年", "recipient": "单个主体",
                "recipient_year": "单个主体每年", "total": "累计", "region": "单个区"}[self.value]

    @property
    def aggregates(self) -> bool:
        """Whether the cap binds the sum of several claims of one recipient."""
        return self in (CapScope.RECIPIENT, CapScope.RECIPIENT_YEAR, CapScope.TOTAL, CapScope.REGION)


@dataclass(frozen=True)
class Quantity:
    """A number as it appears in the clause: its source text and its value (yuan, a fraction for rates, or a count)."""

    text: str  # exactly as in the clause, e.g. "50％", "最高200万元", "24个月"
    value: Decimal


@dataclass(frozen=True)
class Threshold:
    """An eligibility condition on a number: 年度数据交易额达100万元及以上, 引进博士5名以上."""

    measure: str  # what is compared, e.g. "年度数据交易额"; "" when the text does not name it
    comparator: Comparator
    amount: Quantity
    text: str  # e.g. "达100万元及以上"
    unit: str = "元"  # "元" for money, else the count word ("名", "人", "件" …)
    first_time: bool = False  # "首次突破"


@dataclass(frozen=True)
class Cap:
    amount: Quantity
    scope: CapScope = CapScope.CLAIM
    text: str = ""  # the scope words as written, e.g. "同一主体年度"
    clause_id: str = ""  # set when the cap is written in another clause of the article ("本条补助累计最高…")


@dataclass(frozen=True)
class Bracket:
    """One band of a marginal rate: the part of the base between ``lower`` and ``upper``."""

    lower: Decimal  # yuan, exclusive of the band below
    upper: Decimal | None  # None = no upper end
    rate: Quantity
    text: str  # e.g. "超过1000万元的部分按2%"


@dataclass(frozen=True)
class Tier:
    """One choice of a tiered award. ``key`` is what the user states (国家级, A类, 辅导备案);
    for milestone tiers (营业收入首次突破1亿元) ``threshold`` is the value that selects it."""

    key: str
    amount: Quantity | None = None
    rate: Quantity | None = None
    threshold: Quantity | None = None
    unit: str = ""  # per-unit tiers whose units differ: "冷藏库按库容每立方米150元、冷冻库按设计储存能力每吨300元"
    min_units: Quantity | None = None  # this tier's own minimum ("单座冷藏库库容应在300立方米以上")
    deduct: str = ""  # what this stage's payment deducts, as written ("已获挂牌奖励的，在本阶段拨付时予以扣除")


@dataclass(frozen=True)
class YearAmount:
    """The amount per unit for some years of a multi-year award: "第二年和第三年按每平方米每月10元"."""

    first: int  # 1-based year of support
    last: int
    amount: Quantity
    text: str  # e.g. "第二年和第三年按每平方米每月10元"


@dataclass(frozen=True)
class PerUnit:
    """Amount per unit and period: 每人每月2000元（最长24个月）, 每平方米每月20元（面积不超过500平方米）."""

    unit: str  # "人", "件", "项", "平方米" …
    period: str = ""  # "" | "月" | "年"
    max_units: Quantity | None = None  # 面积不超过500平方米, 每家最多5人
    max_periods: Quantity | None = None  # 最长24个月, 最长3年
    item: str = ""  # what one unit is, when the text says ("每取得一个型号合格证": 型号合格证)
    by_year: tuple[YearAmount, ...] = ()  # the amount per unit depends on the year of support (first year 20元, then 10元)


@dataclass(frozen=True)
class Schedule:
    """Support over several years or paid in instalments."""

    years: int | None = None  # 连续支持3年 / 支持周期为3年 / 分三年
    per_year: bool = False  # the amount (or cap) is per year
    ratios: tuple[int, ...] = ()  # 4:3:3
    text: str = ""
    over: "Quantity | None" = None  # instalments only above this amount ("单个项目补助金额超过300万元的，分两期拨付")
    clause_id: str = ""  # set when the schedule is written in another clause of the article


@dataclass(frozen=True)
class RatioCondition:
    """A condition on the ratio of two amounts the claim can give: "年度研发费用占当年营业收入比重达到5%及以上"."""

    numerator: str  # "年度研发费用"
    denominator: str  # "当年营业收入"
    comparator: Comparator
    threshold: Quantity  # "5%"
    text: str  # "达到5%及以上"


@dataclass(frozen=True)
class RateModifier:
    """A change to how a rule pays when a condition holds, written in another sentence or clause of the article:
    "以知识产权质押方式获得的贷款，贴息比例提高至70%" (``rate``), "…比重达到5%及以上的，上述奖励比例分别提高2个百分点"
    (``points``), "属于品牌旗舰店、概念店的，在上述标准基础上上浮20%" (``uplift``). Exactly one of the three is set.
    Applied by the calculator only when the claim says the condition holds (``Claim.conditions_met``) or, for a
    ``ratio`` condition, when the claim's amounts show it holds; otherwise shown as a condition."""

    condition: str  # as written, e.g. "以知识产权质押方式获得的贷款"
    rate: Quantity | None = None  # the rate becomes this ("提高至70%")
    points: Quantity | None = None  # percentage points added to the rate ("提高2个百分点")
    uplift: Quantity | None = None  # the standard amount is raised by this share ("上浮20%")
    ratio: RatioCondition | None = None  # when the condition is a ratio of two amounts the calculator can check
    clause_id: str = ""  # the clause it is written in
    text: str = ""  # the whole sentence as written

    @property
    def effect(self) -> str:
        if self.rate is not None:
            return f"比例提高至{self.rate.text}"
        if self.points is not None:
            return f"比例提高{self.points.text}"
        return f"标准上浮{self.uplift.text}" if self.uplift is not None else ""


@dataclass(frozen=True)
class ShareCap:
    """A ceiling written as a share of an amount the claim gives: "月补贴额不超过当月实际租金的50%"."""

    rate: Quantity
    base: str  # "当月实际租金"
    period: str = ""  # "月" when the ceiling binds each month's amount
    text: str = ""  # as written


@dataclass(frozen=True)
class Rule:
    """Amount rule extracted from one clause segment (or given in a document's sidecar file).

    Every number keeps its source text, so a test can prove each one appears in its clause.
    ``kind`` says how the base amount is formed; thresholds, caps, units and schedules then apply
    in a fixed order (see ``calculator``). Where the text leaves a reading open the rule carries a
    note instead of a guess.
    """

    id: str  # "1.3-2"
    clause_id: str
    kind: RuleKind
    segment: str  # the part of the clause text this rule was read from
    name: str  # short label, e.g. "数据券（数据交易奖励）"
    subject: str  # who receives it, e.g. "数据供方企业"
    conditions: tuple[str, ...] = ()  # eligibility phrases as written
    base: str | None = None  # as written, e.g. "数据交易额"
    base_key: str | None = None  # canonical base the answer engine matches on
    increment: bool = False  # base is the growth over the previous year (较上年增长部分 / 增量部分)
    rate: Quantity | None = None
    rate_is_max: bool = False  # "不超过…的50％" / "最高80%": the result is an upper bound
    brackets: tuple[Bracket, ...] = ()
    fixed: Quantity | None = None
    tiers: tuple[Tier, ...] = ()
    tier_label: str = ""  # what the tiers are keyed by: "级别", "类别", "营业收入", "阶段"
    per_unit: PerUnit | None = None
    interest_basis: str = ""  # "LPR" (share of the loan prime rate) | "actual" (share of interest paid)
    caps: tuple[Cap, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    schedule: Schedule | None = None
    base_limit: Quantity | None = None  # 单笔贷款最高1000万元: the base counts up to this
    top_up: bool = False  # 按差额补足: pays the gap between the standard and what was received
    on_top_of: str | None = None  # "在按本条第一项给予补助的基础上…再…": the clause whose award this one adds to
    modifiers: tuple[str, ...] = ()  # clauses of the article that change how this rule pays (差额补足, 分期拨付)
    rate_modifiers: tuple[RateModifier, ...] = ()  # conditional changes of its rate or standard (提高至70%, 上浮20%)
    share_cap: ShareCap | None = None  # a ceiling as a share of an amount (月补贴额不超过当月实际租金的50%)
    reviewed: bool = False  # amount decided by review (遴选/评审/择优): the result is an upper bound
    notes: tuple[str, ...] = ()  # ambiguity and reading notes, shown in answers
    source: str = "text"  # "text" (parsed) | "sidecar" (given by an admin)
    continues: str = ""  # "…给予一次性奖励50万元，并…每年给予运营补助10万元": the rule of the same condition this one goes on from

    # ---- conveniences used by the answer engine

    @property
    def cap(self) -> Quantity | None:
        """The ceiling that binds one claim first (the narrowest scope)."""
        return self.caps[0].amount if self.caps else None

    @property
    def cap_scope(self) -> str:
        return self.caps[0].text if self.caps else ""

    @property
    def cap_aggregates(self) -> bool:
        return any(c.scope.aggregates for c in self.caps)

    @property
    def threshold(self) -> Threshold | None:
        money = [t for t in self.thresholds if t.unit == "元"]
        return money[0] if money else (self.thresholds[0] if self.thresholds else None)

    @property
    def years(self) -> int | None:
        return self.schedule.years if self.schedule else None

    @property
    def period(self) -> str:
        if self.schedule and self.schedule.text:
            return self.schedule.text
        return ""

    @property
    def upper_bound(self) -> bool:
        return self.rate_is_max or self.reviewed or self.kind is RuleKind.CAP_ONLY

    def numbers(self) -> list[Quantity]:
        """Every quantity of this rule, each with its text as written in the clause."""
        qs: list[Quantity | None] = [self.rate, self.fixed, self.base_limit]
        qs += [c.amount for c in self.caps]
        qs += [t.amount for t in self.thresholds]
        for b in self.brackets:
            qs.append(b.rate)
        for t in self.tiers:
            qs += [t.amount, t.rate, t.threshold, t.min_units]
        if self.per_unit:
            qs += [self.per_unit.max_units, self.per_unit.max_periods]
            qs += [y.amount for y in self.per_unit.by_year]
        for m in self.rate_modifiers:
            qs += [m.rate, m.points, m.uplift, m.ratio.threshold if m.ratio else None]
        if self.share_cap:
            qs.append(self.share_cap.rate)
        if self.schedule:
            qs.append(self.schedule.over)
        return [q for q in qs if q is not None]


class Coverage(str, enum.Enum):
    COMPUTABLE = "computable"  # every amount in the clause is in a rule
    REVIEW = "review"  # the clause states amounts that no rule captures fully: a person must read it
    NO_FIGURE = "no_figure"  # an award with no figure ("按有关规定给予奖励")
    SHARED_CAP = "shared_cap"  # a limit on the other items of its article ("单个企业每年累计最高1000万元"): applied to their rules
    MODIFIER = "modifier"  # how the article's other items pay (按差额补足, 分两期拨付): applied to their rules
    NONE = "none"  # no amounts, no award

    @property
    def label(self) -> str:
        return {"computable": "可计算", "review": "需人工核对", "no_figure": "未写明金额", "shared_cap": "本条共用上限（已计入各项）",
                "modifier": "本条其他各项的计算规则（已计入各项）", "none": "无金额"}[self.value]


@dataclass(frozen=True)
class NonComputable:
    clause_id: str
    reason: str
    coverage: Coverage = Coverage.REVIEW


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
    doc_id: str = ""
    document: str = ""  # the document's full title, 《…（征求意见稿）》
    label: str = ""  # where it is, for people: 第三条第四项 / 附则第1项

    def to_dict(self) -> dict:
        return {"clause_id": self.clause_id, "article": self.article, "text": self.text, "departments": list(self.departments),
                "doc_id": self.doc_id, "document": self.document, "label": self.label}


@dataclass(frozen=True)
class Condition:
    clause_id: str
    text: str
    status: str  # "met" | "not_met" | "unknown" | "review" (decided by the department: 遴选/评审)

    def to_dict(self) -> dict:
        return {"clause_id": self.clause_id, "condition": self.text, "status": self.status}


class BlockStatus(str, enum.Enum):
    """How a measure stands in an answer."""

    COUNTED = "counted"  # computed and in the total
    CONDITIONAL = "conditional"  # computed, but only if a fact the user has not stated holds: not in the total
    NOT_ELIGIBLE = "not_eligible"  # the user's facts fail a condition: 0
    NEEDS_FACT = "needs_fact"  # cannot compute until the user answers a question
    INFO = "info"  # a measure without an amount to compute (award without figure, no facts given)
    REVIEW = "review"  # the clause's amounts need a person to read them


@dataclass(frozen=True)
class MeasureBlock:
    """One measure in an answer: what it is, how much, whether its conditions hold, who handles it."""

    clause_id: str
    doc_id: str
    name: str
    status: BlockStatus
    rule_id: str | None = None
    amount_yuan: int | None = None
    is_upper_bound: bool = False
    if_text: str = ""  # for conditional amounts: "如属中小企业"
    formula: str = ""
    conditions: tuple[Condition, ...] = ()
    departments: tuple[str, ...] = ()
    standard: str = ""  # the rule's standard in one line (when nothing was computed)
    note: str = ""
    also: tuple[str, ...] = ()  # other clauses the amount rests on: the article's 差额补足/分期拨付 clause, a shared cap that bound


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
    summary: str = ""  # the bottom line, first thing shown
    blocks: tuple[MeasureBlock, ...] = ()
    quick_replies: tuple[str, ...] = ()  # one-tap answers to the pending question (是 / 否 / 不确定, tier names)
    scope: str = "answer"  # "answer" | "maybe" (可能相关: clauses only, no amounts) | "refuse"
    documents: tuple[str, ...] = ()  # ids of the documents the answer draws on
    total_is_upper_bound: bool = False
    llm: str = "off"  # optional polish: "off" | "used" | "rejected" | "timeout" | "error" (see polish.py)
    llm_findings: tuple["Finding", ...] = ()  # why a rewrite was rejected

    def to_dict(self) -> dict:
        from assistant.views import answer_dict

        return answer_dict(self)


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
