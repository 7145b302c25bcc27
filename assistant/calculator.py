"""Deterministic amounts: pure functions over ``Decimal``, whole yuan out, a readable trace.

Owns: applying one ``Rule`` to the facts a user gave (``Claim``), and summing several claims
while respecting caps that bind one recipient across claims (``同一主体年度…最高``,
``累计最高``, ``单个区不超过``).

The steps, in this order, each leaving a line in the trace:

1. thresholds (money, counts or area; ``首次突破`` tiers pick the highest milestone reached; a growth
   rate condition is checked when this year's and last year's values are given);
2. the amount for one unit: fixed, tier, rate × base (an increment, a capped base, or marginal
   brackets), or an interest subsidy (share × LPR × loan); a rate modifier whose condition the
   claim confirms (``conditions_met``) or whose ratio its ``amounts`` show changes the rate or
   raises the standard, otherwise the trace says what would change; a stage may deduct what
   was received;
3. per-unit caps, then × units (persons, items, area up to its limit; a tier's own unit and
   minimum) × periods (months up to the limit; unknown months → the longest period, as an upper
   bound; amounts that change by year of support for one ``year`` or all); a ceiling that is a
   share of an amount the claim gives (actual rent) binds each period;
4. per-claim / per-item / per-year caps, then × years for support paid every year;
5. caps over a recipient, a total or a region (pooled over claims of one rule);
6. top-ups pay only the gap to what was received; instalment schedules are shown year by year.

Rounding: whole yuan, half up, only at the end. Missing facts raise ``MissingFactError`` naming
what to ask. Does not parse text (see ``rules``, ``amounts``) and never reads settings or files.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from assistant.amounts import format_percent, format_yuan, to_yuan
from assistant.errors import AmountError, MissingFactError
from assistant.types import Calculation, CapScope, Comparator, Rule, RuleKind, Tier


@dataclass(frozen=True)
class Claim:
    """What the user asks to compute for one rule."""

    rule: Rule
    base: Decimal | None = None  # the amount a rate applies to (this year's value for increments)
    measure: Decimal | None = None  # the amount a money threshold looks at (defaults to base)
    level: str | None = None  # tier key: 国家级 / A类 / 辅导备案 …
    count: int = 1  # units: persons, items, awards
    area: Decimal | None = None  # for per-area amounts (平方米)
    periods: int | None = None  # months (or years) for per-period amounts; None = the longest allowed
    previous: Decimal | None = None  # last year's value, for increments
    received: Decimal | None = None  # already received, for top-ups (按差额补足)
    rate_ref: Decimal | None = None  # the loan prime rate (a fraction) for interest subsidies
    years: int | None = None  # years of multi-year support claimed; None = the whole schedule
    counts: tuple[tuple[str, int], ...] = field(default=())  # count facts for thresholds: (("博士|名", 5), ("标准煤|吨", 1200))
    instalment: int | None = None  # for instalment schedules: which year's payment (1-based); None = the total
    year: int | None = None  # for a claim per year of multi-year support (第1年、第2年 …): never pooled with another year
    crossed: bool = False  # the user says the measure went past its value ("首次突破5亿元"): a 突破/超过 milestone at it is met
    # conditions of the rule's ``rate_modifiers`` the user says hold ("以知识产权质押方式获得的贷款"): each entry is
    # matched to a modifier whose ``condition`` contains it or is contained in it; an unlisted one is not applied
    conditions_met: tuple[str, ...] = ()
    # named amounts beyond base and measure, yuan: the parts of a ratio condition ((“当年营业收入”, 1e8)) and the
    # amount a share cap is taken of ((“当月实际租金”, 8000)); names are the rule's own words, matched loosely
    amounts: tuple[tuple[str, Decimal], ...] = ()


def calculate(rule: Rule, base: Decimal | None = None, *, measure: Decimal | None = None,
              level: str | None = None, count: int = 1, **facts) -> Calculation:
    """Amount for one claim.

    >>> from assistant.rules import extract_rules
    >>> from assistant.types import Clause
    >>> c = Clause("1.3", "d", 1, "t", 3, "对年度数据交易额达100万元及以上的数据供方企业，按照数据交易额的5%给予奖励，同一主体年度奖励金额最高200万元。")
    >>> calc = calculate(extract_rules(c)[0], Decimal(3_000_000))
    >>> calc.amount_yuan, calc.formula
    (150000, '300万元 × 5% = 15万元（未超过同一主体年度上限200万元）')
    """
    return calculate_claims([Claim(rule, base, measure, level, count, **facts)])[0]


def calculate_claims(claims: list[Claim]) -> list[Calculation]:
    """One ``Calculation`` per rule; claims of a rule whose cap binds the recipient are pooled.

    Pooling: two 同一主体年度 claims of 3000万元 and 2000万元 under a 5% / 200万元 rule give
    one calculation ``(3000万元 + 2000万元) × 5% = 250万元，超过上限200万元，按200万元计``.
    """
    groups: "OrderedDict[str, list[Claim]]" = OrderedDict()
    per_claim = (CapScope.UNIT, CapScope.ITEM, CapScope.CLAIM)
    for claim in claims:
        if claim.rule.cap_aggregates and claim.rule.kind in (RuleKind.RATE, RuleKind.MARGINAL) \
                and not any(c.scope in per_claim for c in claim.rule.caps) \
                and not any(re.match(r"(单笔|单个|单项|每笔|每个|每项)", t.measure or "") for t in claim.rule.thresholds):
            groups.setdefault(f"{claim.rule.id}@{claim.year}", []).append(claim)
        else:
            groups[f"{claim.rule.id}#{len(groups)}"] = [claim]
    return [_calculate_group(g) for g in groups.values()]


def total_yuan(calculations: list[Calculation]) -> int | None:
    """Sum of amounts; ``None`` when nothing was calculated."""
    if not calculations:
        return None
    return sum(c.amount_yuan for c in calculations)


def combine(calcs: list[Calculation], rule: Rule | None = None, *, yearly: bool = False, dropped: int = 0) -> Calculation:
    """Several claims of one rule (1名B类 and 3名D类; three cases of 80万元, 80万元 and 30万元) as one
    calculation: each claim with its own caps, then the sum under the caps that bind the recipient.

    ``yearly``: the claims are successive years (each already under its yearly cap), so only caps over
    the whole period bind the sum; ``dropped`` years beyond the rule's longest period are not paid."""
    if len(calcs) == 1 and not dropped:
        return calcs[0]
    first = calcs[0]
    total = Decimal(sum(c.amount_yuan for c in calcs))
    label = "第{i}年" if yearly else "（{i}）"
    formula = "；".join(f"{label.format(i=i)}{'：' if yearly else ''}{c.formula}" for i, c in enumerate(calcs, start=1))
    if dropped and rule is not None and rule.schedule:
        formula += f"；{rule.schedule.text or f'最长{rule.schedule.years}年'}，其后{dropped}年不予计算"
    formula += f"；合计{format_yuan(total)}"
    capped = any(c.capped for c in calcs)
    for cap in (rule.caps if rule else ()):
        if yearly and cap.scope in (CapScope.RECIPIENT_YEAR, CapScope.YEAR):
            continue  # applied within each year
        if cap.scope.aggregates and total > cap.amount.value:
            formula += f"，超过{cap.text or ''}上限{format_yuan(cap.amount.value)}，按{format_yuan(cap.amount.value)}计"
            total, capped = cap.amount.value, True
    return Calculation(first.rule_id, first.clause_id, {"claims": [c.inputs for c in calcs]}, formula, to_yuan(total),
                       capped=capped, eligible=any(c.eligible for c in calcs),
                       reason="；".join(c.reason for c in calcs if c.reason), is_upper_bound=any(c.is_upper_bound for c in calcs))


