"""Clause text → amount ``Rule`` records, by reading the text (never by retyping numbers).

Owns: splitting a clause into award segments, giving every quantity of a segment a role
(rate, fixed amount, cap and its scope, threshold, bracket, tier, per-unit amount, unit or
period limit, schedule), assembling a typed ``Rule`` from the roles, and the coverage of
every clause (computable / needs review / award without a figure / no amounts).

**Never a partial rule.** A segment whose money, percentages, periods or ratios are not all
given a role yields no rule: the clause is listed as needing review, with the quantities that
were not understood. A simplified rule that drops a threshold or a tier pays wrong amounts;
saying "needs review" does not.

Generic notes replace hand-written readings: a cap next to a multi-year period without
"每年"/"累计" says the text does not tell per-year from total; a threshold measured on
something other than the base says so. Readings a document needs beyond that live in its
sidecar file (``sidecar``), never here. Does not compute anything: see ``calculator``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from assistant.quantities import UNIT_SCALE, Span, scan
from assistant.text import segments as words_of
from assistant.types import (Bracket, Cap, CapScope, Clause, Comparator, Coverage, NonComputable, PerUnit, Quantity,
                             RateModifier, RatioCondition, Rule, RuleKind, Schedule, ShareCap, Threshold, Tier, YearAmount)

_CJK = r"\u4e00-\u9fa5"
_AWARD_VERB = re.compile(r"(给予|予以|奖励|补助|补贴|资助|贴息|兑付|拨付|兑现|发放|支持|补足|奖补|风险补偿|一次性奖)")
_AWARD_NOUN = re.compile(r"(风险补偿|创业资助|经费支持|资金支持|安家补贴|购房补贴|租房补贴|生活补贴|生活津贴|津贴|贴息|奖励|补助|补贴|资助|支持|奖补)")
_GIVE = re.compile(r"(给予|予以|奖励|补助|补贴|资助|贴息|兑付|奖补)")
_QUALIFIER = re.compile(r"(最高|最多|不超过|不高于|上限|封顶|累计|期限|周期|最长|连续|分[一二三四五六七八九十\d]+年|拨付|面积|每人|每家|每户|单个|单户|单家|同一|其中|的部分|每年|年度|总额|合计|为限)")
_NEW_CONDITION = re.compile(r"^(对|凡|经|支持(?!周期|期限|年限|时间)|鼓励|另|此外|同时|其中[^\d]{0,6}的|获得|获评|首次|新)")
_UPPER_WORDS = re.compile(r"(最高|最多|不超过|不高于|上限为?|封顶|总额不超过|总计不超过|合计不超过|累计不超过|累计最高)$")
_GE_LEFT = re.compile(r"(达到|达|不低于|不少于|满|在)$")
_GT_LEFT = re.compile(r"(超过|超|高于|大于|逾|突破|首次突破|首次超过|首次达到|首次达)$")
_LT_LEFT = re.compile(r"(低于|不足|不满|未达到|未达|少于)$")
_GE_RIGHT = re.compile(r"^(（含）)?(及以上|以上|（含）以上|或以上)")
_LE_RIGHT = re.compile(r"^(（含）)?(及以下|以下|以内|（含）以下)(?!的部分)")
_BRACKET_RIGHT = re.compile(r"^(（含）)?(以内|以下|及以下|以上)?(（含）)?(至[^，。；]{1,16}?)?的部分")  # "超过1000万元至5000万元（含）的部分": a band edge
_PER = re.compile(r"(每人每天|每人每日|每人每晚|每天每人|每晚每人|每月每平方米|每年每平方米|每月每亩|每年每亩|每月每人|每年每人|每人每月|每人每年|每人|每名|每位|每件|每项|每个(?:产品|型号|品种|项目|专利|标准|海外仓)|每款|每架|每条|每台|每套|每次|每篇|每所|每座|"
                  r"每平方米每月|每平方米每年|每平方米|每立方米|每标准箱|每箱|每航次|每班次|每车次|每趟|每列|每亩|每吨|每千瓦时|每千瓦|每兆瓦|每度|每辆|每公里|每张|每份|每批|每场|每期|每家次|每小时|每架次|每月|每年)(?:[^，；。]{0,10}?)$")
_SCOPE_WORDS: tuple[tuple[re.Pattern, CapScope], ...] = (
    (re.compile(r"(同一主体|同一企业|单个企业|单户企业|单户|单家企业|单家|每家企业|每家|每户|单个单位|单个用人单位|每个单位|同一单位|单个主体|同一申报主体|同一项目单位|单个[\u4e00-\u9fa5]{0,6}?(?:团队|机构|主体|企业)|每家机构)[^，；。]{0,6}(年度|每年|当年)"), CapScope.RECIPIENT_YEAR),
    (re.compile(r"(同一主体|同一企业|单个企业|单户企业|单户|单家企业|单家|每家企业|每家|每户|单个单位|单个用人单位|每个单位|同一单位|单个主体|同一申报主体|同一项目单位)(年度|每年)"), CapScope.RECIPIENT_YEAR),
    (re.compile(r"(每年|年度|当年)[^，；。]{0,6}(同一主体|单个企业|单户|单家|每家|每户|单个单位|单个用人单位)"), CapScope.RECIPIENT_YEAR),
    (re.compile(r"累计|合计|总额|总计|全周期|支持期内"), CapScope.TOTAL),
    (re.compile(r"同一主体|同一企业|单个企业|单户企业|单户|单家企业|单家|每家企业|每家|每户|单个单位|单个用人单位|每个单位|同一单位|单个主体|同一申报主体|同一项目单位"), CapScope.RECIPIENT),
    (re.compile(r"单个区|每个区"), CapScope.REGION),
    (re.compile(r"每人|每名|每位|单人|个人|每月|每个月"), CapScope.UNIT),
    (re.compile(r"每个专项|单个专项|每个项目|单个项目|每项|单项|每个"), CapScope.ITEM),
    (re.compile(r"每年|年度|当年|每年度"), CapScope.YEAR),
)
_YEARS = re.compile(r"(连续支持|连续|支持周期为?|周期为?|分|期限不超过|期限为?|最长|补助期限不超过|补贴期限不超过|不超过)(?P<n>[\d一二两三四五六七八九十]+)(?:个)?(年|个年度)")
_FIRST = re.compile(r"首次")
_LPR = re.compile(r"(贷款市场报价利率|LPR)")
_INCREMENT = re.compile(r"(较上年增长部分|较上一年度增长部分|较上年度增长部分|增量部分|新增部分|同比增长部分|增长部分|较上一?年度?新增|比上年新增)")
_REVIEW = re.compile(r"(遴选|评审|择优|综合评定|综合评估|视情|根据[^，。]{0,12}(情况|评估|评审)|不超过|最高)")
_STOP_BASE = re.compile(r"^(其|企业|单位|年度|当年|上年度?|的|按照?|对|给予|使用)+")

MIN_SUBJECT = 2
NO_FIGURE_MARK = "\0no-figure"


@dataclass
class _Roles:
    """Working state while reading one segment."""

    seg: str
    spans: list[Span]
    used: set[int] = field(default_factory=set)  # indexes into spans
    notes: list[str] = field(default_factory=list)
    milestone: Threshold | None = None  # comparator of milestone tiers ("首次突破1亿元、5亿元…")
    tier_ceiling: bool = False  # "分别给予最高…": each tier is a ceiling
    share_conditions: list = field(default_factory=list)  # conditions on a share ("出资不低于注册资本30%")
    ratios: tuple[int, ...] = ()  # instalments written as percentages
    cap_tiers: list = field(default_factory=list)  # (kind of project, Cap): a ceiling per kind
    tier_base: str | None = None  # the base of rate tiers ("分别按投资额的20%、15%…")
    ratio_text: str = ""

    def take(self, i: int) -> Span:
        self.used.add(i)
        return self.spans[i]


@dataclass(frozen=True)
class ClauseRules:
    """What the rule reader made of one clause."""

    clause_id: str
    coverage: Coverage
    rules: tuple[Rule, ...] = ()
    reason: str = ""
    shared_caps: tuple[Cap, ...] = ()  # SHARED_CAP: limits that apply to the rules of the article's other items
    shared_years: int | None = None  # "贴息期限累计不超过2年"


_SHARED = re.compile(r"^(?:单个企业|同一企业|单户企业|单户|同一主体|单个项目|同一项目|每家企业|单个单位|单个用人单位)?[^，。；]{0,14}?"
                     r"(?:获得|享受|申请)?(?:本条|本项|上述|以上|前款|前述|该项|本措施|本办法|本政策)?[^，。；]{0,6}?"
                     r"(?:补助|补贴|奖励|资助|贴息|支持)(?:资金|金额|总额)?[^，。；]{0,4}?(?:累计|合计|总额|每年|年度)?[^，。；]{0,4}?(?:最高|不超过)")


def _shared_cap(clause: Clause, text: str) -> ClauseRules | None:
    """A clause that only limits the other items of its article: no award of its own, only caps
    ("单个企业同一年度内获得本条补助资金累计最高1000万元", "单个企业每年贴息最高200万元，同一项目贴息期限累计不超过2年")."""
    if re.search(r"(给予|予以)", text) or not re.search(r"(最高|不超过)", text):
        return None
    spans = [x for x in scan(text) if x.kind in ("money", "percent", "duration")]
    if not spans or any(x.kind == "percent" for x in spans):
        return None
    roles = _Roles(text, spans)
    caps = _read_caps(roles)
    years = None
    for i, x in enumerate(spans):
        if x.kind == "duration" and x.unit == "年" and re.search(r"(不超过|最长|累计)$", _left(text, x, 6)):
            roles.take(i)
            years = int(x.value)
    if not caps or any(i not in roles.used for i in range(len(spans))) or not _SHARED.search(text.split("，")[0] + "，"):
        return None
    caps = [replace(c, scope=c.scope if c.scope is not CapScope.CLAIM else CapScope.RECIPIENT) for c in caps]
    shown = "；".join(f"{c.text}最高{c.amount.text}" for c in caps)
    return ClauseRules(clause.id, Coverage.SHARED_CAP, (), f"本条各项共用的上限：{shown}（已计入本条各项的测算）", tuple(caps), years)


@dataclass(frozen=True)
class Modifier:
    """How a figure-less clause changes the awards of its article's other items."""

    clause_id: str
    top_up: bool = False  # 差额补足 / 已获得的予以扣除 / 合计不超过本条第一项的标准
    ratios: tuple[int, ...] = ()  # 分两期拨付：竣工验收后拨付60%，…余下的40%
    over: Quantity | None = None  # instalments only above this amount
    text: str = ""
    items: tuple[int, ...] = ()  # "本条第一项": only these items; () = every other item
    rate_mod: RateModifier | None = None  # "以知识产权质押方式获得的贷款，贴息比例提高至70%"
    item_no: int = 0  # the modifier's own item: "上述" reaches only the items before it
    earlier_only: bool = False  # "上述/前述/以上": only the items before this one
    noun: str = ""  # "贴息比例" / "奖励比例": only rules of that kind of award


_PCT = r"\d+(?:\.\d+)?\s*[%％]"
_MOD_RATE = re.compile(rf"^(?P<cond>.+?)的?，(?P<scope>上述|前述|以上|该|本条|相应)?(?P<noun>[{_CJK}]{{0,6}}?)(?:比例|标准)(?:分别|均|可)?"
                       rf"(?:提高至|提高到|上调至|调整为|提升至)(?P<rate>{_PCT})$")
_MOD_POINTS = re.compile(rf"^(?P<cond>.+?)的?，(?P<scope>上述|前述|以上|该|本条|相应)?(?P<noun>[{_CJK}]{{0,6}}?)比例(?:分别|均|可)?"
                         r"(?:提高|上调|增加)(?P<pts>[\d一二两三四五六七八九十]+(?:\.\d+)?个百分点)$")
_MOD_UPLIFT = re.compile(rf"^(?P<cond>.+?)的?，(?:(?P<scope>在上述|在前述|在以上|在相应|按上述|在该)[{_CJK}]{{0,6}}?(?:标准|金额|奖励|补助|补贴)?(?:的)?基础上|"
                         rf"(?P<scope2>上述|前述|相应)?(?P<noun>[{_CJK}]{{0,6}}?)(?:标准|金额))(?:再|分别)?(?:上浮|提高|增加)(?P<up>{_PCT})$")
_MOD_RATIO = re.compile(rf"(?P<num>[{_CJK}]{{2,14}}?)占(?P<den>[{_CJK}]{{2,14}}?)(?:的)?(?:比重|比例)(?P<op>达到|达|不低于|超过|高于)?(?P<pct>{_PCT})(?P<ge>及以上|以上)?")


def _rate_modifier(text: str, clause_id: str) -> tuple[RateModifier, str, bool] | None:
    """A sentence that changes how other awards pay when a condition holds, and nothing else: the modifier,
    the kind of award it names ("贴息" of 贴息比例, "" when none) and whether it reaches only the awards before it
    ("上述"). Every percentage of the sentence must be used by it."""
    t = text.strip().rstrip("。；;")
    m = _MOD_RATE.match(t) or _MOD_POINTS.match(t) or _MOD_UPLIFT.match(t)
    if not m or re.search(r"(给予|予以)", t):
        return None
    cond = re.sub(r"^(对|凡|其中|另外|此外)", "", m.group("cond")).strip("，、 ")
    cond = re.sub(r"的$", "", cond)
    groups = m.groupdict()
    rate = points = uplift = None
    used = []
    if groups.get("rate"):
        x = next(q for q in scan(groups["rate"]) if q.kind == "percent")
        rate, used = Quantity(x.text, x.value), [x.text]
    elif groups.get("pts"):
        x = next(q for q in scan(groups["pts"]) if q.kind == "percent")
        points, used = Quantity(x.text, x.value), [x.text]
    else:
        x = next(q for q in scan(groups["up"]) if q.kind == "percent")
        uplift, used = Quantity(x.text, x.value), [x.text]
    ratio = None
    rm = _MOD_RATIO.search(cond)
    if rm:
        op = rm.group("op") or ""
        comp = Comparator.GT if op in ("超过", "高于") and not rm.group("ge") else Comparator.GE
        x = next(q for q in scan(rm.group("pct")) if q.kind == "percent")
        ratio = RatioCondition(re.sub(r"^(对|凡)", "", rm.group("num")), rm.group("den"), comp, Quantity(x.text, x.value),
                               f"{op}{x.text}{rm.group('ge') or ''}")
        used.append(x.text)
    if sorted(q.text for q in scan(t) if q.kind in ("money", "percent")) != sorted(used):
        return None  # a figure the modifier does not account for: not read
    scope = groups.get("scope") or groups.get("scope2") or ""
    noun = re.sub(r"^(上述|前述|以上|该|本条|相应)", "", groups.get("noun") or "")
    kind = next((w for w in ("贴息", "奖励", "补助", "补贴", "资助") if w in noun), "")
    mod = RateModifier(cond, rate=rate, points=points, uplift=uplift, ratio=ratio, clause_id=clause_id, text=text.strip())
    return mod, kind, bool(re.search(r"(上述|前述|以上)", scope))