def needed_facts(rule: Rule) -> list[str]:
    """What a user must state before this rule can be computed (labels for clarifying questions)."""
    out = []
    if rule.kind in (RuleKind.RATE, RuleKind.MARGINAL, RuleKind.INTEREST):
        out.append(rule.base or "计算基数")
    if rule.kind is RuleKind.TIERED or (rule.kind is RuleKind.PER_UNIT and rule.tiers):
        if not all(t.threshold for t in rule.tiers):
            out.append(rule.tier_label or "级别")
    if rule.kind is RuleKind.INTEREST:
        out.append("贷款市场报价利率（LPR）")
    if rule.increment:
        out.append(f"上年{rule.base or ''}")
    for t in rule.thresholds:
        if t.unit != "元":
            out.append(t.measure or "数量")
    return out


# ---------------------------------------------------------------- internals


class _Trace:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.capped = False
        self.tier: Tier | None = None  # the tier picked, for per-unit tiers with their own unit and minimum

    def add(self, text: str) -> None:
        self.parts.append(text)

    def text(self) -> str:
        return "；".join(p for p in self.parts if p)


def _calculate_group(group: list[Claim]) -> Calculation:
    rule = group[0].rule
    trace = _Trace()
    inputs: dict = {}
    upper = rule.upper_bound

    claim0 = group[0]
    # 1. thresholds
    for th in rule.thresholds:
        if th.unit == "%":
            growth = _growth(th, group)
            if growth is None:
                continue  # a condition on a share (出资比例): shown to the user as a condition to confirm, not computed
            inputs[th.measure or "增长率"] = format_percent(growth.quantize(Decimal("0.0001")))
            if not th.comparator.holds(growth, th.amount.value):
                word = {Comparator.GE: "未达到", Comparator.GT: "未超过", Comparator.LE: "超过", Comparator.LT: "未低于"}[th.comparator]
                reason = f"{th.measure}{format_percent(growth.quantize(Decimal('0.0001')))}，{word}{th.amount.text}（条件：{th.measure}{th.text}）"
                return Calculation(rule.id, rule.clause_id, inputs, f"{reason}，不符合条件，金额为0元", 0, eligible=False,
                                   reason=f"{th.measure}{word}{th.amount.text}")
            trace.add(f"{th.measure}{format_percent(growth.quantize(Decimal('0.0001')))}，符合“{th.text}”")
            continue
        if th.unit == "元":
            if rule.tiers and any(t.threshold for t in rule.tiers):
                continue  # milestone tiers read the measure themselves
            values = [c.measure if c.measure is not None else c.base for c in group]
            if rule.increment and re.search(r"(新增|增长|增加|增量)", th.measure or "") and all(
                    c.measure is None and c.previous is not None and c.base is not None for c in group):
                values = [c.base - c.previous for c in group]  # "较上年新增1000万元以上": the increase is compared
            if any(v is None for v in values):
                raise MissingFactError(th.measure or "金额", f"计算第{rule.clause_id}项需要{th.measure or '相关金额'}（条件：{th.measure}{th.text}）")
            value = sum((Decimal(v) for v in values), Decimal(0))
            if any(c.measure is not None for c in group):
                inputs[th.measure or "门槛金额"] = to_yuan(value)
            shown = format_yuan(value)
            limit = format_yuan(th.amount.value)
        else:
            found = [n for c in group for m, n in sorted(c.counts, key=lambda mn: _unit_of_key(mn[0]) != th.unit)
                     if m and (_same_measure(m, th.measure) or _same_unit(_unit_of_key(m), th.unit))
                     and (th.unit not in _AREA_UNITS or _unit_of_key(m) in _AREA_UNITS)]  # "3家面积在160…" is not 3平方米
            # (a count in the condition's own unit first: "一个25人的旅游团" has 25人 for 单团游客不少于20人, not 一个)
            if not found and th.unit in _AREA_UNITS and claim0.area is not None:
                found = [claim0.area]  # "展览面积达到1万平方米的…按展览面积每平方米20元": the area paid on is the one compared
            if not found:
                raise MissingFactError(th.measure or "数量", f"请说明{th.measure or '数量'}（条件：{th.measure}{th.text}）")
            value = Decimal(found[0])
            inputs[th.measure] = int(value) if value == int(value) else str(value)
            shown, limit = f"{_num(value)}{th.unit}", th.amount.text
        if not th.comparator.holds(value, th.amount.value):
            word = {Comparator.GE: "未达到", Comparator.GT: "未超过", Comparator.LE: "超过", Comparator.LT: "未低于"}[th.comparator]
            reason = f"{th.measure}{shown}，{word}{limit}（条件：{th.measure}{th.text}）"
            return Calculation(rule.id, rule.clause_id, inputs, f"{reason}，不符合条件，金额为0元", 0, eligible=False,
                               reason=f"{th.measure}{word}{limit}")

    claim = group[0]
    # 2. one unit
    if rule.kind is RuleKind.CAP_ONLY:
        return _cap_only(rule, claim.years)
    if rule.kind in (RuleKind.RATE, RuleKind.MARGINAL, RuleKind.INTEREST) or (rule.kind is RuleKind.TIERED and _rate_tiers(rule)):
        amount, upper = _rate_amount(rule, group, trace, inputs, upper)
    else:
        amount = _unit_amount(rule, claim, trace, inputs)
        if amount is None:
            return Calculation(rule.id, rule.clause_id, inputs, trace.text() + "，不符合条件，金额为0元", 0, eligible=False,
                               reason=trace.parts[-1] if trace.parts else "")

    # 3. per-unit caps, units, periods
    amount = _apply_caps(rule, amount, trace, (CapScope.UNIT,))
    if rule.per_unit and (rule.kind is RuleKind.PER_UNIT or rule.per_unit.period):
        amount, upper = _units_and_periods(rule, claim, amount, trace, inputs, upper)
        if amount < 0:
            return Calculation(rule.id, rule.clause_id, inputs, trace.text() + "，不符合条件，金额为0元", 0, eligible=False,
                               reason=trace.parts[-1])
    elif rule.kind in (RuleKind.FIXED, RuleKind.TIERED) and claim.count != 1 and not _rate_tiers(rule):
        if claim.count < 1:
            raise AmountError(str(claim.count), "数量必须为正整数")
        inputs["count"] = claim.count
        trace.add(f"{format_yuan(amount)} × {claim.count}个 = {format_yuan(amount * claim.count)}")
        amount = amount * claim.count

    # 4. per-claim caps, then years
    amount = _apply_caps(rule, amount, trace, (CapScope.CLAIM, CapScope.ITEM, CapScope.YEAR, CapScope.RECIPIENT_YEAR))
    sched = rule.schedule
    # support paid every year: a fixed yearly award is paid each year; a rate applies to each year's own base
    if sched and sched.per_year and sched.years and not sched.ratios and rule.kind not in (
            RuleKind.RATE, RuleKind.MARGINAL, RuleKind.INTEREST):
        years = claim.years or sched.years
        if claim.years and claim.years > sched.years:
            years = sched.years
        if years > 1:
            inputs["years"] = years
            trace.add(f"{format_yuan(amount)}/年 × {years}年 = {format_yuan(amount * years)}")
            amount = amount * years

    # 5. caps over the recipient / total / region
    amount = _apply_caps(rule, amount, trace, (CapScope.RECIPIENT, CapScope.TOTAL, CapScope.REGION))

    # 6. top-up and instalments
    if rule.top_up and claim.received is not None:
        gap = max(Decimal(0), amount - claim.received)
        inputs["已获奖励"] = to_yuan(claim.received)
        trace.add(f"按差额补足：{format_yuan(amount)} − 已获{format_yuan(claim.received)} = {format_yuan(gap)}")
        amount = gap
    if sched and sched.ratios and sched.over is not None and amount <= sched.over.value:
        trace.add(f"未超过{sched.over.text}，一次性拨付")
    elif sched and sched.ratios:
        total = sum(sched.ratios)
        shares = [amount * r / total for r in sched.ratios]
        # "第k年" also for instalments by stage (分两期): the answer engine finds the instalment line by "第\d+年拨付"
        word = "年"
        trace.add(f"按{':'.join(str(r) for r in sched.ratios)}分{len(sched.ratios)}{word}拨付：" +
                  "、".join(f"第{i}{word}{format_yuan(v)}" for i, v in enumerate(shares, start=1)))
        if re.search(r"(分[两二三四\d]期|首期)", sched.text) and "，" in sched.text:
            trace.parts[-1] += f"（{sched.text[sched.text.find('：') + 1:] if '：' in sched.text else sched.text}）"
        k = group[0].instalment
        if k is not None:
            if not 1 <= k <= len(shares):
                raise AmountError(str(k), f"该项分{len(shares)}{word}拨付，没有第{k}{word}")
            trace.add(f"第{k}{word}拨付{format_yuan(amount)} × {sched.ratios[k - 1]}/{total} = {format_yuan(shares[k - 1])}")
            inputs["instalment"] = k
            amount = shares[k - 1]
    return Calculation(rule.id, rule.clause_id, inputs, trace.text(), to_yuan(amount),
                       capped=trace.capped, eligible=True, is_upper_bound=upper)