def attach_rate_modifier(rule: Rule, mod: RateModifier) -> Rule:
    """The rule with a modifier that fits it (a new rate or added points for a rate, an uplift for a standard); unchanged otherwise."""
    has_rate = rule.rate is not None or any(t.rate is not None for t in rule.tiers)
    has_standard = rule.kind in (RuleKind.FIXED, RuleKind.TIERED, RuleKind.PER_UNIT) and not has_rate
    if (mod.uplift is None and not has_rate) or (mod.uplift is not None and not has_standard):
        return rule
    note = f"原文：{mod.text.rstrip('。')}（符合该条件时计入）。"
    return replace(rule, rate_modifiers=rule.rate_modifiers + (mod,), notes=rule.notes + (note,))


_TOP_UP_MOD = re.compile(r"(差额|补足|予以扣除|不再重复|合计不超过[^，。；]{0,12}标准)")
_INSTALMENTS = re.compile(r"分(两|三|四|五|2|3|4|5)(期|年|次)[^，。；]{0,4}拨付|分期拨付")
_ITEM_REF = re.compile(r"本条第([一二三四五六七八九十\d]{1,3})[项款]")


def _modifier(clause: Clause, text: str) -> tuple[ClauseRules, Modifier] | None:
    """A clause with no award of its own that says how the article's other items pay:
    "已获得较低档次奖励的企业再跨越更高档次的，按两档奖励标准的差额给予奖励" (top-up),
    "单个项目补助金额超过300万元的，分两期拨付：竣工验收后拨付60%，…拨付余下的40%" (instalments)."""
    from assistant.numerals import chinese_to_int

    spans = [x for x in scan(text) if x.kind in ("money", "percent")]
    items = tuple(chinese_to_int(m.group(1)) if not m.group(1).isdigit() else int(m.group(1)) for m in _ITEM_REF.finditer(text))
    rate_mod = _rate_modifier(text, clause.id)
    if rate_mod is not None:
        mod, noun, earlier = rate_mod
        reason = f"本条其他各项的计算规则：{mod.condition}，{mod.effect}（已计入{'上述各项' if earlier else '本条各项'}的测算，符合条件时适用）"
        return ClauseRules(clause.id, Coverage.MODIFIER, (), reason), Modifier(
            clause.id, text=reason, items=items, rate_mod=mod, item_no=clause.item_no, earlier_only=earlier, noun=noun)
    if not spans and _TOP_UP_MOD.search(text) and not re.search(r"(给予|予以)[^，。；]{0,8}(奖励|补助|补贴|资助|支持)[^，。；]{0,4}$", text.split("差额")[0]):
        reason = "本条其他各项的计算规则：按差额补足或扣除已获奖励（已计入" + (f"第{'、'.join(map(str, items))}项" if items else "本条各项") + "的测算）"
        return ClauseRules(clause.id, Coverage.MODIFIER, (), reason), Modifier(clause.id, top_up=True, text=reason, items=items)
    ratio = next((x for x in scan(text) if x.kind == "ratio"), None)
    if ratio is not None and _INSTALMENTS.search(text) and not spans and not re.search(r"(给予|予以)", text):
        # "支持资金按4:3:3的比例分三年拨付": instalments as a ratio
        total = sum(ratio.parts)
        shares = [p * 100 / total for p in ratio.parts]
        if all(x == int(x) for x in shares) and len(shares) >= 2:
            reason = f"本条其他各项的拨付方式：分{len(shares)}期拨付（{'、'.join(f'{int(x)}%' for x in shares)}）"
            return ClauseRules(clause.id, Coverage.MODIFIER, (), reason), Modifier(
                clause.id, ratios=tuple(int(x) for x in shares), text=reason, items=items)
    if spans and _INSTALMENTS.search(text) and not re.search(r"(给予|予以)", text):
        pct = [x for x in spans if x.kind == "percent"]
        money = [x for x in spans if x.kind == "money"]
        parts = [x.value * 100 for x in pct]
        if not pct or sum(parts) != 100 or not all(p == int(p) for p in parts) or len(money) > 1:
            return None
        over = None
        if money:
            m = money[0]
            if not re.match(r"^\s*(以上|及以上)?的", text[m.end:m.end + 4]) or not re.search(r"(超过|达到|高于)$", text[max(0, m.start - 4):m.start]):
                return None
            over = Quantity(m.text, m.value)
        reason = f"本条其他各项的拨付方式：{'超过' + over.text + '的' if over else ''}分{len(parts)}期拨付（{'、'.join(x.text for x in pct)}）"
        return ClauseRules(clause.id, Coverage.MODIFIER, (), reason), Modifier(
            clause.id, ratios=tuple(int(p) for p in parts), over=over, text=reason, items=items)
    return None


_ON_TOP_OF = re.compile(r"在按?(?:照)?本条第([一二三四五六七八九十\d]{1,3})[项款][^，。；]{0,16}基础上")


# ---------------------------------------------------------------- public API


def analyse_clause(clause: Clause) -> ClauseRules:
    """Rules of one clause and its coverage.

    >>> from assistant.types import Clause
    >>> r = analyse_clause(Clause("9.9", "d", 9, "t", 9, "对企业按照研发成本的30%给予最高500万元补助。"))
    >>> r.coverage.value, r.rules[0].kind.value, r.rules[0].base, r.rules[0].rate.text, r.rules[0].cap.text
    ('computable', 'rate', '研发成本', '30%', '500万元')
    """
    text = clause.text
    tables = getattr(clause, "tables", ()) or ()
    table = tables[0] if tables else ()
    body = _text_without_table(text, tables) if tables else text
    quantities = [s for s in scan(body) if s.kind in ("money", "percent")]
    rules: list[Rule] = []
    problems: list[str] = []
    shared = _shared_cap(clause, body) if clause.article_no is not None else None
    if shared is not None:
        return shared
    modifier = _modifier(clause, body) if clause.article_no is not None and not tables else None
    if modifier is not None:
        return modifier[0]
    listed = _numbered_list(body)
    if listed is not None:
        list_rules, list_problem = _rules_from_list(clause, listed)
        if list_problem:
            problems.append(list_problem)
        body_rest = listed.before + ("。" if listed.before and not listed.before.endswith("。") else "") + listed.tail
        shared_tail = _tail_caps(listed.tail) if list_rules else None
        if shared_tail is not None:
            list_rules = [replace(r, caps=r.caps + shared_tail) for r in list_rules]
            body_rest = listed.before
    previous = ""
    for seg in award_segments(body_rest if listed is not None else body):
        inherited = _with_inherited_condition(seg, previous)
        continued, seg, previous = inherited != seg, inherited, seg
        rate_mod = _rate_modifier(seg, clause.id) if rules else None
        if rate_mod is not None:
            # "…分别给予100万元、50万元、20万元一次性奖励；属于品牌旗舰店、概念店的，在上述标准基础上上浮20%"
            changed = attach_rate_modifier(rules[-1], rate_mod[0])
            if changed is not rules[-1]:
                rules[-1] = changed
                continue
        rule, problem = _rule_from_segment(clause, seg)
        if rule is not None and continued and rules:
            rule = replace(rule, continues=rules[-1].segment)  # the rule before, by its text until rules are numbered
        if rule is not None:
            rules.append(rule)
        elif problem:
            problems.append(problem)
    if listed is not None:
        rules.extend(list_rules)
    table_rules: list[Rule] = []
    for table in tables:
        t_rules, t_problem = _rules_from_table(clause, table, body)
        table_rules.extend(t_rules)
        if t_problem:
            problems.append(t_problem)
    if table_rules:
        # "按下表标准给予奖励…同一主体每年品牌类奖励累计最高30万元": the ceiling of the table's awards, not an award
        refers = bool(re.search(r"(下表|附表|如下表|表列)", body))
        pointers = [r for r in rules if r.kind is RuleKind.CAP_ONLY and (re.search(r"(下表|附表|如下表|表列)", r.segment) or (
            refers and all(c.scope.aggregates for c in r.caps)))]
        shared_caps = tuple(c for r in pointers for c in r.caps)
        rules = [r for r in rules if r not in pointers]
        table_rules = [replace(r, caps=r.caps + shared_caps) for r in table_rules]
    rules.extend(table_rules)
    numbered = {r.segment: f"{clause.id}-{i}" for i, r in enumerate(rules, start=1)}
    rules = [replace(r, id=f"{clause.id}-{i}", continues=numbered.get(r.continues, "") if r.continues else "")
             for i, r in enumerate(rules, start=1)]
    on_top = _ON_TOP_OF.search(body)
    if on_top and "." in clause.id:
        from assistant.numerals import chinese_to_int

        n = on_top.group(1)
        target = f"{clause.id.rsplit('.', 1)[0]}.{int(n) if n.isdigit() else chinese_to_int(n)}"
        if target != clause.id:
            rules = [replace(r, on_top_of=target) for r in rules]
    if problems and all(p == NO_FIGURE_MARK for p in problems) and not rules:
        return ClauseRules(clause.id, Coverage.NO_FIGURE, (), "原文只写了适用条件，未写明金额或比例（如“一事一议”，以实施细则为准）")
    problems = [p for p in problems if p != NO_FIGURE_MARK]
    rules = _share_trailing_caps(rules, body)
    if rules and _CLAUSE_TOP_UP.search(body):
        # "企业由低层级晋升为高层级的，按照就高原则补足差额部分，已享受的奖励予以扣除": every award of the clause
        rules = [replace(r, top_up=True) for r in rules]
    rules, unread = _drop_partial(body, rules, quantities)
    problems += unread
    if problems:
        # the segments that were read keep their rules; the clause is listed for the part that was not
        return ClauseRules(clause.id, Coverage.REVIEW, tuple(rules), "；".join(problems))
    if rules:
        return ClauseRules(clause.id, Coverage.COMPUTABLE, tuple(rules))
    if quantities:
        shown = "、".join(dict.fromkeys(q.text for q in quantities))
        return ClauseRules(clause.id, Coverage.REVIEW, (), f"含金额或比例（{shown}），但未识别出对申报主体的补贴标准")
    if _is_award_without_figure(text):
        return ClauseRules(clause.id, Coverage.NO_FIGURE, (), "给予奖补，但原文未写明金额或比例（以实施细则为准）")
    return ClauseRules(clause.id, Coverage.NONE)


@dataclass(frozen=True)
class _Listed:
    """A lead-in and its numbered sub-points: "…按…的一定比例给予奖励：1.…；2.…；3.…。"."""

    before: str  # the clause text before the lead-in's sentence
    lead: str  # the lead-in's sentence up to "："
    items: tuple[str, ...]  # each sub-point without its number
    tail: str  # the text after the last sub-point


_ITEM_MARK = r"(?:{n}[.．、](?!\d)|（{n}）)"


def _numbered_list(body: str) -> _Listed | None:
    """Sub-points numbered 1. 2. 3. (or （1）（2）) after a "：", each ending at "；" (the last at "。")."""
    first = re.search(r"[：:]\s*" + _ITEM_MARK.format(n=1), body)
    if not first:
        return None
    lead_start = body.rfind("。", 0, first.start()) + 1
    pos = first.start() + 1
    items = []
    n = 1
    while True:
        m = re.match(r"\s*" + _ITEM_MARK.format(n=n), body[pos:])
        if not m:
            break
        start = pos + m.end()
        nxt = re.search(r"[；;。]\s*" + _ITEM_MARK.format(n=n + 1), body[start:])
        if nxt:
            items.append(body[start: start + nxt.start()].strip())
            pos = start + nxt.start() + 1
            n += 1
            continue
        end = body.find("。", start)
        end = len(body) if end < 0 else end
        items.append(body[start:end].strip())
        pos = end + 1
        break
    if len(items) < 2:
        return None
    return _Listed(body[:lead_start], body[lead_start: first.start()].strip(), tuple(items), body[pos:].strip())


def _tail_caps(tail: str) -> tuple[Cap, ...] | None:
    """"同一企业同一年度享受本条第（一）项至第（三）项奖励合计不超过120万元": a ceiling over the sub-points, and nothing else."""
    if not tail or re.search(r"(给予|予以)", tail):
        return None
    first = re.split(r"(?<=。)", tail, maxsplit=1)[0]
    spans = [x for x in scan(first) if x.kind in ("money", "percent")]
    if not spans or any(x.kind != "money" for x in spans) or scan_money_or_rate(tail[len(first):]):
        return None
    roles = _Roles(first, spans)
    caps = _read_caps(roles)
    if len(roles.used) != len(spans) or not re.search(r"(合计|累计|总额|共计)", first):
        return None
    scope, words = _cap_scope(first[:16])  # who the ceiling binds is said first ("同一企业同一年度享受…合计不超过")
    if scope.aggregates:
        caps = [replace(c, scope=scope, text=words) for c in caps]
    return tuple(replace(c, scope=c.scope if c.scope.aggregates else CapScope.RECIPIENT) for c in caps)


_STAGED = re.compile(r"分(?:[一二两三四五六\d]+个?)?(?:阶段|期)拨付$")
_STAGE_VERB = re.compile(r"(完成|获得|获|取得|通过|成功|实现|进入)")


def _rules_from_list(clause: Clause, listed: _Listed) -> tuple[list[Rule], str]:
    """One rule per sub-point, each read with the lead-in's conditions ("当年销售额同比增速不低于10%且达到以下
    规模的，按当年较上年度新增销售额的一定比例给予奖励：1.批发企业…达到5亿元的，按新增销售额的0.2%…"), or, when
    the lead-in pays a total in stages ("给予总额300万元奖励，分三个阶段拨付：1.…完成辅导备案的，拨付100万元；…"),
    one staged rule."""
    lead = listed.lead.rstrip("：:，")
    if _STAGED.search(lead) and all("拨付" in it for it in listed.items):
        return _staged_rule(clause, lead, listed.items)
    rules, problems = [], []
    for item in listed.items:
        for seg in award_segments(item):
            rule, problem = _rule_from_segment(clause, f"{lead}，{seg}")
            if rule is not None:
                rule = replace(rule, segment=f"{lead}：{seg}")
                own = re.match(rf"^([{_CJK}、]{{2,12}}?(?:企业|单位|机构|主体))", seg)
                if own:  # "1.批发企业当年销售额达到5亿元的…": the sub-point names its own recipient
                    rule = replace(rule, subject=own.group(1), name=_name(rule.kind, clause, seg, own.group(1), rule.base,
                                                                           _award_noun(seg), rule.tier_label))
                rules.append(rule)
            elif problem:
                problems.append(problem)
    return rules, "；".join(problems)