_PERSONS = {"名", "人", "位"}
_AREA_UNITS = {"平方米", "亩"}


def _growth(th, group: list[Claim]) -> Decimal | None:
    """The growth rate a percent condition on growth compares ("同比增速不低于10%", "较上一年度增长20%及以上"),
    when every claim gives this year's and last year's values; None otherwise (the condition is shown, not computed)."""
    if not re.search(r"(增长|增速|增幅|同比|较上)", th.measure + th.text):
        return None
    if any(c.base is None or c.previous is None or c.previous <= 0 for c in group):
        return None
    now = sum((Decimal(c.base) for c in group), Decimal(0))
    before = sum((Decimal(c.previous) for c in group), Decimal(0))
    return (now - before) / before


def _loose_name(name: str) -> str:
    return re.sub(r"^(年度|当年|当月|本年度?|上一?年度?|每月|月|实际)+", "", name)


def _named_amount(claim: Claim, name: str) -> Decimal | None:
    """An amount of the claim by the rule's own word for it ("当年营业收入" finds "营业收入")."""
    want = _loose_name(name)
    for key, value in claim.amounts:
        got = _loose_name(key)
        if got and want and (got in want or want in got):
            return Decimal(value)
    return None


def _condition_met(claim: Claim, condition: str) -> bool:
    return any(c and (c in condition or condition in c) for c in claim.conditions_met)