def _staged_rule(clause: Clause, lead: str, items: tuple[str, ...]) -> tuple[list[Rule], str]:
    problem = f"第{clause.id}项分阶段拨付的奖励未能完整识别"
    lead_money = [x for x in scan(lead) if x.kind in ("money", "percent")]
    caps: list[Cap] = []
    for x in lead_money:
        if x.kind != "money" or not re.search(r"(总额|共计|合计|累计)$", _left(lead, x, 6)):
            return [], problem
        caps.append(Cap(Quantity(x.text, x.value), CapScope.TOTAL, "总额"))
    tiers = []
    for item in items:
        parts = phrases(item)
        pay = next((k for k, p in enumerate(parts) if re.search(r"拨付", p) and scan_money_or_rate(p)), None)
        if pay is None or pay == 0:
            return [], problem
        amounts = scan_money_or_rate(parts[pay])
        rest = "，".join(parts[pay + 1:])
        if len(amounts) != 1 or amounts[0].kind != "money" or scan_money_or_rate(rest) or any(scan_money_or_rate(p) for p in parts[:pay]):
            return [], problem
        deduct = rest if re.search(r"(扣除|抵扣|扣减)", rest) else ""
        if rest and not deduct:
            return [], problem
        cond = re.split(r"(并|且|后|，)", "，".join(parts[:pay]).rstrip("的"))[-1]
        verb = _STAGE_VERB.search(cond)
        key = cond[verb.end():] if verb and verb.end() < len(cond) else cond
        key = re.sub(r"^(项目|企业|公司|单位)", "", key) or key  # "项目开工建设": the stage, not who reaches it
        tiers.append(Tier(key, amount=Quantity(amounts[0].text, amounts[0].value), deduct=deduct))
    if len({t.key for t in tiers}) != len(tiers):
        return [], problem
    subject = _subject(lead)
    seg = lead + "：" + "；".join(items)
    rule = Rule(id=clause.id, clause_id=clause.id, kind=RuleKind.TIERED, segment=seg, name=_name(RuleKind.TIERED, clause, lead, subject, None,
                _award_noun(lead), "阶段"), subject=subject, conditions=tuple(_conditions(lead)), tiers=tuple(tiers),
                tier_label="阶段", caps=tuple(caps), notes=(f"原文分{len(tiers)}个阶段拨付，每个阶段达到时拨付该阶段的金额。",))
    return [rule], ""


def _rule_texts(r: Rule) -> list[str]:
    texts = [q.text for q in r.numbers()] + [t.key for t in r.tiers] + [b.rate.text for b in r.brackets] + [t.deduct for t in r.tiers if t.deduct]
    if r.schedule and r.schedule.text:
        texts.append(r.schedule.text)
    return texts


def _drop_partial(body: str, rules: list[Rule], quantities: list[Span]) -> tuple[list[Rule], list[str]]:
    """Never a partial rule: every amount and rate of the clause must be in some rule. A number no rule
    took ("批发企业当年销售额达到5亿元的，按新增销售额的0.2%" read without its 5亿元) drops the rule of its
    sentence, or, where no rule was made from its sentence, lists the clause for review."""
    if not quantities:
        return rules, []
    texts = [t for r in rules for t in _rule_texts(r)]
    bounds = {v for r in rules for b in r.brackets for v in (b.lower, b.upper) if v is not None}
    missing = [q for q in quantities if not any(q.text in t for t in texts) and not (q.kind == "money" and q.value in bounds)]
    if not missing:
        return rules, []
    starts = {r.id: body.find(r.segment[:12]) for r in rules}
    dropped = {r.id for r in rules if any(q.text in r.segment for q in missing)}
    for q in missing:
        stop = body.find("。", q.start)
        stop = len(body) if stop < 0 else stop
        after = sorted((st, rid) for rid, st in starts.items() if q.end <= st < stop)
        if not after:
            continue
        if "：" in body[q.end: after[0][0]]:
            dropped |= {rid for _, rid in after}  # a condition in the lead-in binds every item after it
            continue
        semi = body.find("；", q.start)
        if semi < 0 or semi > after[0][0]:
            dropped.add(after[0][1])  # "1.批发企业当年销售额达到5亿元的，按…0.2%": the condition of the next award
    kept = [r for r in rules if r.id not in dropped]
    shown = "、".join(dict.fromkeys(q.text for q in missing))
    return kept, [f"含未能读懂的数字（{shown}），相关部分需人工核对"]


_CLAUSE_TOP_UP = re.compile(r"(补足差额|差额补足|差额给予补足|差额部分|按照?差额|已享受的?[^，。；]{0,6}予以扣除|扣除已享受|已获得的[^，。；]{0,6}予以扣除)")


def _share_trailing_caps(rules: list[Rule], text: str = "") -> list[Rule]:
    """"…给予20万元奖励；…给予10万元奖励；单个企业每年度航线奖励最高200万元": a recipient-wide cap written
    once after several awards of one clause binds each of them."""
    if len(rules) < 2:
        return rules
    last = rules[-1]
    shared = [c for c in last.caps if c.scope in (CapScope.RECIPIENT, CapScope.RECIPIENT_YEAR)
              and re.search(r"[；;]\s*(单个|同一|每家|单户)[^；;]*$", last.segment + "；" + c.text) is not None]
    parts = delimited_phrases(last.segment)
    tail_delim, tail = parts[-1] if parts else ("", "")
    in_text = bool(tail) and bool(re.search(r"[；;]\s*" + re.escape(tail), text))  # "…给予10万元奖励；单个企业每年度…最高200万元"
    # "…单个展会最高5万元。同一企业年度展会补贴总额最高30万元。": a sentence of its own that caps the total
    in_text = in_text or bool(tail) and bool(re.search(r"。\s*" + re.escape(tail), text)) and bool(re.search(r"(总额|合计|累计|共计)", tail))
    if not shared or not re.match(r"^(单个|同一|每家|单户)", tail) or (tail_delim != "；" and not in_text):
        return rules
    return [r if r is last or any(c.scope in {x.scope for x in shared} for c in r.caps) else replace(r, caps=r.caps + tuple(shared))
            for r in rules]


def extract_rules(clause: Clause) -> list[Rule]:
    """All amount rules in one clause, in text order; ``[]`` if the clause has none or needs review."""
    return list(analyse_clause(clause).rules)


def build_rule_table(clauses) -> list[Rule]:
    """Every clause's rules; a clause that only limits its article's other items adds its caps
    (and years) to their rules."""
    out: list[Rule] = []
    shared: dict[tuple[str, int | None], list[ClauseRules]] = {}
    mods: dict[tuple[str, int | None], list[Modifier]] = {}
    clauses = list(clauses)
    for c in clauses:
        a = analyse_clause(c)
        if a.coverage is Coverage.SHARED_CAP:
            shared.setdefault((c.doc_id, c.article_no), []).append(a)
        elif a.coverage is Coverage.MODIFIER:
            m = _modifier(c, _text_without_table(c.text, getattr(c, "tables", ()) or ()))
            if m is not None:
                mods.setdefault((c.doc_id, c.article_no), []).append(m[1])
        out.extend(a.rules)
    out = _item_range_caps(clauses, out)
    if not shared and not mods:
        return out
    article = {c.id: (c.doc_id, c.article_no) for c in clauses}
    item_no = {c.id: c.item_no for c in clauses}
    result = []
    for r in out:
        for a in shared.get(article.get(r.clause_id), []):
            r = replace(r, caps=r.caps + tuple(replace(c, clause_id=a.clause_id) for c in a.shared_caps),
                        notes=r.notes + (f"[{a.clause_id}] {a.reason.split('（')[0]}",),
                        schedule=r.schedule or (Schedule(years=a.shared_years, per_year=True) if a.shared_years else None))
        for m in mods.get(article.get(r.clause_id), []):
            if m.items and item_no.get(r.clause_id) not in m.items:
                continue
            if m.rate_mod is not None:
                if m.earlier_only and item_no.get(r.clause_id, 0) >= m.item_no:
                    continue
                if m.noun and m.noun not in r.segment and not (m.noun == "贴息" and r.kind is RuleKind.INTEREST):
                    continue
                changed = attach_rate_modifier(r, m.rate_mod)
                if changed is not r:
                    r = replace(changed, modifiers=changed.modifiers + (m.clause_id,))
                continue
            if m.top_up and r.kind in (RuleKind.FIXED, RuleKind.TIERED):
                r = replace(r, top_up=True, modifiers=r.modifiers + (m.clause_id,))
            elif m.ratios and r.kind is not RuleKind.CAP_ONLY and not (r.schedule and r.schedule.ratios):
                sched = r.schedule or Schedule()
                r = replace(r, schedule=replace(sched, years=sched.years or len(m.ratios), ratios=m.ratios, over=m.over,
                                                clause_id=m.clause_id, text="，".join(x for x in (sched.text, m.text.split("：", 1)[1]) if x)),
                            modifiers=r.modifiers + (m.clause_id,))
        result.append(r)
    return result


_ITEM_RANGE_CAP = re.compile(r"本条第[（(]?([一二三四五六七八九十\d]{1,3})[）)]?[项款]至第[（(]?([一二三四五六七八九十\d]{1,3})[）)]?[项款]"
                             r"[^。；]{0,16}?(?:合计|累计|总额|共计)(?:不超过|不高于|最高)")


def _item_range_caps(clauses: list[Clause], rules: list[Rule]) -> list[Rule]:
    """"同一企业同一年度享受本条第（一）项至第（三）项奖励合计不超过120万元", written in one item: the ceiling binds
    the awards of every item it names, as one ceiling (the answer holds their sum to it)."""
    from assistant.numerals import chinese_to_int

    def num(x: str) -> int:
        return int(x) if x.isdigit() else chinese_to_int(x)

    out = list(rules)
    for c in clauses:
        m = _ITEM_RANGE_CAP.search(c.text)
        if not m or c.article_no is None:
            continue
        money = [x for x in scan(c.text[m.end(): m.end() + 14]) if x.kind == "money"]
        if not money:
            continue
        scope, words = _cap_scope(c.text[max(0, m.start() - 16): m.start()])
        if not scope.aggregates:
            scope = CapScope.RECIPIENT
        cap = Cap(Quantity(money[0].text, money[0].value), scope, words, clause_id=c.id)
        items = set(range(num(m.group(1)), num(m.group(2)) + 1))
        ids = {x.id for x in clauses if x.doc_id == c.doc_id and x.article_no == c.article_no and x.item_no in items}
        for i, r in enumerate(out):
            if r.clause_id in ids:
                kept = tuple(x for x in r.caps if not (x.amount.value == cap.amount.value and x.scope.aggregates))
                out[i] = replace(r, caps=kept + (cap,))
    return out


def non_computable(clauses) -> list[NonComputable]:
    """Clauses with amounts that no rule captures (needs review), awards without a figure, and
    article-wide caps (listed with what they limit)."""
    out = []
    for c in clauses:
        a = analyse_clause(c)
        if a.coverage in (Coverage.REVIEW, Coverage.NO_FIGURE, Coverage.SHARED_CAP, Coverage.MODIFIER):
            out.append(NonComputable(c.id, a.reason, a.coverage))
    return out


# ---------------------------------------------------------------- segmentation


def phrases(text: str) -> list[str]:
    """Split on ， ； 。 outside brackets and quotes."""
    return [p for _, p in delimited_phrases(text)]


def delimited_phrases(text: str) -> list[tuple[str, str]]:
    """(delimiter before the phrase, phrase): "" for the first, else "，", "；" or "。"."""
    out, buf, depth, before = [], [], 0, ""
    for ch in text:
        if ch in "（(“‘《【":
            depth += 1
        elif ch in "）)”’》】":
            depth = max(0, depth - 1)
        if ch in "，；。;" and depth == 0:
            if "".join(buf).strip():
                out.append((before, "".join(buf).strip()))
            buf = []
            before = "；" if ch == ";" else ch
            continue
        buf.append(ch)
    if "".join(buf).strip():
        out.append((before, "".join(buf).strip()))
    return out


def _has_award(ph: str) -> bool:
    if not _GIVE.search(ph) and not re.search(r"(支持|补足)", ph):
        return False
    if re.search(r"比例(分期|分年)?(拨付|兑现|发放)|分[一二三四五两\d]+(年|期)(拨付|兑现|发放)", ph) and not re.search(r"(给予|予以)", ph):
        return False  # how an award is paid, not another award
    if re.search(r"(给予|予以|补足)", ph):
        return True
    # "奖励50万元" / "补助30%" / "支持100万元": an award noun with a figure that is not a condition
    for q in scan_money_or_rate(ph):
        left, right = ph[max(0, q.start - 8): q.start], ph[q.end: q.end + 6]
        if _GT_LEFT.search(left) or _GE_LEFT.search(left) or _LT_LEFT.search(left) or _GE_RIGHT.match(right) or \
                _LE_RIGHT.match(right) or _BRACKET_RIGHT.match(right) or _SHARE_CAP.search(ph[: q.start]):
            continue
        return True
    return False


def scan_money_or_rate(text: str) -> list[Span]:
    return [s for s in scan(text) if s.kind in ("money", "percent")]


_CONTINUED = re.compile(r"^(?:并|同时|另)(?!且?对)")


def _with_inherited_condition(seg: str, previous: str) -> str:
    """A second award of the same sentence ("对新评定为全国甲级旅游民宿的，给予一次性奖励50万元，并自评定次年起连续3年
    每年给予运营补助10万元") is for the same condition: "对新评定为全国甲级旅游民宿的，自评定次年起连续3年每年给予…"."""
    if not previous or not _CONTINUED.match(seg):
        return seg
    lead = []
    for _, ph in delimited_phrases(previous):
        if _has_award(ph):
            break
        lead.append(ph)
    if not lead:
        return seg
    return "，".join(lead) + "，" + _CONTINUED.sub("", seg, count=1)


def award_segments(text: str) -> list[str]:
    """Group phrases into segments, each with its conditions, one award phrase and its qualifiers.

    >>> award_segments("对A给予最高10万元补贴，对B按照数据交易额的5%给予奖励，同一主体年度奖励金额最高200万元。")
    ['对A给予最高10万元补贴', '对B按照数据交易额的5%给予奖励，同一主体年度奖励金额最高200万元']
    """
    segments: list[list[str]] = []
    current: list[str] = []
    after_award = False
    instalments = False
    for delim, ph in delimited_phrases(text):
        if instalments and delim != "。":
            current.append(ph)  # "分两期拨付：首期拨付60%；第二个完整会计年度…的，拨付剩余40%": the terms of the award's payment
            continue
        instalments = False
        # "按其实缴注册资本分档给予一次性落户奖励：实缴注册资本1亿元以上…的": a lead-in; the award follows
        tail = re.split(r"：|(?<!\d):(?!\d)", ph)[-1]
        award = _has_award(tail if tail != ph and tail.endswith("的") else ph)
        if after_award and _INSTALMENT_TERMS.search(ph):
            current.append(ph)
            instalments = True
            continue
        if after_award and delim not in ("。",) and _YEAR_LEAD.match(ph) and any(_YEAR_LEAD.search(p) for p in current):
            current.append(ph)  # "第一年按…30元给予补贴，第二年、第三年按…15元给予补贴": one award, year by year
            continue
        if after_award:
            bracket = bool(re.search(r"的部分", ph))
            qualifier = (not award or bracket or _is_pure_qualifier(ph) or _limits_only(ph)) and not _NEW_CONDITION.match(ph) and (
                bool(_QUALIFIER.search(ph)) or bracket) and bool(scan(ph))
            if delim in ("；", "。") and qualifier and not bracket and not _is_limit_only(ph):
                qualifier = False  # after "；" a phrase with its own condition starts another award
            if not award and _REQUIREMENT.search(ph) and any(q.kind in ("count", "area", "money") for q in scan(ph)):
                qualifier = True  # "单座冷藏库库容应在300立方米以上": a requirement of the award before
            if re.match(r"^其中", ph) and (delim == "。" or _limits_only(ph)):
                qualifier = True  # "……给予补助。其中，一档展会最高5万元……": limits of the award before
            if qualifier or (bracket and award):
                current.append(ph)
                continue
            segments.append(current)
            current, after_award = [], False
        if current and delim in ("；", "。") and _rate_modifier("，".join(current), "") is not None:
            segments.append(current)  # "属于品牌旗舰店的，在上述标准基础上上浮20%": how the award before pays
            current = []
        current.append(ph)
        if award:
            after_award = True
    if after_award:
        segments.append(current)
    elif current and segments and _rate_modifier("，".join(current), "") is not None:
        segments.append(current)
    elif current and segments and any(_QUALIFIER.search(p) for p in current) and any(
            q.kind in ("money", "percent", "ratio", "duration") for q in scan("，".join(current))):
        # a trailing sentence that only limits the award before it ("单个企业年度补助不超过100万元。")
        segments[-1].extend(current)
    return ["，".join(s) for s in segments]


_YEAR_LEAD = re.compile(r"(?:^|[：:])第[一二三四五六七八九十\d]{1,3}(?:个)?年")
_REQUIREMENT = re.compile(r"(应在|应达到|须达到|须在|应不低于|不得低于|应不少于|不得少于)")


def _limits_only(ph: str) -> bool:
    """Every figure of the phrase is a ceiling and nothing is granted: "一档展会单个展会补助最高5万元"."""
    qs = scan_money_or_rate(ph)
    return bool(qs) and not re.search(r"(给予|予以)", ph) and all(_UPPER_WORDS.search(ph[max(0, q.start - 6): q.start]) for q in qs)


def _is_limit_only(ph: str) -> bool:
    """A phrase that only limits ("单个企业每年度航线奖励最高200万元", "最长补贴3年", "分三年按4:3:3拨付")."""
    return bool(re.search(r"(最高|不超过|上限|封顶|最长|期限|拨付|为限)", ph)) and not re.search(r"(的$|以上的|以下的|达到|不少于|不低于)", ph)


def _is_pure_qualifier(ph: str) -> bool:
    """"每年最高奖励100万元" reads as an award but only limits the previous one."""
    return bool(re.match(r"^(且|并|其中)?(同一|单个|单户|单家|每家|每户|每年|年度|累计|最高|合计|总额|每个)", ph)) and bool(_UPPER_WORDS.search(
        ph[: ph.find(next((s.text for s in scan(ph) if s.kind == "money"), "\0"))] if scan(ph) else ""))


# ---------------------------------------------------------------- reading one segment


def _left(seg: str, span: Span, n: int = 14) -> str:
    """Text before the span, within its phrase."""
    before = seg[max(0, span.start - n): span.start]
    return re.split(r"[，；。]", before)[-1]


def _left_unbracketed(seg: str, span: Span, n: int = 24) -> str:
    """Text before the span within its phrase, brackets left out: "按企业实际让利金额（以消费券核销金额为准）的20%"
    reads its base as if the bracket were not there (a bracket may hold a comma: "（…为准，下同）")."""
    before = re.sub(r"[（(][^（()）]*[）)]", "", seg[: span.start])
    return re.split(r"[，；。]", before)[-1][-n:]


def _right(seg: str, span: Span, n: int = 10) -> str:
    return re.split(r"[，；。]", seg[span.end: span.end + n])[0]


def _phrase_of(seg: str, span: Span) -> str:
    a = max(seg.rfind("，", 0, span.start), seg.rfind("；", 0, span.start)) + 1
    ends = [i for i in (seg.find("，", span.end), seg.find("；", span.end)) if i != -1]
    return seg[a: min(ends) if ends else len(seg)]


def _rule_from_segment(clause: Clause, seg: str) -> tuple[Rule | None, str]:
    """A rule, or ``(None, reason)`` when the segment has quantities that were not all understood,
    or ``(None, "")`` when it holds no figure at all."""
    spans = [s for s in scan(seg) if s.kind in ("money", "percent", "duration", "ratio", "area", "count")]
    roles = _Roles(seg, spans)
    if not any(s.kind in ("money", "percent") for s in spans):
        return None, ""

    _read_percent_ratios(roles)
    tiers, tier_label = _read_tiers(roles)
    brackets, bracket_base = _read_brackets(roles)
    base_limit = _read_base_limit(roles)
    thresholds = _read_thresholds(roles, tiered=bool(tiers))
    if roles.milestone is not None:
        thresholds.insert(0, roles.milestone)
    per_unit_amount, per_unit = _read_per_unit(roles, tiers)
    caps = _read_caps(roles)
    share_cap = _read_share_cap(roles)
    rate, rate_is_max, base, increment, interest = _read_rate(roles)
    if base is None and roles.tier_base:
        base = _clean_base(roles.tier_base)
    if base is None and increment:
        # "对年度研发费用在100万元至500万元之间…的企业，按增量部分的8%": the increase of the measure the condition names
        named = next((t.measure for t in thresholds if t.unit == "元" and t.measure), None)
        base = _clean_base(re.sub(r"^(年度|当年|上年度?)", "", named)) if named else None
    thresholds += roles.share_conditions
    if roles.cap_tiers and not tiers:
        tiers = [Tier(k, amount=c.amount) for k, c in roles.cap_tiers]
        tier_label = "类型"
        roles.notes.append("原文按类型分别规定了上限：" + "，".join(f"{k}最高{c.amount.text}" for k, c in roles.cap_tiers) + "。")
    if per_unit is not None:
        per_unit = _read_unit_limits(roles, per_unit)
    schedule = _read_schedule(roles)
    fixed = None if (rate or brackets or tiers or per_unit_amount) else _read_fixed(roles)

    # every money / percent / period / ratio / area quantity must have a role
    missing = [s for i, s in enumerate(spans) if i not in roles.used and s.kind in ("money", "percent", "ratio", "area")]
    missing += [s for i, s in enumerate(spans) if i not in roles.used and s.kind == "duration" and _award_duration(seg, s)]
    missing += [s for i, s in enumerate(spans) if i not in roles.used and s.kind == "count"
                and re.search(r"(最多|最高|不超过|上限为?|限)[^，；。]{0,6}$", _left(seg, s, 8))]
    if missing:
        shown = "、".join(s.text for s in missing)
        return None, f"第{clause.id}项“{_short(seg)}”中的{shown}未能识别其含义"
    if per_unit_amount is None and per_unit is not None and not tiers:
        per_unit = None

    if re.search(r"(差额|补足)", seg) and not (rate or fixed or tiers or per_unit_amount):
        target = next((t for t in thresholds if t.comparator in (Comparator.LT, Comparator.LE) and t.unit == "元"), None)
        if target is not None:
            thresholds.remove(target)
            fixed = target.amount  # "已获奖励不足100万元的，按差额补足": the standard is 100万元, paid as the gap
    if brackets:
        kind = RuleKind.MARGINAL
        base = bracket_base or base
    elif interest:
        kind = RuleKind.INTEREST
    elif per_unit is not None and (per_unit_amount is not None or tiers):
        kind = RuleKind.PER_UNIT
    elif tiers and not (rate and roles.cap_tiers):
        kind = RuleKind.TIERED
    elif rate:
        kind = RuleKind.RATE
    elif fixed:
        kind = RuleKind.FIXED
    elif caps:
        kind = RuleKind.CAP_ONLY
    elif thresholds and not any(i not in roles.used for i, x in enumerate(spans) if x.kind in ("money", "percent")):
        return None, NO_FIGURE_MARK  # only conditions carry figures ("总投资10亿元以上的…一事一议"): no amount stated
    else:
        return None, f"第{clause.id}项“{_short(seg)}”的金额标准无法识别"
    if kind in (RuleKind.RATE, RuleKind.MARGINAL) and not base:
        return None, f"第{clause.id}项“{_short(seg)}”写了比例，但未写明按什么金额计算"
    if kind is RuleKind.PER_UNIT and per_unit_amount is not None:
        fixed = per_unit_amount
    if kind is RuleKind.RATE and per_unit is None and re.search(r"(每月|每个月)", seg):
        # "按月租金的50%给予补贴，每月最高3000元，最长补贴3年": a rate on a monthly base, paid for months
        months = None
        if schedule and schedule.years and not schedule.ratios:
            months = Quantity(next((x.text for x in spans if x.kind == "duration" and x.unit == "年"), f"{schedule.years}年"),
                              Decimal(schedule.years * 12))
            schedule = None
        else:
            mx = next((x for x in spans if x.kind == "duration" and x.unit == "月"), None)
            months = Quantity(mx.text, mx.value) if mx else None
        per_unit = PerUnit("", "月", None, months)

    subject = _subject(seg)
    conditions = tuple(_conditions(seg))
    notes = list(roles.notes)
    reviewed = (bool(re.search(r"(遴选|评审|择优|综合评定|综合评估|视情|认定后)", clause.text)) and kind in (RuleKind.CAP_ONLY,)) \
        or roles.tier_ceiling
    if kind is RuleKind.CAP_ONLY:
        notes.append("原文只规定了上限（最高金额），具体金额由责任单位评审确定，本工具只给出上限。")
    if rate_is_max:
        notes.append(f"原文比例为“{_max_word(seg)}{rate.text}”，按该比例算出的是可获得金额的上限。")
    notes.extend(_ambiguity_notes(seg, caps, schedule, thresholds, base, kind))
    top_up = bool(re.search(r"(差额|补足)", seg))
    award_noun = _award_noun(seg)
    if base and re.match(r"(新增|增量|增加)", base) and re.search(r"较上年", seg):
        increment = True  # "较上年新增1000万元以上的，按新增采购额的1%": the base is this year's increase over last year
    name = _name(kind, clause, seg, subject, base, award_noun, tier_label)
    if per_unit is not None and per_unit.item and subject in ("申报单位", "企业", "单位", ""):
        name = f"{per_unit.item}{award_noun or '奖励'}"  # "每取得一个生产许可证给予300万元奖励": 生产许可证奖励
    top_up = top_up or bool(re.search(r"按照?差额", seg))
    base_key = _base_key(base) if base else None
    return Rule(
        id=clause.id, clause_id=clause.id, kind=kind, segment=seg, name=name, subject=subject, conditions=conditions,
        base=base, base_key=base_key, increment=increment, rate=rate, rate_is_max=rate_is_max, brackets=tuple(brackets),
        fixed=fixed, tiers=tuple(tiers), tier_label=tier_label, per_unit=per_unit, interest_basis="LPR" if interest else "",
        caps=tuple(caps), thresholds=tuple(thresholds), schedule=schedule, base_limit=base_limit, top_up=top_up, share_cap=share_cap,
        reviewed=reviewed, notes=tuple(dict.fromkeys(notes)),
    ), ""


def _short(seg: str, n: int = 24) -> str:
    return seg if len(seg) <= n else seg[:n] + "…"


def _award_duration(seg: str, s: Span) -> bool:
    """A period that changes the amount (连续支持3年, 最长24个月, 分三年) rather than a condition (成立3年以内)."""
    left = _left(seg, s, 8)
    right = _right(seg, s, 6)
    if re.search(r"(成立|注册|设立|入驻|工作|服务|签订|落户|以内|以上|不满|未满|近|连续[^支]{0,2}纳税)$", left) or re.match(r"^(以内|以上|内|及以上|以下|及以下)", right):
        return False
    if re.match(r"^(在|举办|经营|营业|纳税|缴纳|开展|入选|获得|参加)", right):
        return False  # "对连续三年在我市举办的品牌展会": how long it has been done, a condition
    if re.search(r"(连续支持|连续|支持周期为?|周期为?|分|期限不超过|期限为?|最长|补助期限|补贴期限|不超过|按)(补贴|补助|支持|发放|给予|享受|资助)?$", left):
        return True
    return bool(re.match(r"^(内|拨付|兑现|支付|给予|每年)", right))


# ---- tiers


_ENUM_SEP = re.compile(r"[、和及或]|以及")


_UNIT_PAIR = re.compile(rf"(?P<key>[{_CJK}]{{2,10}}?)按(?P<measure>[{_CJK}]{{0,8}}?)(?P<per>每(?:立方米|平方米|亩|吨|千瓦时|千瓦|台|套|辆|个|人))$")


def _read_unit_tiers(roles: _Roles) -> list[Tier]:
    """"冷藏库按库容每立方米150元、气调库按库容每立方米200元、冷冻库按设计储存能力每吨300元": one per-unit amount
    per type, each with its own unit; "单座冷藏库、气调库库容应在300立方米以上" gives each type its own minimum."""
    seg, spans = roles.seg, roles.spans
    pairs = []
    for i, s in enumerate(spans):
        if s.kind != "money" or i in roles.used:
            continue
        chunk = re.split(r"[、，；。]", seg[: s.start])[-1]
        m = _UNIT_PAIR.search(chunk)
        if m:
            pairs.append((i, m))
    if len(pairs) < 2 or any(not re.fullmatch(r"、|和|，", seg[spans[a].end: spans[b].start - len(mb.group())])
                             for (a, _), (b, mb) in zip(pairs, pairs[1:])):
        return []
    tiers = []
    for i, m in pairs:
        s = roles.take(i)
        unit, _ = _unit_of(m.group("per"))
        key = re.sub(r"^(对|其中|分别|新建|建设)", "", m.group("key"))
        tiers.append(Tier(key, amount=Quantity(s.text, s.value), unit=unit))
    for i, s in enumerate(spans):
        if i in roles.used or s.kind not in ("count", "area") or not re.match(r"^(及|或)?以上", _right(seg, s, 4)):
            continue
        ph = _phrase_of(seg, s)
        if not _REQUIREMENT.search(ph):
            continue
        named = [k for k, t in enumerate(tiers) if t.key in ph and _unit_match(t.unit, s.unit)]
        if not named:
            continue
        roles.take(i)
        for k in named:
            tiers[k] = replace(tiers[k], min_units=Quantity(s.text, s.value))
    return tiers


def _unit_match(a: str, b: str) -> bool:
    return a == b or {a, b} <= {"平方米", "㎡"}