def _modifier_applies(rule: Rule, claim: Claim, m, trace: "_Trace", inputs: dict) -> bool:
    """Whether a rate modifier's condition holds: the claim says so, or its ratio condition is computed from
    the claim's amounts (the numerator may be the rule's own base or measure). Otherwise the trace says what
    would change and that it was not counted."""
    if _condition_met(claim, m.condition):
        trace.add(f"{m.condition}：{m.effect}")
        return True
    r = m.ratio
    if r is not None:
        num = _named_amount(claim, r.numerator)
        if num is None:
            for name, value in ((rule.base or "", claim.base), (rule.threshold.measure if rule.threshold else "", claim.measure)):
                if value is not None and name and (_loose_name(name) in r.numerator or _loose_name(r.numerator) in name):
                    num = Decimal(value)
                    break
        den = _named_amount(claim, r.denominator)
        if num is not None and den:
            share = num / den
            inputs[f"{r.numerator}占{r.denominator}比重"] = format_percent(share.quantize(Decimal("0.0001")))
            shown = f"{r.numerator}{format_yuan(num)} ÷ {r.denominator}{format_yuan(den)} = {format_percent(share.quantize(Decimal('0.0001')))}"
            if r.comparator.holds(share, r.threshold.value):
                trace.add(f"{shown}，{r.text}：{m.effect}")
                return True
            trace.add(f"{shown}，未{r.text}，{m.effect.replace('提高', '不提高').replace('上浮', '不上浮')}")
            return False
    trace.add(f"如{m.condition}，{m.effect}（未说明是否符合，未计入）")
    return False


def _modified_rate(rule: Rule, claim: Claim, rate, trace: "_Trace", inputs: dict):
    """The rate after the modifiers whose condition holds: a new rate ("提高至70%") or added points ("提高2个百分点")."""
    from assistant.types import Quantity

    for m in rule.rate_modifiers:
        if m.rate is None and m.points is None:
            continue
        if not _modifier_applies(rule, claim, m, trace, inputs):
            continue
        if m.rate is not None:
            rate = m.rate
        else:
            rate = Quantity(f"{rate.text}+{m.points.text}", rate.value + m.points.value)
    return rate