def _read_tiers(roles: _Roles) -> tuple[list[Tier], str]:
    """"分别给予" lists (keys before, amounts after) and inline "国家级500万元、省级100万元" pairs."""
    seg, spans = roles.seg, roles.spans
    unit_tiers = _read_unit_tiers(roles)
    if unit_tiers:
        return unit_tiers, "类型"
    money_idx = [i for i, s in enumerate(spans) if s.kind in ("money", "percent")]
    m = re.search(r"分别(?:按照?|给予|予以|奖励|补助|补贴|资助)?(?P<max>最高|不超过)?", seg)
    if m:
        if m.group("max"):
            roles.notes.append("原文为“分别给予最高…”，各档金额都是可获得的上限，具体金额由责任单位评审确定。")
            roles.tier_ceiling = True
        after = [i for i in money_idx if spans[i].start >= m.end() and (m.group("max") or not _UPPER_WORDS.search(_left(seg, spans[i], 3))
                                                                          or _LEVEL_KEY.search(_left(seg, spans[i], 8)))]
        values = _enumeration_after(seg, spans, after)
        if len(values) >= 2:
            pairs = _inline_pairs(seg, spans, values, roles)
            if pairs:
                return _take_pairs(roles, pairs)
            keys, milestone_idx, label = _keys_before(seg, spans, m.start(), len(values))
            if keys and len(keys) == len(values) and spans[values[0]].kind == "percent":
                roles.tier_base = _base_before(_left(seg, spans[values[0]], 24))[0]
            if keys and len(keys) == len(values):
                if milestone_idx:
                    first = spans[milestone_idx[0]]
                    op = re.search(r"(首次突破|首次超过|首次达到|首次达|突破|超过|达到|达|以上)", _left(seg, first, 14) + _right(seg, spans[milestone_idx[-1]], 6))
                    comp = Comparator.GE if op and op.group(1) in ("首次达到", "首次达", "达到", "达", "以上") else Comparator.GT
                    roles.milestone = Threshold(label, comp, Quantity(first.text, first.value), f"{op.group(1) if op else ''}{first.text}",
                                                first_time=bool(op and "首次" in op.group(1)))
                tiers = []
                for k, (key, vi) in enumerate(zip(keys, values)):
                    sv = roles.take(vi)
                    thr = None
                    if milestone_idx:
                        ms = roles.take(milestone_idx[k])
                        thr = Quantity(ms.text, ms.value)
                    q = Quantity(sv.text, sv.value)
                    tiers.append(Tier(key, amount=q if sv.kind == "money" else None, rate=q if sv.kind == "percent" else None,
                                      threshold=thr))
                return _tier_caps(roles, tiers), label
            return [], ""
    # inline pairs without 分别: "国家级的给予100万元，省级的给予50万元" / "A类人才每人100万元、B类人才每人50万元"
    pairs = _inline_pairs(seg, spans, [i for i in money_idx if not _UPPER_WORDS.search(_left(seg, spans[i], 3))
                                        or _LEVEL_KEY.search(_left(seg, spans[i], 8))], roles)
    if len(pairs) >= 2:
        return _take_pairs(roles, pairs)
    return [], ""


def _tier_caps(roles: _Roles, tiers: list[Tier]) -> list[Tier]:
    """Rate tiers with a ceiling each: "分别按投资额的20%、15%、10%给予补助，…单个最高分别为50万元、30万元、10万元"."""
    if not tiers or any(t.rate is None for t in tiers):
        return tiers
    seg, spans = roles.seg, roles.spans
    m = re.search(r"(最高分别为|分别最高为?|最高分别|分别不超过|上限分别为)", seg)
    if not m:
        return tiers
    after = [i for i, x in enumerate(spans) if x.kind == "money" and x.start >= m.end() and i not in roles.used]
    values = _enumeration_after(seg, spans, after)
    if len(values) != len(tiers):
        return tiers
    out = []
    for t, i in zip(tiers, values):
        x = roles.take(i)
        out.append(replace(t, amount=Quantity(x.text, x.value)))
    return out


def _enumeration_after(seg: str, spans: list[Span], idx: list[int]) -> list[int]:
    """Consecutive quantities joined only by 、/，/和 (and their own small words): the listed values."""
    out: list[int] = []
    for i in idx:
        if not out:
            out.append(i)
            continue
        gap = seg[spans[out[-1]].end: spans[i].start]
        if len(gap) <= 12 and re.fullmatch(rf"[、，,和及或{_CJK}A-Za-z（）()]*", gap) and "、" in gap or re.fullmatch(r"[、，,和及或]", gap):
            out.append(i)
        else:
            break
    return out


_LEVEL_KEY = re.compile(r"(国际级|国家级|省级|市级|区级|县级|[1-5]A级|[A-E]类|[一二三四五六]类|[一二三四五六]档|[一二三四五六]等奖|[一二三四五六]星级|[一二三四五]级|特等奖|金奖|银奖|铜奖|优秀奖)")
_BARE_LEVEL = re.compile(r"(国家|省|市|区|县)$")


def _inline_pairs(seg: str, spans: list[Span], idx: list[int], roles: "_Roles | None" = None) -> list[tuple[str, int]]:
    """(key, span index) where each listed amount directly follows its own key word."""
    pairs: list[tuple[str, int]] = []
    ceiling = False
    for i in idx:
        left = _left(seg, spans[i], 16)
        left = re.split(r"[、]", left)[-1]
        km = None
        for km in _LEVEL_KEY.finditer(left):
            pass
        if km is None:
            km = _BARE_LEVEL.search(left)  # "国家500万元、省100万元"
        if km is None:
            continue
        between = left[km.end():]
        if len(between) > 10 or re.search(r"(达到?|超过|以上|突破)", between):
            continue
        if re.search(r"(最高|不超过)$", between):
            ceiling = True  # "分别给予A类最高500万元、B类最高300万元": each a ceiling
        elif re.search(r"(最高|不超过)", between):
            continue
        pairs.append((km.group(1), i))
    keys = [k for k, _ in pairs]
    if len(pairs) >= 2 and len(set(keys)) == len(keys):
        if ceiling and roles is not None:
            roles.tier_ceiling = True
            roles.notes.append("原文各档金额为“最高”额，都是可获得的上限，具体金额由责任单位评审确定。")
        return pairs
    return _noun_pairs(seg, spans, idx)


_PAIR_FILLER = re.compile(r"(每人每月|每人每年|每人|每名|每位|每件|每项|每个|每家|每月|每年|一次性|给予|分别|按照|按|的)")


def _noun_pairs(seg: str, spans: list[Span], idx: list[int]) -> list[tuple[str, int]]:
    """An enumeration "博士研究生每人每月3000元、硕士研究生每人每月2000元、本科毕业生每人每月1000元":
    each amount right after its own key noun, the items joined by 、."""
    if len(idx) < 2:
        return []
    pairs: list[tuple[str, int]] = []
    prev_end = None
    for i in idx:
        s = spans[i]
        start = prev_end if prev_end is not None else max(seg.rfind("，", 0, s.start), seg.rfind("；", 0, s.start)) + 1
        chunk = seg[start: s.start]
        if prev_end is not None and not chunk.startswith("、"):
            return []
        key = _PAIR_FILLER.sub("", chunk.lstrip("、"))
        key = re.sub(r"^(对|向|为|其中|凡)", "", key)
        if not (2 <= len(key) <= 10) or re.search(r"[\d，；]", key):
            return []
        pairs.append((key, i))
        prev_end = s.end
    keys = [k for k, _ in pairs]
    return pairs if len(set(keys)) == len(keys) else []


def _take_pairs(roles: _Roles, pairs: list[tuple[str, int]]) -> tuple[list[Tier], str]:
    tiers = []
    for key, i in pairs:
        s = roles.take(i)
        q = Quantity(s.text, s.value)
        tiers.append(Tier(_canon_level(key), amount=q if s.kind == "money" else None, rate=q if s.kind == "percent" else None))
    return tiers, _tier_label([t.key for t in tiers])


def _canon_level(key: str) -> str:
    return {"国家": "国家级", "省": "省级", "市": "市级", "区": "区级", "县": "县级"}.get(key, key)


def _tier_label(keys: list[str]) -> str:
    if all(re.search(r"级$", k) for k in keys):
        return "级别"
    if all(re.search(r"类$", k) for k in keys):
        return "类别"
    if all(re.search(r"档$", k) for k in keys):
        return "档次"
    return "情形"