def _uplifted(rule: Rule, claim: Claim, amount: Decimal, trace: "_Trace", inputs: dict) -> Decimal:
    """The standard raised by the modifiers whose condition holds ("在上述标准基础上上浮20%")."""
    for m in rule.rate_modifiers:
        if m.uplift is None or not _modifier_applies(rule, claim, m, trace, inputs):
            continue
        raised = amount * (1 + m.uplift.value)
        trace.parts[-1] += f"，{format_yuan(amount)} × (1 + {format_percent(m.uplift.value)}) = {format_yuan(raised)}"
        amount = raised
    return amount


def _same_unit(a: str, b: str) -> bool:
    """名/人/位 count people alike; "6个"博士 counts people where the condition counts 名."""
    return a == b or (a in _PERSONS | {"个"} and b in _PERSONS)


def _unit_of_key(key: str) -> str:
    return key.split("|", 1)[1] if "|" in key else ""


def _same_measure(key: str, measure: str) -> bool:
    noun = key.split("|", 1)[0]
    return bool(noun) and (noun in measure or measure in noun or (len(noun) >= 2 and noun[:2] in measure))


def _rate_tiers(rule: Rule) -> bool:
    return bool(rule.tiers) and all(t.rate is not None for t in rule.tiers)


def _pick_tier(rule: Rule, claim: Claim, trace: _Trace, inputs: dict) -> Tier | None:
    milestones = [t for t in rule.tiers if t.threshold is not None]
    if milestones:
        value = claim.measure if claim.measure is not None else claim.base
        if value is None:
            raise MissingFactError(rule.tier_label or "金额", f"请说明{rule.tier_label or '相关金额'}（用于确定档次）")
        th = next((t for t in rule.thresholds if t.unit == "元"), None)
        strict = th is not None and th.comparator is Comparator.GT
        reached = [t for t in milestones if (value > t.threshold.value if strict and not claim.crossed else value >= t.threshold.value)]
        inputs[rule.tier_label or "金额"] = to_yuan(value)
        if not reached:
            trace.add(f"{rule.tier_label}{format_yuan(value)}，未达到最低档{milestones[0].threshold.text}")
            return None
        best = max(reached, key=lambda t: t.threshold.value)
        trace.add(f"{rule.tier_label}{format_yuan(value)}，达到“{best.key}”档")
        return best
    levels = {t.key: t for t in rule.tiers}
    key = _match_key(claim.level, levels)
    if key is None:
        raise MissingFactError(rule.tier_label or "级别", f"请说明{rule.tier_label or '级别'}（{'、'.join(levels)}）")
    inputs["level"] = key
    return levels[key]


def _match_key(given: str | None, keys: dict[str, Tier]) -> str | None:
    """A tier key from what the user said: exact, or contained either way (A类 / A类人才, 国家级 / 国家)."""
    if not given:
        return None
    if given in keys:
        return given
    hits = [k for k in keys if k in given or given in k]
    return hits[0] if len(hits) == 1 else None


def _unit_amount(rule: Rule, claim: Claim, trace: _Trace, inputs: dict) -> Decimal | None:
    if rule.tiers:
        tier = _pick_tier(rule, claim, trace, inputs)
        if tier is None:
            return None
        assert tier.amount is not None
        trace.tier = tier
        if not trace.parts or "档" not in trace.parts[-1]:
            trace.add(f"{tier.key}：{format_yuan(tier.amount.value)}")
        amount = _uplifted(rule, claim, tier.amount.value, trace, inputs)
        if tier.deduct:
            if claim.received is not None:
                left = max(Decimal(0), amount - claim.received)
                inputs["已获奖励"] = to_yuan(claim.received)
                trace.add(f"{tier.deduct}：{format_yuan(amount)} − {format_yuan(claim.received)} = {format_yuan(left)}")
                amount = left
            else:
                trace.parts[-1] += f"（{tier.deduct}，已获的需扣除）"
        return amount
    if rule.fixed is not None:
        if rule.kind is RuleKind.PER_UNIT:
            return rule.fixed.value  # the per-unit line says it ("300元/吨 × 1200吨")
        per = "/年" if rule.schedule and rule.schedule.per_year and rule.schedule.years else ""
        trace.add(f"固定金额{format_yuan(rule.fixed.value)}{per}" + ("（一次性）" if "一次性" in rule.segment else ""))
        return _uplifted(rule, claim, rule.fixed.value, trace, inputs)
    raise AmountError("", f"第{rule.clause_id}项没有可计算的金额")