def _keys_before(seg: str, spans: list[Span], end: int, n: int) -> tuple[list[str], list[int], str]:
    """The n enumerated keys before "分别": levels (国家级、省级), milestone amounts (1亿元、5亿元), or stages."""
    before = seg[:end].rstrip("的，")
    listed = [p for p in re.split(r"[，；]", before) if "、" in p]
    if listed:
        before = before[: before.rfind(listed[-1]) + len(listed[-1])]
    milestones = [i for i, s in enumerate(spans) if s.end <= end and s.kind == "money"]
    if len(milestones) >= n:
        ms = milestones[-n:]
        gaps = [seg[spans[a].end: spans[b].start] for a, b in zip(ms, ms[1:])]
        # "1亿元、5亿元" or "1亿元以上、5亿元以上、10亿元以上的，分别给予…"
        if all(re.fullmatch(r"(?:（含）|\(含\))?(?:及?以上)?[、，,和及或]", g) for g in gaps):
            left = _left_unbracketed(seg, spans[ms[0]], 16)
            measure = re.sub(r"(首次)?(达到或突破|达到或超过|突破|超过|达到|达)$", "", left)
            measure = re.sub(r"首次$", "", measure)
            measure = re.sub(r"^.*(企业|单位|机构|主体)", "", measure) or measure  # "餐饮企业年度销售额": the measure, not who
            measure = re.split(r"[对的在且、：:]", measure)[-1] or "金额"
            keys = [f"{measure}{spans[i].text}" for i in ms]
            return keys, ms, measure
    # levels or stages: the last enumeration of 2+ items joined by 、 before 分别
    phrase = re.split(r"[，；]", before)[-1] if "、" in re.split(r"[，；]", before)[-1] else before
    quoted = re.findall(r"[“\"]([^”\"]{1,16})[”\"]", before.split("，")[-1] if "，" in before else before)
    if len(quoted) >= n and len(set(quoted[-n:])) == n:
        # "对新认定的“中华老字号”“省级老字号”企业，分别给予50万元、20万元": the quoted names are the keys
        return quoted[-n:], [], "类别"
    levels = [m.group(1) for m in _LEVEL_KEY.finditer(phrase)]
    if len(levels) == n and len(set(levels)) == n:
        keys = [_canon_level(k) for k in levels]
        return keys, [], _tier_label(keys)
    # "全日制博士研究生（年龄不超过40周岁）、硕士研究生（年龄不超过35周岁）": a bracket is each key's own
    # condition (kept in the rule's conditions), not part of its name
    items = [re.sub(r"[（(][^）)]*[）)]", "", k) for k in _split_top(phrase, "、")]
    if len(items) >= n:
        items = items[-n:]
        items[0] = re.split(r"(对|凡|经|企业|的|按照|按)", items[0])[-1] or items[0]
        items[0] = re.sub(r"^(全日制)", "", items[0]) or items[0]  # an attribute shared by the listed keys
        # "在县内旅行社执业并新取得高级导游、特级导游等级的导游人员": what is obtained, not where the person works
        items[0] = re.split(r"并(?:新)?(?:取得|获得|认定为|评定为|评为|获评|获批|晋升为?)", items[0])[-1] or items[0]
        if re.search(r"的[\u4e00-\u9fa5]{2,6}$", items[-1]):
            items[-1] = items[-1].rsplit("的", 1)[0]  # "特级导游等级的导游人员": the key, not who holds it
        items[-1] = re.sub(r"(?<=[\u4e00-\u9fa5]{2})(等级|称号|资格)$", "", items[-1])
        items[-1] = re.sub(r"(等?[一二三四五六七八九十两\d]+个?(阶段|环节|步骤|类|档|情形)|等阶段)$", "", items[-1])
        items[-1] = re.sub(r"(的|企业|项目|单位)+$", "", items[-1])
        items[-1] = re.sub(r"(并|且)[^、]{2,}$", "", items[-1])  # "行业标准并正式发布": the key, not what follows it
        items[-1] = re.sub(r"(名单|名录)$", "", items[-1])
        verbs = r"^(完成|获得|获|成功|实现|通过|取得|进入|在)"
        keys = [re.sub(verbs, "", k).strip() for k in items]
        others = keys[1:]
        suffix = os.path.commonprefix([k[::-1] for k in keys])[::-1]
        longest = max((len(k) for k in others), default=0)
        if suffix and keys[0].endswith(suffix) and len(keys[0]) > longest + 2:
            # "知名品牌在我市开设全球首店、全国首店、区域首店": the first key is as long as the others, in whole words
            # ("生物医药领域顶尖人才" → 领域顶尖人才, not 药领域顶尖人才)
            ws, cut = words_of(keys[0]), ""
            for w in reversed(ws):
                if len(w + cut) > longest:
                    break
                cut = w + cut
            keys[0] = cut if cut and keys[0].endswith(cut) else keys[0][-longest:]
        if all(1 <= len(k) <= 16 for k in keys) and len(set(keys)) == n:
            # "完成辅导备案、获交易所受理、成功上市的，分别给予…": successive stages, each paid when reached
            staged = sum(bool(re.match(verbs, k.strip())) for k in items) >= n - 1
            return keys, [], "阶段" if staged else "情形"
    return [], [], ""


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside brackets and quotes."""
    out, buf, depth = [], [], 0
    for ch in text:
        if ch in "（(“‘《【":
            depth += 1
        elif ch in "）)”’》】":
            depth = max(0, depth - 1)
        if ch == sep and depth == 0:
            out.append("".join(buf))
            buf = []
            continue
        buf.append(ch)
    out.append("".join(buf))
    return out


# ---- brackets (marginal rates)


def _read_brackets(roles: _Roles) -> tuple[list[Bracket], str | None]:
    """"1000万元以内（含）的部分按5%、超过1000万元的部分按2%"."""
    seg, spans = roles.seg, roles.spans
    if "的部分" not in seg or _INCREMENT.search(seg):
        return [], None
    out: list[Bracket] = []
    for i, s in enumerate(spans):
        if s.kind != "money" or i in roles.used:
            continue
        right = seg[s.end: s.end + 12]
        left = _left(seg, s, 6)
        if not _BRACKET_RIGHT.match(right):
            continue
        # "超过1000万元至5000万元（含）的部分": one band with both edges
        upper_i = i + 1 if re.match(r"^(（含）)?至", right) and i + 1 < len(spans) and spans[i + 1].kind == "money" else None
        end = spans[upper_i].end if upper_i is not None else s.end
        rate_i = next((j for j in range(i + 1, len(spans)) if spans[j].kind == "percent" and j not in roles.used and spans[j].start - end <= 14), None)
        if rate_i is None:
            return [], None
        lower_bound = bool(re.search(r"(超过|超出|以上|高于)$", left)) or right.startswith(("以上", "（含）以上"))
        roles.take(i)
        if upper_i is not None:
            roles.take(upper_i)
        r = roles.take(rate_i)
        text = seg[max(0, s.start - len(left)): r.end]
        if upper_i is not None:
            out.append(Bracket(s.value, spans[upper_i].value, Quantity(r.text, r.value), text))
        elif lower_bound:
            out.append(Bracket(s.value, None, Quantity(r.text, r.value), text))
        else:
            out.append(Bracket(Decimal(0), s.value, Quantity(r.text, r.value), text))
    if not out:
        return [], None
    out.sort(key=lambda b: b.lower)
    # bands must tile: [0, a], (a, b] … (z, ∞)
    fixed: list[Bracket] = []
    for k, b in enumerate(out):
        lower = fixed[-1].upper if fixed and b.lower == 0 else b.lower
        fixed.append(replace(b, lower=lower or Decimal(0)))
    ok = fixed[0].lower == 0 and all(a.upper == b.lower for a, b in zip(fixed, fixed[1:]))
    if not ok:
        roles.notes.append("分段比例的区间未能完整识别")
        return [], None
    base_m = re.search(rf"(?:按照?|以)([{_CJK}（）]{{2,14}}?)(?:为基数|给予|分段|计算|，|其中)", seg)
    base = _clean_base(base_m.group(1)) if base_m else None
    if base is None:  # "对企业研发投入给予分段补助": the amount the measure is given on
        on = re.search(rf"对(?:企业|单位|项目)?([{_CJK}]{{2,10}}?)(?:实行|给予|予以)分段", seg)
        base = _clean_base(on.group(1)) if on else None
    return fixed, base


# ---- thresholds


def _read_thresholds(roles: _Roles, tiered: bool) -> list[Threshold]:
    seg, spans = roles.seg, roles.spans
    out: list[Threshold] = _read_bands(roles)
    for i, s in enumerate(spans):
        if i in roles.used or s.kind not in ("money", "count", "area"):
            continue
        left = _left(seg, s, 12)
        right = re.sub(r"^(人民币|美元|港元)", "", _right(seg, s, 10))
        if _BRACKET_RIGHT.match(seg[s.end: s.end + 18]):
            if re.search(r"(超过|以上)$", left) and s.kind == "money":
                roles.take(i)  # "超过1000万元至5000万元（含）的部分": the edge of a band the brackets already read
            continue
        if _UPPER_WORDS.search(left) and not right.startswith("的"):
            continue  # "补贴人数不超过100人", "补贴面积不超过500平方米": a limit on the units paid, not a condition
        comparator = None
        m = None
        if (m := re.search(r"(不超过|不高于|不大于)$", left)):
            comparator = Comparator.LE  # "员工人数不超过100人的企业": a condition
        elif (m := _GT_LEFT.search(left)):
            comparator = Comparator.GE if m.group(1) in ("首次达到", "首次达") else Comparator.GT
            if _GE_RIGHT.match(right):
                comparator = Comparator.GE
        elif (m := _GE_LEFT.search(left)):
            comparator = Comparator.GE
        elif (m := _LT_LEFT.search(left)):
            comparator = Comparator.LT
        elif _GE_RIGHT.match(right):
            comparator = Comparator.GE
        elif _LE_RIGHT.match(right) and not _UPPER_WORDS.search(left):
            comparator = Comparator.LE
        if comparator is None:
            continue
        if s.kind == "money" and _UPPER_WORDS.search(left):
            continue
        op_text = m.group(1) if m else ""
        measure_part = left[: len(left) - len(op_text)] if m else left
        if not _measure_name(measure_part):  # "年度研发费用（以…为准，下同）达到500万元": the measure is before the bracket
            plain = _left_unbracketed(seg, s, 16)
            measure_part = plain[: len(plain) - len(op_text)] if m and plain.endswith(op_text) else measure_part
        measure = _measure_name(measure_part)
        rm = _GE_RIGHT.match(right) or _LE_RIGHT.match(right)
        text = f"{op_text}{s.text}{rm.group() if rm else ''}"
        roles.take(i)
        out.append(Threshold(measure, comparator, Quantity(s.text, s.value), text,
                             unit="元" if s.kind == "money" else s.unit, first_time=bool(_FIRST.search(op_text + measure_part))))
    return out


_BAND = re.compile(r"^(?P<lo_mark>（含）|（不含）)?(?:至|到|-|－|~|～)$")


def _read_bands(roles: _Roles) -> list[Threshold]:
    """"年度研发费用在100万元（含）至500万元（不含）之间": a lower and an upper condition on one measure.
    Without marks the lower end is included and the upper end is too (以上/以下 include the figure)."""
    seg, spans = roles.seg, roles.spans
    out: list[Threshold] = []
    for i in range(len(spans) - 1):
        a, b = spans[i], spans[i + 1]
        if a.kind != b.kind or a.kind not in ("money", "count", "area") or i in roles.used or i + 1 in roles.used:
            continue
        mid = _BAND.match(seg[a.end: b.start])
        after = re.match(r"^(?P<hi_mark>（含）|（不含）)?(之间|以内|以下)?", seg[b.end: b.end + 8])
        if not mid or not after.group(0) or not re.search(r"在[^，；。]{0,2}$", _left(seg, a, 12)):
            continue
        measure = _measure_name(re.sub(r"在$", "", _left(seg, a, 16)))
        lo_mark, hi_mark = mid.group("lo_mark") or "", after.group("hi_mark") or ""
        unit = "元" if a.kind == "money" else a.unit
        roles.take(i)
        roles.take(i + 1)
        out.append(Threshold(measure, Comparator.GT if lo_mark == "（不含）" else Comparator.GE, Quantity(a.text, a.value),
                             f"在{a.text}{lo_mark}以上", unit=unit))
        out.append(Threshold(measure, Comparator.LT if hi_mark == "（不含）" else Comparator.LE, Quantity(b.text, b.value),
                             f"{b.text}{hi_mark}以下", unit=unit))
    return out


def _measure_name(before: str) -> str:
    """The noun a threshold compares: the end of the text before the comparator."""
    t = re.sub(r"[（(][^）)]*[）)]", "", before)
    t = re.sub(r"^[^（(]*[）)]", "", t)  # the tail of a parenthesis cut off by the window
    t = re.sub(r"(首次|当年|上年度?的?)$", "", t)
    parts = re.split(r"(对|的|且|并|以及|或|、|和|通过|在|其中|平台|凡|经|为|中|开设|新建)", t)
    name = parts[-1] if parts else t
    name = re.sub(r"^(年度|当年)?", lambda m: m.group(), name)
    return name.strip("（）() ")[-14:]


# ---- per-unit amounts


_YEAR_NO = r"[一二三四五六七八九十\d]{1,3}"
_YEAR_PART = re.compile(rf"第(?P<a>{_YEAR_NO})(?:个)?年(?:度)?(?:(?P<join>和|、|及|至|到|-|－)第(?P<b>{_YEAR_NO})(?:个)?年(?:度)?)?[^，；。、\d]{{0,4}}?(?P<per>每[^，；。、\d]{{1,8}})$")


def _read_year_amounts(roles: _Roles) -> tuple[Quantity | None, PerUnit | None]:
    """"第一年按每平方米每月20元、第二年和第三年按每平方米每月10元": a per-unit amount for each year of support."""
    from assistant.numerals import chinese_to_int

    def n(x: str) -> int:
        return int(x) if x.isdigit() else chinese_to_int(x)

    seg, spans = roles.seg, roles.spans
    found: list[tuple[int, YearAmount, str]] = []
    for i, s in enumerate(spans):
        if s.kind != "money" or i in roles.used:
            continue
        m = _YEAR_PART.search(_left(seg, s, 30))
        if not m:
            continue
        first = n(m.group("a"))
        last = n(m.group("b")) if m.group("b") else first
        if last < first:
            continue
        found.append((i, YearAmount(first, last, Quantity(s.text, s.value), m.group() + s.text), m.group("per")))
    if len(found) < 2 or len({_unit_of(_PER.search(p).group(1)) if _PER.search(p) else p for _, _, p in found}) != 1:
        return None, None
    years = sorted((y for _, y, _ in found), key=lambda y: y.first)
    if years[0].first != 1 or any(b.first != a.last + 1 for a, b in zip(years, years[1:])):
        return None, None  # years that do not follow on from the first: not read
    per = _PER.search(found[0][2])
    if not per:
        return None, None
    unit, period = _unit_of(per.group(1))
    for i, _, _ in found:
        roles.take(i)
    return years[0].amount, PerUnit(unit, period, by_year=tuple(years))


def _read_per_unit(roles: _Roles, tiers: list[Tier]) -> tuple[Quantity | None, PerUnit | None]:
    """"每人每月2000元", "每件发明专利给予3000元", "每平方米每月20元": amount per unit (and period)."""
    seg, spans = roles.seg, roles.spans
    if not tiers:
        by_year = _read_year_amounts(roles)
        if by_year[1] is not None:
            return by_year
    for i, s in enumerate(spans):
        if s.kind != "money":
            continue
        left = _left(seg, s, 18)
        if _UPPER_WORDS.search(left) and not re.search(r"(每人|每件|每项|每个|每平方米)[^，；。]{0,6}(最高|不超过)$", left):
            continue
        m = _PER.search(left)
        counted = _PER_COUNTED.search(left)
        if counted and not tiers and i not in roles.used and not _UPPER_WORDS.search(left):
            roles.take(i)
            unit = {"名": "人"}.get(counted.group("u"), counted.group("u"))
            return Quantity(s.text, s.value), PerUnit(unit, "", item=counted.group("item"))
        generic = re.search(r"按每(个|家|项|件|名)?(?P<u>[\u4e00-\u9fa5（）()]{1,10}?)(?:给予|资助|奖励|补助|补贴)[^，；。]{0,6}$", left)
        if not m and generic:
            roles.take(i)
            return Quantity(s.text, s.value), PerUnit(re.sub(r"[（(][^）)]*[）)]", "", generic.group("u")), "")
        if not m:
            continue
        word = m.group(1)
        unit, period = _unit_of(word)
        if unit == "" and period == "年":
            continue  # "每年100万元" is a per-year amount, read by the schedule
        if tiers and i not in roles.used:
            continue
        if i in roles.used:  # tiers per unit: "A类人才每人100万元"
            return None, PerUnit(unit, period)
        if _UPPER_WORDS.search(left):
            return None, None  # "每人最高…": a per-unit cap, read by the caps
        roles.take(i)
        return Quantity(s.text, s.value), PerUnit(unit, period)
    if tiers and re.search(r"(每人|每名|每件|每项|每个)", seg):
        word = re.search(r"(每人|每名|每件|每项|每个)", seg).group(1)
        unit, period = _unit_of(word)
        return None, PerUnit(unit, period)
    item = _PER_ITEM.search(seg)
    if item and not tiers:
        # "每新开通一条低空物流航线…的，给予20万元奖励", "每取得一个型号合格证给予500万元奖励": an award per item
        for i, s in enumerate(spans):
            if s.kind == "money" and i not in roles.used and s.start > item.end() and not re.search(r"[；;。]", seg[item.end():s.start]) \
                    and re.search(r"给予[^，；。]{0,4}$", _left(seg, s, 8)) and not _UPPER_WORDS.search(_left(seg, s, 6)):
                roles.take(i)
                return Quantity(s.text, s.value), PerUnit(item.group("u"), "", item=item.group("item"))
    return None, None


_PER_ITEM = re.compile(r"每(?:新开通|新增|新建|建成|取得|获得|引进|认定|设立|开通|落地|举办|组织|完成|新获|新开设|开设)?一(?P<u>条|个|项|件|家|款|台|套|座|所|场)"
                       r"(?P<item>(?:[\u4e00-\u9fa5A-Za-z（）()]{2,20}?)?)(?=且|并|的|，|,|给予)")
# "按每带动1户100元给予奖励", "每吸纳1人就业补贴2000元": an amount for each one the verb counts
_PER_COUNTED = re.compile(r"每(?P<verb>[\u4e00-\u9fa5]{1,4}?)(?:1|一)(?P<u>户|人|名|家|个|项|件|台|套|吨|次)(?P<item>(?:(?!给予)[\u4e00-\u9fa5]){0,8}?)"
                          r"(?:给予|奖励|补助|补贴|资助|按)?$")


def _unit_of(word: str) -> tuple[str, str]:
    """"每人每月" → ("人", "月"); "每月每平方米" → ("平方米", "月"); "每年" → ("", "年")."""
    if word == "每月":
        return "", "月"
    if word == "每年":
        return "", "年"
    period = "月" if "每月" in word else ("年" if "每年" in word else "")
    for said, per in (("每天", "天"), ("每日", "天"), ("每晚", "晚")):  # "每人每天20元", "每人每晚30元"
        if said in word:
            period, word = per, word.replace(said, "")
    core = word.replace("每月", "").replace("每年", "").removeprefix("每")
    unit = {"名": "人", "位": "人"}.get(core, core.removeprefix("个"))
    return unit, period


def _read_unit_limits(roles: _Roles, pu: PerUnit) -> PerUnit:
    seg, spans = roles.seg, roles.spans
    max_units = pu.max_units
    max_periods = pu.max_periods
    for i, s in enumerate(spans):
        if i in roles.used:
            continue
        left = _left(seg, s, 10)
        if s.kind == "area" and re.search(r"(不超过|最高|最多|上限|以内)$|面积[^，；。]{0,4}$", left + ("" if not _LE_RIGHT.match(_right(seg, s)) else "不超过")):
            roles.take(i)
            max_units = Quantity(s.text, s.value)
        elif s.kind == "count" and re.search(r"(最多|不超过|上限为?|最高)[^，；。\d]{0,4}$", left):
            roles.take(i)
            max_units = Quantity(s.text, s.value)
        elif s.kind == "duration" and pu.period and s.unit == pu.period and re.search(r"(最长|不超过|最多|期限|期限不超过|连续)(支持|补贴|补助|发放|享受|给予|计算|计)?$", left):
            roles.take(i)
            max_periods = Quantity(s.text, s.value)
        elif s.kind == "duration" and pu.period == "月" and s.unit == "年" and re.search(r"(最长|不超过|最多|期限|期限不超过)(支持|补贴|补助|发放|享受|给予)?$", left):
            roles.take(i)
            max_periods = Quantity(s.text, s.value * 12)
    return replace(pu, max_units=max_units, max_periods=max_periods)


# ---- caps and base limits


def _read_base_limit(roles: _Roles) -> Quantity | None:
    seg, spans = roles.seg, roles.spans
    for i, s in enumerate(spans):
        if s.kind != "money" or i in roles.used:
            continue
        left = _left(seg, s, 12)
        if re.search(r"(单笔|每笔)(贷款|借款|融资)[^，；。]{0,4}(最高|不超过|额度最高|额度不超过)$", left):
            roles.take(i)
            roles.notes.append(f"“{left[left.find('单笔') if '单笔' in left else left.find('每笔'):]}{s.text}”是纳入计算的额度上限，本计算把计算基数按不超过{s.text}计。")
            return Quantity(s.text, s.value)
    return None


def _read_caps(roles: _Roles) -> list[Cap]:
    seg, spans = roles.seg, roles.spans
    caps: list[Cap] = []
    for i, s in enumerate(spans):
        if s.kind not in ("money", "percent") or i in roles.used:
            continue
        left = _left(seg, s, 20)
        if s.kind == "percent":
            continue
        m = _UPPER_WORDS.search(left)
        right = _right(seg, s, 4)
        if not m and not re.match(r"^(为限|封顶)", right):
            continue
        if m and re.search(r"(按|按照|的)(不超过|最高)$", left):
            continue  # "按不超过…的50%": a rate qualifier, not a cap
        scope_text = re.split(r"(给予|予以|[%％]|的)", left)[-1]
        scope, words = _cap_scope(scope_text)
        roles.take(i)
        caps.append(Cap(Quantity(s.text, s.value), scope, words))
    order = [CapScope.UNIT, CapScope.ITEM, CapScope.CLAIM, CapScope.YEAR, CapScope.RECIPIENT_YEAR, CapScope.RECIPIENT,
             CapScope.REGION, CapScope.TOTAL]
    # "其中通用机场单个项目最高1000万元，垂直起降场单个项目最高200万元…": a ceiling per kind of project
    by_scope: dict = {}
    for c in caps:
        by_scope.setdefault(c.scope, []).append(c)
    same = next((v for v in by_scope.values() if len(v) >= 2), [])
    if same:
        keys = []
        for c in same:
            ph = next((p for p in phrases(seg) if c.amount.text in p), "")
            head = re.split(r"(单个|每个|每项|每家|单项|最高|不超过)", ph)[0]
            head = re.sub(r"^(其中|对|按)", "", head).strip("，、 ")
            if not head and c.scope in (CapScope.RECIPIENT, CapScope.RECIPIENT_YEAR):
                # "单个企业每年最高20万元，单个创新创业团队每年最高5万元": a ceiling per kind of recipient
                head = re.sub(r"^(单个|每个|每家|同一|单家)|(每年|年度|当年|同一年度)$", "", c.text)
            keys.append(head)
        keys = [re.sub(r"[（(][^）)]*[）)]", "", k) for k in keys]
        if all(2 <= len(k) <= 12 for k in keys) and len(set(keys)) == len(keys):
            roles.cap_tiers = [(k, c) for k, c in zip(keys, same)]
            caps = [c for c in caps if c not in same]
    caps.sort(key=lambda c: order.index(c.scope))
    return caps


def _cap_scope(before: str) -> tuple[CapScope, str]:
    tail = before[-24:]
    for pat, scope in _SCOPE_WORDS:
        ms = list(pat.finditer(tail))
        if ms:
            return scope, ms[-1].group()
    return CapScope.CLAIM, ""


# ---- rates


_BASE_ANCHOR = re.compile(r"(按照|按其|按|使用|给予|对|基于)")


def _base_before(left: str) -> tuple[str | None, bool]:
    """The base a percentage applies to, read back from the text right before it, and whether the
    text bounds the rate ("不超过…的50%"). The rightmost anchor wins: "对牵头研发单位按照研发成本的30%" → 研发成本."""
    t = left
    is_max = False
    while True:
        m = re.search(r"(的|给予|予以|最高|不超过|不高于|标准|比例)$", t)
        if not m:
            break
        is_max = is_max or m.group(1) in ("最高", "不超过", "不高于")
        t = t[: m.start()]
    anchors = list(_BASE_ANCHOR.finditer(t))
    base = t[anchors[-1].end():] if anchors else re.split(r"[，；、]", t)[-1][-12:]
    if base.startswith(("不超过", "不高于")):
        is_max = True
        base = base[3:]
    base = base.strip("（）() ")
    return (base if len(base) >= 2 and re.search(rf"[{_CJK}]", base) else None), is_max


def _read_rate(roles: _Roles):
    """(rate, rate_is_max, base, increment, interest_lpr) from the first percentage that is not a bracket or tier."""
    seg, spans = roles.seg, roles.spans
    matched = _read_matching(roles)
    if matched is not None:
        return matched
    for i, s in enumerate(spans):
        if s.kind != "percent" or i in roles.used:
            continue
        left = _left_unbracketed(seg, s, 24)
        if _GE_RIGHT.match(_right(seg, s, 6)) and not re.search(r"(按|给予|予以)[^，；。]{0,12}$", left):
            roles.take(i)
            roles.share_conditions.append(Threshold(_measure_name(left), Comparator.GE, Quantity(s.text, s.value),
                                                    f"{s.text}{_GE_RIGHT.match(_right(seg, s, 6)).group()}", unit="%"))
            continue
        if re.search(r"(不低于|不少于|至少|达到|超过|增长|增幅|占比|比重)$", left) or \
                (re.search(r"(不低于|不少于|至少|达到|超过|高于|低于)[^，；。给予按]{0,10}$", left) and not re.search(r"(按|给予|予以)", left)):
            # a condition on a share ("人才个人出资不低于注册资本30%", "增长20%以上"), not the rate
            cm = re.search(r"(不低于|不少于|至少|达到|超过|高于|低于|增长|增幅|占比|比重)[^，；。]{0,10}$", left)
            roles.take(i)
            roles.share_conditions.append(Threshold(_measure_name(left[: cm.start()]) + left[cm.end():],
                                                    Comparator.LT if cm.group(1) == "低于" else (Comparator.GT if cm.group(1) in ("超过", "高于") else Comparator.GE),
                                                    Quantity(s.text, s.value), f"{cm.group(1)}{left[cm.end():]}{s.text}", unit="%"))
            continue
        interest = bool(_LPR.search(left))
        base, lead_max = _base_before(left)
        if base is None:
            # "给予30%的补助" with the base named elsewhere in the segment: "按照项目总投入资金给予30%"
            bm = re.search(rf"按照?(?P<base>[{_CJK}]{{2,14}}?)(?:的|给予)", seg)
            if bm:
                base = bm.group("base")
        if base is None and re.search(r"按照?$", left):
            # "对单场活动场地租赁、舞台搭建、宣传推广等实际发生费用，按50%给予补贴": the base ends the phrase before
            prev = re.split(r"[，；。]", seg[: s.start - len(left)].rstrip("，"))[-1]
            prev = re.split(r"(等|的|对)", prev)[-1]
            pm = re.search(rf"(?P<base>[{_CJK}]{{2,10}})$", prev)
            if pm and _MONEY_NOUN.search(pm.group("base")):
                base = pm.group("base")
        rate_is_max = lead_max or bool(re.search(r"(最高|不超过|不高于)$", left)) or bool(re.search(r"^(以内|以下)", _right(seg, s)))
        increment = False
        if base:
            inc = _INCREMENT.search(base) or _INCREMENT.search(left)
            if inc:
                increment = True
                before_inc = left[: left.rfind(inc.group())] if inc.group() in left else base
                named = re.sub(r"(较|比)(上一年度|上年度|上一年|上年|去年)$", "", re.split(r"[按照对的以]", before_inc)[-1])
                base = _clean_base(named) or _clean_base(base.replace(inc.group(), ""))
                if not base:
                    whole = re.search(rf"([{_CJK}]{{2,10}}?)(较上年|较上一年度|较上年度|比上年|同比)(新增|增长)", seg)
                    base = _clean_base(re.split(r"[对的]", whole.group(1))[-1]) if whole else None
            else:
                base = _clean_base(base)
        if not interest and base and base.endswith("利率"):
            interest = True  # "按实际利率的50%给予贴息": share of an interest rate on the loan
        if interest:
            base = "贷款金额"
        roles.take(i)
        return Quantity(s.text, s.value), rate_is_max, base, increment, interest
    return None, False, None, False, False


_SHARE_CAP = re.compile(rf"^(?P<what>[{_CJK}]{{0,8}}?)(?:不超过|不高于|最高不超过|不得超过)(?P<base>[{_CJK}（）()]{{2,16}}?)的$")


def _read_share_cap(roles: _Roles) -> ShareCap | None:
    """"月补贴额不超过当月实际租金的50%": a ceiling as a share of an amount, in a phrase that grants nothing."""
    seg, spans = roles.seg, roles.spans
    for i, s in enumerate(spans):
        if s.kind != "percent" or i in roles.used:
            continue
        ph = _phrase_of(seg, s)
        head = ph[: ph.find(s.text)]
        m = _SHARE_CAP.search(head)
        if not m or re.search(r"(按|给予|予以)", ph):
            continue
        roles.take(i)
        what = m.group("what")
        period = "月" if re.match(r"^(月|每月)", what) else ("年" if re.match(r"^(年|每年)", what) else "")
        return ShareCap(Quantity(s.text, s.value), m.group("base"), period, ph)
    return None


def _read_matching(roles: _Roles):
    """Matching funds written as a ratio: "按市级实际资助金额给予1:1配套资助" is a rate of 100% on that amount,
    "按1:0.5比例配套" 50%; the rate keeps "1:1" as its text."""
    seg, spans = roles.seg, roles.spans
    for i, s in enumerate(spans):
        if s.kind != "ratio" or i in roles.used or len(s.parts) != 2 or not s.parts[0]:
            continue
        if not re.match(r"^(的?比例)?的?(给予|予以)?(配套|匹配)", _right(seg, s, 10)):
            continue
        base, _ = _base_before(_left(seg, s, 24))
        base = _clean_base(base)
        if not base:
            continue
        roles.take(i)
        return Quantity(s.text, s.parts[1] / s.parts[0]), False, base, False, False
    return None


# What a money base looks like: a noun ending in a money word (交易额, 服务费用, 研发成本, 项目总投入 …).
_MONEY_NOUN = re.compile(r"(额|费|费用|金额|成本|投入|投资|收入|利息|资金|价款|损失|产值|营收|租金|工资|薪酬|保费|贷款|出资|资本|价格|支出|开支|合同|价值|款|税收|税额|奖金|额度|利率)$")


def _clean_base(base: str | None) -> str | None:
    if not base:
        return None
    b = re.sub(r"[（(][^）)]*[）)]", "", base)
    b = _STOP_BASE.sub("", b)
    b = re.sub(r"(的|给予|予以)$", "", b)
    for lead in ("不超过", "不高于", "其", "上年度", "年度"):
        if b.startswith(lead) and len(b) > len(lead) + 1:
            b = b[len(lead):]
    if re.search(r"(之和|总和|合计)$", b) and _MONEY_NOUN.search(b[:-2]):
        b = b.split("的")[-1]  # "设备购置和研发投入之和": the sum of two amounts
        return b if len(b) >= 4 else None
    return b if len(b) >= 2 and _MONEY_NOUN.search(b) else None


def _base_key(base: str) -> str:
    return base


def apply_bound_definitions(rules: list[Rule], doc_text: str) -> list[Rule]:
    """A document may define its own words ("本措施所称“以上”包括本数，“以下”不包括本数"): its thresholds
    follow that definition. Without one, 以上/以下 include the figure (the usual reading in Chinese law)."""
    excluded: set[str] = set()
    included: set[str] = set()
    for part in re.split(r"[，；。,;]", doc_text):
        if "本数" not in part:
            continue
        words = re.findall(r"[“\"](以上|以下|以内|不满|超过|不足|低于)[”\"]", part)
        if re.search(r"不(?:包括|含|包含)本数", part):
            excluded |= set(words)
        elif re.search(r"(?:包括|含|包含)本数", part):
            included |= set(words)
    if not excluded and not included:
        return rules
    flip = {("以下", Comparator.LE): Comparator.LT, ("以内", Comparator.LE): Comparator.LT, ("以上", Comparator.GE): Comparator.GT,
            ("超过", Comparator.GT): Comparator.GE}
    out = []
    for r in rules:
        ths = []
        for t in r.thresholds:
            word = next((w for w in ("以下", "以内", "以上") if t.text.endswith(w)), "超过" if t.text.startswith("超过") else "")
            if word and ((word in excluded and word != "超过") or (word == "超过" and word in included)):
                t = replace(t, comparator=flip.get((word, t.comparator), t.comparator))
            ths.append(t)
        out.append(replace(r, thresholds=tuple(ths)) if tuple(ths) != r.thresholds else r)
    return out


def canonical_base(base: str) -> str:
    """What two wordings of one base share: "实际服务金额"/"实际服务总额" → "实际服务",
    "项目总投入资金"/"项目总投入" → "项目总投入". Used to give them one ``base_key``."""
    return re.sub(r"(资金|金额|总额|费用)$", "", base) or base


def unify_base_keys(rules: list[Rule]) -> list[Rule]:
    """Rules whose bases differ only in a trailing money word share the first one's wording as key."""
    first: dict[str, str] = {}
    out = []
    for r in rules:
        if r.base:
            key = first.setdefault(canonical_base(r.base), r.base)
            if key != r.base_key:
                r = replace(r, base_key=key)
        out.append(r)
    return out