def _rate_amount(rule: Rule, group: list[Claim], trace: _Trace, inputs: dict, upper: bool) -> tuple[Decimal, bool]:
    bases: list[Decimal] = []
    for c in group:
        b = c.base
        if b is None:
            raise MissingFactError(rule.base or "金额", f"计算第{rule.clause_id}项需要{rule.base or '计算基数'}金额")
        if b <= 0:
            raise AmountError(str(b), "金额必须大于0")
        if rule.increment:
            if c.previous is None:
                raise MissingFactError(f"上年{rule.base}", f"请说明上年的{rule.base}（按较上年增长部分计算）")
            inputs[f"上年{rule.base}"] = to_yuan(c.previous)
            growth = max(Decimal(0), b - c.previous)
            trace.add(f"增长部分：{format_yuan(b)} − {format_yuan(c.previous)} = {format_yuan(growth)}")
            b = growth
        bases.append(Decimal(b))
    base_total = sum(bases, Decimal(0))
    key = rule.base_key or rule.base or "base"
    inputs[key] = [to_yuan(b) for b in bases] if len(bases) > 1 else to_yuan(base_total)
    base_txt = format_yuan(base_total) if len(bases) == 1 else "（" + " + ".join(format_yuan(b) for b in bases) + "）"
    if rule.base_limit and base_total > rule.base_limit.value:
        trace.add(f"按“{rule.base_limit.text}”，计算基数按{format_yuan(rule.base_limit.value)}计")
        base_total = rule.base_limit.value
        base_txt = format_yuan(base_total)
    if rule.kind is RuleKind.MARGINAL:
        parts, amount = [], Decimal(0)
        for b in rule.brackets:
            top = base_total if b.upper is None else min(base_total, b.upper)
            if top <= b.lower:
                continue
            part = (top - b.lower) * b.rate.value
            amount += part
            parts.append(f"{format_yuan(top - b.lower)} × {format_percent(b.rate.value)}")
        trace.add(f"{base_txt}分段计算：" + " + ".join(parts) + f" = {format_yuan(amount)}")
        return amount, upper
    if rule.kind is RuleKind.INTEREST:
        claim = group[0]
        if claim.rate_ref is None:
            raise MissingFactError("贷款市场报价利率（LPR）", "请说明贷款市场报价利率（LPR），如“3.0%”")
        inputs["LPR"] = str(claim.rate_ref)
        assert rule.rate is not None
        share = _modified_rate(rule, claim, rule.rate, trace, inputs).value
        amount = base_total * claim.rate_ref * share
        months = claim.periods if claim.periods and 0 < claim.periods < 12 else None
        if months:  # the loan was used for part of the year: interest for those months
            amount = amount * months / 12
            inputs["months"] = months
            trace.add(f"{base_txt} × LPR {format_percent(claim.rate_ref)} × {format_percent(share)} × {months}/12个月 = {format_yuan(amount)}")
        else:
            trace.add(f"{base_txt} × LPR {format_percent(claim.rate_ref)} × {format_percent(share)} = {format_yuan(amount)}（一年）")
        return amount, upper
    rate = rule.rate
    cap_tier = None
    if rule.kind is RuleKind.TIERED:
        tier = _pick_tier(rule, group[0], trace, inputs)
        if tier is None:
            return Decimal(0), upper
        rate = tier.rate
        cap_tier = tier if tier.amount is not None else None
    elif rule.tiers:  # a ceiling per kind of project ("通用机场单个项目最高1000万元，垂直起降场…")
        cap_tier = _pick_tier(rule, group[0], trace, inputs)
    assert rate is not None
    rate = _modified_rate(rule, group[0], rate, trace, inputs)
    amount = base_total * rate.value
    trace.add(f"{base_txt} × {format_percent(rate.value)} = {format_yuan(amount)}")
    if cap_tier is not None and cap_tier.amount is not None:
        if amount > cap_tier.amount.value:
            trace.parts[-1] += f"，超过{cap_tier.key}上限{format_yuan(cap_tier.amount.value)}，按{format_yuan(cap_tier.amount.value)}计"
            amount = cap_tier.amount.value
            trace.capped = True
        else:
            trace.parts[-1] += f"（未超过{cap_tier.key}上限{format_yuan(cap_tier.amount.value)}）"
    return amount, upper


def _units_and_periods(rule: Rule, claim: Claim, amount: Decimal, trace: _Trace, inputs: dict, upper: bool) -> tuple[Decimal, bool]:
    pu = rule.per_unit
    assert pu is not None
    tier = trace.tier
    unit_word = (tier.unit if tier is not None and tier.unit else "") or pu.unit
    if unit_word in _AREA_UNITS:
        if claim.area is None:
            raise MissingFactError("面积", f"请说明面积（{unit_word}）")
        units = Decimal(claim.area)
        inputs["area"] = str(units)
        if pu.max_units and units > pu.max_units.value:
            trace.add(f"面积{_num(units)}{unit_word}超过上限{pu.max_units.text}，按{pu.max_units.text}计")
            units = pu.max_units.value
    else:
        if claim.count < 1:
            raise AmountError(str(claim.count), "数量必须为正整数")
        units = Decimal(claim.count)
        inputs["count"] = claim.count
        if pu.max_units and units > pu.max_units.value:
            trace.add(f"数量{claim.count}{unit_word}超过上限{pu.max_units.text}，按{pu.max_units.text}计")
            units = pu.max_units.value
    if tier is not None and tier.min_units is not None and units < tier.min_units.value:
        trace.add(f"{tier.key}{_num(units)}{unit_word}，未达到{tier.min_units.text}")
        return Decimal(-1), upper  # not eligible: the caller turns it into 0 with the reason
    if pu.by_year:
        ceiling, upper = _share_ceiling(rule, claim, pu.period, inputs, upper)
        total, upper = _by_year(rule, claim, units, unit_word, trace, inputs, upper, ceiling)
        if rule.share_cap is not None and ceiling is None:
            # "补贴金额不超过企业实际支付租金的50%" without the rent: the figure is a ceiling
            trace.parts[-1] += f"（另“{rule.share_cap.text}”，未提供{rule.share_cap.base}，未核减，为可获得的上限）"
            upper = True
        return total, upper
    periods = Decimal(1)
    period_txt = ""
    if pu.period:
        limit = pu.max_periods.value if pu.max_periods else None
        if claim.periods is None:
            if limit is None:
                unit = _period_unit(pu.period).removeprefix("个")
                raise MissingFactError(f"{unit}数", f"请说明补贴的{unit}数")
            periods, upper = limit, True
            period_txt = f" × {_num(limit)}{_period_unit(pu.period)}（按最长期限计，为可获得的上限）"
        else:
            periods = Decimal(claim.periods)
            inputs["periods"] = claim.periods
            if limit is not None and periods > limit:
                trace.add(f"{claim.periods}{_period_unit(pu.period)}超过最长期限{pu.max_periods.text}，按{pu.max_periods.text}计")
                periods = limit
            period_txt = f" × {_num(periods)}{_period_unit(pu.period)}"
    per_txt = format_yuan(amount) + (f"/{unit_word}" if unit_word else "") + (f"/{pu.period}" if pu.period else "")
    units_txt = f" × {_num(units)}{unit_word or '份'}" if unit_word or units != 1 else ""
    one_period = amount * units
    ceiling, upper = _share_ceiling(rule, claim, pu.period, inputs, upper)
    if ceiling is not None and one_period > ceiling:
        cap = rule.share_cap
        trace.add(f"{per_txt}{units_txt} = {format_yuan(one_period)}，超过{cap.base}的{cap.rate.text}（{format_yuan(ceiling)}），按{format_yuan(ceiling)}计")
        trace.capped = True
        total = ceiling * periods
        trace.add(f"{format_yuan(ceiling)}/{pu.period or '次'}{period_txt} = {format_yuan(total)}")
        return total, upper
    total = one_period * periods
    trace.add(f"{per_txt}{units_txt}{period_txt} = {format_yuan(total)}")
    if rule.share_cap is not None and ceiling is None:
        trace.parts[-1] += f"（另“{rule.share_cap.text}”，未提供{rule.share_cap.base}，按标准计，为可获得的上限）"
    return total, upper


def _share_ceiling(rule: Rule, claim: Claim, period: str, inputs: dict, upper: bool) -> tuple[Decimal | None, bool]:
    """The ceiling of one period's amount from a share cap ("月补贴额不超过当月实际租金的50%"), when the claim gives
    the amount it is a share of (by name in ``amounts``, else ``base``); without it the standard is an upper bound."""
    cap = rule.share_cap
    if cap is None:
        return None, upper
    of = _named_amount(claim, cap.base)
    if of is None:
        of = claim.base
    if of is None:
        return None, True
    inputs[cap.base] = to_yuan(Decimal(of))
    return Decimal(of) * cap.rate.value, upper


def _by_year(rule: Rule, claim: Claim, units: Decimal, unit_word: str, trace: _Trace, inputs: dict, upper: bool,
             ceiling: Decimal | None = None) -> tuple[Decimal, bool]:
    """Per-unit amounts that change with the year of support ("第一年按每平方米每月20元、第二年和第三年按每平方米每月10元"):
    one year (``claim.year``; its months from ``claim.periods``, else the whole year) or every year of the schedule
    (``claim.periods`` months from the start, else the whole period as an upper bound)."""
    pu = rule.per_unit
    assert pu is not None
    per_year = 12 if pu.period == "月" else 1
    last = max(y.last for y in pu.by_year)

    def amount_in(year: int):
        return next((y for y in pu.by_year if y.first <= year <= y.last), None)

    unit_txt = f"/{unit_word}" if unit_word else ""
    per_txt = f"/{pu.period}" if pu.period else ""
    if claim.year is not None:
        ya = amount_in(claim.year)
        if ya is None:
            raise AmountError(str(claim.year), f"该项补贴共{last}年，没有第{claim.year}年")
        inputs["year"] = claim.year
        periods = Decimal(per_year)
        if claim.periods is not None:
            periods = min(Decimal(claim.periods), periods)
            inputs["periods"] = claim.periods
        one = ya.amount.value * units
        total = one * periods
        trace.add(f"第{claim.year}年：{format_yuan(ya.amount.value)}{unit_txt}{per_txt} × {_num(units)}{unit_word or '份'}"
                  + (f" × {_num(periods)}{_period_unit(pu.period)}" if pu.period else "") + f" = {format_yuan(total)}")
        if ceiling is not None and one > ceiling:
            total = ceiling * periods
            trace.add(f"每{pu.period or '期'}{format_yuan(one)}超过{rule.share_cap.base}的{rule.share_cap.rate.text}（{format_yuan(ceiling)}），"
                      f"按{format_yuan(ceiling)}计：{format_yuan(ceiling)} × {_num(periods)}{_period_unit(pu.period)} = {format_yuan(total)}")
            trace.capped = True
        return total, upper
    months_left = Decimal(claim.periods) if claim.periods is not None else Decimal(last * per_year)
    if claim.periods is None:
        upper = True
    else:
        inputs["periods"] = claim.periods
    parts, total = [], Decimal(0)
    for year in range(1, last + 1):
        if months_left <= 0:
            break
        ya = amount_in(year)
        if ya is None:
            continue
        n = min(months_left, Decimal(per_year))
        months_left -= n
        one = ya.amount.value * units
        held = ceiling is not None and one > ceiling
        part = (ceiling if held else one) * n
        total += part
        parts.append(f"第{year}年{format_yuan(ya.amount.value)}{unit_txt}{per_txt} × {_num(units)}{unit_word or '份'}"
                     + (f"（每{pu.period}超过{rule.share_cap.base}的{rule.share_cap.rate.text}，按{format_yuan(ceiling)}计）" if held else "")
                     + (f" × {_num(n)}{_period_unit(pu.period)}" if pu.period else ""))
        trace.capped = trace.capped or held
    tail = "（按全部补贴期限计，为可获得的上限）" if claim.periods is None else ""
    trace.add("；".join(parts) + f"；合计{format_yuan(total)}{tail}")
    return total, upper