# ---- fixed amounts and schedules


def _read_fixed(roles: _Roles) -> Quantity | None:
    seg, spans = roles.seg, roles.spans
    for i, s in enumerate(spans):
        if s.kind != "money" or i in roles.used:
            continue
        left = _left(seg, s, 14)
        if _UPPER_WORDS.search(left):
            continue
        if re.search(r"(给予|予以|奖励|补助|补贴|资助|支持|奖补|一次性|每年|安排|拨付|兑现)[^，；。]{0,12}$", left) or \
                re.match(r"^(的?(一次性)?(奖励|补助|补贴|资助|经费支持|资金支持|支持|奖补|创业资助|安家费))", _right(seg, s, 8)):
            roles.take(i)
            return Quantity(s.text, s.value)
    return None


_INSTALMENT_TERMS = re.compile(r"分(?:两|二|三|四|2|3|4)(?:期|次)(?:拨付|兑现|发放)[：:]")


def _read_percent_ratios(roles: _Roles) -> None:
    """Instalments written as percentages: "分三年按照40%、30%、30%的比例拨付" (before any rate is read), or as
    terms: "奖励资金分两期拨付：首期拨付60%；第二个完整会计年度营业收入仍不低于10亿元的，拨付剩余40%" (the
    condition of a later instalment is part of the schedule's text)."""
    seg, spans = roles.seg, roles.spans
    terms = _INSTALMENT_TERMS.search(seg)
    if terms:
        idx = [i for i, x in enumerate(spans) if x.start >= terms.end() and i not in roles.used]
        pct = [i for i in idx if spans[i].kind == "percent"]
        parts = [spans[i].value * 100 for i in pct]
        if len(pct) >= 2 and sum(parts) == 100 and all(p == int(p) for p in parts) and \
                all(spans[i].kind in ("percent", "money", "count", "duration", "area") for i in idx):
            for i in idx:
                roles.take(i)
            roles.ratios = tuple(int(p) for p in parts)
            head = seg.rfind("，", 0, terms.start()) + 1
            roles.ratio_text = seg[head:]
            return
    m = re.search(r"(?:按照?)?((?:\d+(?:\.\d+)?[%％][、，和]){1,5}\d+(?:\.\d+)?[%％])的?比例(?:分期|分年)?拨付", seg)
    if not m:
        return
    idx = [i for i, x in enumerate(spans) if x.kind == "percent" and m.start(1) <= x.start < m.end(1)]
    parts = [spans[i].value * 100 for i in idx]
    if idx and sum(parts) == 100 and all(p == int(p) for p in parts):
        for i in idx:
            roles.take(i)
        roles.ratios = tuple(int(p) for p in parts)
        roles.ratio_text = f"按{m.group(1)}的比例拨付"


def _read_schedule(roles: _Roles) -> Schedule | None:
    seg, spans = roles.seg, roles.spans
    years = None
    ratios: tuple[int, ...] = ()
    texts = []
    if roles.ratios:
        ratios, texts = roles.ratios, [roles.ratio_text]
    for i, s in enumerate(spans):
        if i in roles.used:
            continue
        if s.kind == "ratio" and re.search(r"(按|比例)[^，；。]{0,4}$", _left(seg, s, 6)) or (s.kind == "ratio" and "拨付" in seg):
            roles.take(i)
            ratios = tuple(int(p) for p in s.parts)
            texts.append(f"按{s.text}拨付")
        elif s.kind == "duration" and s.unit == "年" and _award_duration(seg, s):
            roles.take(i)
            years = int(s.value)
            left = _left(seg, s, 8)
            word = re.search(r"(连续支持|连续|支持周期为?|周期为?|分|期限不超过|期限为?|最长|不超过|补助期限不超过|补贴期限不超过)(补贴|补助|支持|发放|给予|享受|资助)?$", left)
            texts.insert(0, f"{word.group(1) if word else ''}{s.text}")
    if ratios and years is None:
        years = len(ratios)
    if years is None and not ratios:
        return None
    per_year = _paid_per_year(seg)
    return Schedule(years=years, per_year=per_year, ratios=ratios, text="，".join(texts))


def _paid_per_year(seg: str) -> bool:
    """"每年" / "年度" in the award or qualifier phrases (给予…每年2000万元, 每年最高100万元), not in a
    condition ("每年遴选一批…" is how often projects are chosen, not how the award is paid)."""
    for ph in phrases(seg):
        if not scan_money_or_rate(ph) and not re.search(r"(给予|予以)", ph):
            continue
        if re.search(r"(每年|每个年度|按年度?(发放|拨付|兑现|给予)|年度(最高|不超过))", ph):
            return True
    return False


# ---- notes, subject, conditions, names


def _ambiguity_notes(seg: str, caps: list[Cap], schedule: Schedule | None, thresholds: list[Threshold], base: str | None,
                     kind: RuleKind) -> list[str]:
    notes = []
    if schedule and schedule.years and caps and not schedule.per_year and not schedule.ratios and \
            all(c.scope in (CapScope.CLAIM, CapScope.ITEM) for c in caps) and kind in (RuleKind.RATE, RuleKind.PER_UNIT):
        cap = caps[0].amount.text
        span = next((p for p in phrases(seg) if cap in p), "")
        period = next((p for p in phrases(seg) if schedule.text and schedule.text.split("，")[0][-3:] in p and p != span), "")
        years_word = re.search(r"([\d一二两三四五六七八九十]+)个?年", schedule.text.split("，")[0])
        quote = re.sub(r"^.*?(给予|予以)", r"\1", span) + (f"，{period}" if period else "")
        notes.append(f"原文“{quote}”未写明{cap}上限是每年还是{years_word.group(1) if years_word else schedule.years}年合计；"
                     f"本计算按一个年度（一次申报）上限计算，多年合计以责任单位实施细则为准。")
    for t in thresholds:
        if base and t.unit == "元" and t.measure and t.measure not in base and base not in t.measure:
            notes.append(f"原文的门槛看“{t.measure}”，奖励按“{base}”计算；未单独提供门槛金额时，本计算假定两者相同。")
    return notes


def _max_word(seg: str) -> str:
    return "不超过" if "不超过" in seg else ("不高于" if "不高于" in seg else "最高")


_SUBJECT_SUFFIX = re.compile(r"(机构|企业|单位|数商|主体|园区|社区|实验室|项目|工厂|人才|团队|平台|基地|孵化器|银行|个人|高校|医院)$")
_SUBJECT_PATTERNS = (
    re.compile(rf"的(?P<s>[{_CJK}]{{2,12}}(?:机构|企业|单位|数商|主体|园区|人才|团队|平台|基地|孵化器))$"),
    re.compile(rf"遴选一批(?P<s>[{_CJK}]{{2,16}}?项目)"),
    re.compile(r"对(?P<s>[^，]*?)(?:使用|按照|按|给予|依规|择优|$)"),
    re.compile(rf"给予(?:每个)?(?P<s>[{_CJK}]{{2,6}}?)(?:最高|每年|每人|\d)"),
    re.compile(rf"支持(?P<s>[{_CJK}]{{0,4}}企业)"),
    re.compile(rf"将(?P<s>[{_CJK}]{{2,8}}企业)纳入"),
    re.compile(rf"对(?P<s>[{_CJK}]{{2,6}})给予"),
)


def _subject(seg: str) -> str:
    """Who receives the award: the direct recipient if named, else the most specific candidate."""
    direct = re.search(rf"(?:对|给予)(?P<s>所在区|运营主体|初创企业|用人单位|[{_CJK}]{{2,6}}?)给予", seg) or \
        re.search(r"给予(?P<s>所在区|初创企业|用人单位)", seg)
    if direct and not re.search(r"\d", direct.group("s")) and not re.search(r"(奖励|补助|补贴|资助|一次性|最高)", direct.group("s")):
        return direct.group("s")
    candidates: list[str] = []
    for ph in phrases(seg):
        for pat in _SUBJECT_PATTERNS:
            for m in pat.finditer(ph):
                s = m.group("s")
                if "的" in s:
                    # "对限上餐饮企业在本市新开设…的直营门店": the enterprise doing it is the recipient too
                    doer = re.match(rf"([{_CJK}]{{2,12}}?(?:企业|单位|机构|公司))(?:在|于|通过|新)", s)
                    if doer and not re.match(r"(前条|上述|前述|本条|该|此类|以上)", doer.group(1)):
                        candidates.append(doer.group(1))
                    s = s.rsplit("的", 1)[1]
                s = s.strip("，、 ")
                # a list of kinds ("全国重点实验室、国家技术创新中心…等国家级创新平台") may run longer than one name
                if MIN_SUBJECT <= len(s) <= (64 if "、" in s else 40) and not re.search(r"\d", s) and not re.search(r"(奖励|补助|补贴|资助|一次性)$", s) \
                        and not s.startswith("每"):
                    candidates.append(s)
    if not candidates:
        return "申报单位"
    preferred = [c for c in candidates if _SUBJECT_SUFFIX.search(c)]
    best = re.sub(r"(分别|均|各)$", "", max(preferred or candidates, key=len))
    return "申报单位" if re.fullmatch(r"(最高|不超过|每年|分别|一次性)", best) else best


def _conditions(seg: str) -> list[str]:
    """Eligibility phrases as written (without the award itself)."""
    out = []
    for ph in phrases(seg):
        m = re.search(r"对(?P<c>.+?)(?:给予|按照|按|使用|择优|依规|$)", ph)
        cond = m.group("c") if m else (ph if not _has_award(ph) else "")
        cond = cond.strip("，、 ").removeprefix("且")
        if not cond or re.match(r"^(最高|不超过|(补贴|补助|支持|奖励)?期限|周期|累计|最长|连续|其中|单个|同一|每年|分)", cond) or re.search(r"(最高|不超过)\d+万元$", cond):
            continue
        if "的" in cond or cond.startswith("首") or re.search(r"(首次|入选|获批|获评|通过评审|符合标准|优秀|达\d|超过?\d|以上|认定|备案)", cond):
            out.append(cond)
    return out


def _award_noun(seg: str) -> str:
    m = None
    for m in _AWARD_NOUN.finditer(seg):
        pass
    return m.group(1) if m else "支持"


GENERIC_NAMES = {"申报单位", "企业", "单位", "项目", "申请人"}
_GENERIC_LABEL = re.compile(r"^(资金|经费|财政|财政资金|适当|一次性|相应|有关|相关|专项|配套|奖补|给予|予以|按照?|分别|最长|期限|面积|连续|累计|合计|年度|当年|最多|再|另行|前述)$")


def _named_award(seg: str) -> str | None:
    """An award the text names itself: 安家补贴, 租房补贴, 创业资助, 引才奖励."""
    best = None
    for m in re.finditer(rf"([{_CJK}]{{1,8}}?)(补贴|津贴|补助|奖励|资助|贴息)", seg):
        head = re.split(r"(给予|予以|发放|按照|按|的|分别|一次性|最高|不超过|每年度|每年|年度|每月|每人|元|万|亿|对|和|及|或|、)", m.group(1))[-1]
        if 2 <= len(head) <= 5 and not _GENERIC_LABEL.match(head):
            best = head + m.group(2)
    return best


def _name(kind: RuleKind, clause: Clause, seg: str, subject: str, base: str | None, award: str, tier_label: str) -> str:
    voucher = re.search(rf"设立([{_CJK}]{{1,6}}券)", clause.text)
    if voucher and voucher.group() in clause.text and (voucher.start() <= clause.text.find(seg[:8]) or voucher.group(1) in seg):
        return f"{voucher.group(1)}{award}"
    named = _named_award(seg)
    if named:
        return named
    got = re.search(rf"(?:认定为|评为|评价为|获评|获批|入选|获得|获准注册的|获准|成为|认定的|获评的)(?P<x>[{_CJK}“”‘’（）()A-Za-z、]{{3,30}}?)(?:的|，|$)", seg)
    if got and (subject in GENERIC_NAMES or len(subject) > 16):
        return f"{got.group('x')}{award}"
    if subject in GENERIC_NAMES and kind in (RuleKind.FIXED, RuleKind.PER_UNIT, RuleKind.TIERED):
        # "对在境内外证券交易所首发上市的企业，给予500万元": named by what the recipient did (境内外证券交易所首发上市奖励)
        did = re.search(rf"(?:对|^)(?:在|于|拟在)?(?P<x>[{_CJK}“”（）()、]{{2,18}}?)的(?:企业|单位|公司|机构|，)", seg)
        if did and not re.search(r"(给予|奖励|补助|补贴|最高|万元)", did.group("x")):
            return f"{did.group('x')}{award}"
    listed = re.search(rf"、[^、]*等(?P<x>[{_CJK}]{{3,12}})$", subject)
    if listed and len(subject) > 16:
        subject = listed.group("x")  # "全国重点实验室、国家技术创新中心…等国家级创新平台" → 国家级创新平台奖励
    if kind in (RuleKind.RATE, RuleKind.MARGINAL, RuleKind.INTEREST) and base:
        return f"{subject}{award}（按{base}计）"
    return f"{subject}{award}"


def _is_award_without_figure(text: str) -> bool:
    return bool(re.search(r"(给予|予以)[^，。；]{0,12}(奖励|补助|补贴|资助|支持|奖补)|按照?(有关|相关)(政策|规定)[^，。；]{0,6}(给予|予以)", text)) and \
        not scan_money_or_rate(text)


# ---------------------------------------------------------------- tables


def _text_without_table(text: str, tables) -> str:
    """The clause text without its tables' rows (the parser renders each row into the text as a sentence)."""
    from assistant.parser import render_table

    for t in tables:
        rendered = render_table(t)
        if rendered and rendered in text:
            text = text.replace(rendered, "")
        else:  # a caption row was split off: drop the rendered rows one by one
            for row in render_table(t[1:] and ((t[0],) + tuple(t[1:])) or t).split("。"):
                if row and row + "。" in text:
                    text = text.replace(row + "。", "")
    return text


_HEADER_UNIT = re.compile(r"[（(]\s*(万元|元|亿元)(?:\s*/\s*(人|年|月|人·月|人/年|平方米))?\s*[）)]")
_PERSON_SUBJECT = re.compile(r"(人才|人员|毕业生|博士|硕士|专家|学者|技能人才|工匠)$")


def _rules_from_table(clause: Clause, table, body: str) -> tuple[list[Rule], str]:
    """One tiered rule per money column: rows are the tiers, keyed by the first column. A unit in the
    header ("安家补贴（万元）") applies to bare numbers; what the text says about a column
    ("购房补贴分三年按4:3:3拨付", "生活津贴按年度发放，连续支持3年") gives its schedule."""
    rows = [tuple(str(c).strip() for c in r) for r in table if any(str(c).strip() for c in r)]
    if len(rows) < 2:
        return [], ""
    header, data = rows[0], rows[1:]
    subject = _subject(body)
    rules: list[Rule] = []
    key_col = 0
    if len(header) > 2 and (re.fullmatch(r"(序号|编号|No\.?|NO\.?)", header[0].strip()) or all(re.fullmatch(r"\d{1,3}", r[0]) for r in data)):
        key_col = 1  # "序号｜类别｜奖励标准": the category is the key, the serial number is not
    data = [tuple(re.sub(r"[（(][^）)]*[）)]", "", r[key_col]).strip() or r[key_col] if k == 0 else c
                  for k, c in enumerate(r[key_col:])) for r in data]
    header = header[key_col:]
    keys = [r[0] for r in data]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        # "仿制药｜全国同品种前三家通过一致性评价｜100万元" and "仿制药｜其他通过一致性评价的品种｜30万元": one category
        # twice is told apart by its condition column, so that the user is asked which, never given either
        cond_col = next((c for c in range(1, len(header)) if all(
            len(r) > c and r[c] and not any(x.kind in ("money", "percent") for x in scan(r[c])) for r in data)), None)
        if cond_col is not None:
            data = [(f"{r[0]}（{r[cond_col][:20]}）",) + tuple(r[1:]) if r[0] in dup else r for r in data]
    for col in range(1, len(header)):
        head = header[col]
        unit_m = _HEADER_UNIT.search(head)
        name = _HEADER_UNIT.sub("", head).strip() or head
        cells = [r[col] if col < len(r) else "" for r in data]
        tiers: list[Tier] = []
        per = None
        for row, cell in zip(data, cells):
            if not cell or cell in ("—", "-", "/", "无", "——"):
                continue
            spans = [s for s in scan(cell) if s.kind in ("money", "percent")]
            if not spans and unit_m and re.fullmatch(r"\d+(?:\.\d+)?", cell):
                q = Quantity(cell, Decimal(cell) * UNIT_SCALE[unit_m.group(1)])
            elif len(spans) == 1:
                s = spans[0]
                pm = _PER.search(cell[: cell.find(s.text)])
                item = re.match(rf"^每(?:[{_CJK}]{{0,4}}?)(?:一)?(?P<u>个|件|项|款|家|条|台|套)", cell)
                if pm:
                    u, period = _unit_of(pm.group(1))
                    per = per or PerUnit(u, period)
                elif item:
                    per = per or PerUnit(item.group("u"), "")  # "每获得一个产品认证，奖励2万元": an amount per item
                q = Quantity(s.text, s.value)
                if s.kind == "percent":
                    tiers.append(Tier(row[0], rate=q))
                    continue
            elif not spans:
                continue
            else:
                return [], f"第{clause.id}项附表“{name}”一栏“{cell}”含多个数字，未能识别"
            tiers.append(Tier(row[0], amount=q))
        if not tiers:
            continue
        said = [p for p in re.split(r"[；;。]", body) if name in p]
        schedule = None
        if said:
            seg = "，".join(said)
            sched_roles = _Roles(seg, [x for x in scan(seg) if x.kind in ("duration", "ratio")])
            schedule = _read_schedule(sched_roles)
            if schedule and not schedule.per_year and re.search(r"(按年度|每年|按年)", seg):
                schedule = replace(schedule, per_year=True)
        if unit_m and unit_m.group(2) in ("年", "人/年") and schedule is None:
            schedule = Schedule(years=None, per_year=True)
        if per is None and _PERSON_SUBJECT.search(subject.split("、")[-1]):
            per = PerUnit("人", "")
        kind = RuleKind.PER_UNIT if per else RuleKind.TIERED
        segment = f"{name}：" + "；".join(f"{r[0]}{c}" for r, c in zip(data, cells) if c)
        rules.append(Rule(id=clause.id, clause_id=clause.id, kind=kind, segment=segment, name=name, subject=subject,
                          conditions=tuple(_conditions(body)), tiers=tuple(tiers), tier_label=header[0] or "类别", per_unit=per,
                          schedule=schedule))
    return rules, ""