def _period_unit(period: str) -> str:
    return {"月": "个月", "天": "天", "晚": "晚"}.get(period, "年")


def _num(d: Decimal) -> str:
    s = format(Decimal(d).normalize(), "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def _apply_caps(rule: Rule, amount: Decimal, trace: _Trace, scopes: tuple[CapScope, ...]) -> Decimal:
    for cap in rule.caps:
        if cap.scope not in scopes:
            continue
        label = f"{cap.text}上限" if cap.text else "上限"
        if amount > cap.amount.value:
            text = f"超过{label}{format_yuan(cap.amount.value)}，按{format_yuan(cap.amount.value)}计"
            if trace.parts:
                trace.parts[-1] += "，" + text
            else:
                trace.add(text)
            amount = cap.amount.value
            trace.capped = True
        elif trace.parts:
            trace.parts[-1] += f"（未超过{label}{format_yuan(cap.amount.value)}）"
    return amount


def _cap_only(rule: Rule, years: int | None = None) -> Calculation:
    """The ceiling of an award decided by review; over the years of support unless ``years`` asks for fewer."""
    assert rule.cap is not None
    cap = rule.caps[0]
    scope = cap.text or ""
    amount = cap.amount.value
    formula = f"{scope}最高{format_yuan(amount)}（具体金额由责任单位评审确定）"
    sched = rule.schedule
    n = min(years, sched.years) if (years and sched and sched.years) else (sched.years if sched else None)
    if sched and sched.per_year and n and n > 1 and cap.scope in (CapScope.YEAR, CapScope.RECIPIENT_YEAR):
        amount = amount * n
        formula = f"{scope}最高{format_yuan(cap.amount.value)}/年 × {n}年 = 最高{format_yuan(amount)}（具体金额由责任单位评审确定）"
    return Calculation(rule.id, rule.clause_id, {}, formula, to_yuan(amount), capped=False, eligible=True, is_upper_bound=True)


def calculate_ladder(rules: list[Rule], values: list[Decimal]) -> Calculation:
    """Fixed awards that step up with one measure ("单场参会人数达到300人以上的，给予10万元奖励；达到800人以上的，给予20万元…"):
    each value (one event each, ``values`` in the user's order) gets the highest step it reaches; the sum is held to
    the steps' shared cap (同一主办单位年度累计不超过60万元). ``rules`` are the steps, lowest first."""
    th0 = rules[0].thresholds[0]
    measure = th0.measure or "数量"
    parts, total = [], Decimal(0)
    for v in values:
        reached = [r for r in rules if r.thresholds[0].comparator.holds(Decimal(v), r.thresholds[0].amount.value)]
        if reached:
            got = reached[-1].fixed.value
            parts.append(f"{_num(v)}{th0.unit}：{format_yuan(got)}")
            total += got
        else:
            parts.append(f"{_num(v)}{th0.unit}：未{th0.text}，0元")
    trace = _Trace()
    trace.add(f"{measure}" + "；".join(parts) + (f"；各场相加{format_yuan(total)}" if len(values) > 1 else ""))
    caps = [c for r in rules for c in r.caps if c.scope in (CapScope.TOTAL, CapScope.RECIPIENT, CapScope.RECIPIENT_YEAR, CapScope.YEAR)]
    ladder_rule = replace(rules[-1], caps=tuple(caps[:1]))
    total = _apply_caps(ladder_rule, total, trace, tuple(CapScope))
    return Calculation(rules[-1].id, rules[-1].clause_id, {measure: [int(v) if v == int(v) else str(v) for v in values]},
                       trace.text(), to_yuan(total), capped=trace.capped, eligible=total > 0,
                       reason="" if total > 0 else f"{measure}未{th0.text}")
