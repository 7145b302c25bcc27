"""Deterministic amounts: pure functions over ``Decimal``, whole yuan out, a trace for people.

Owns: applying one ``Rule`` to the facts a user gave (base amount, threshold measure,
level, number of awards), and summing several claims while respecting a cap that
applies per subject across claims (``同一主体年度…最高``, ``累计最高``, ``单个区不超过``).

Rounding: whole yuan, half up, only at the end. Does not parse text (see ``amounts``
and ``rules``) and never reads settings or files.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

from assistant.amounts import format_percent, format_yuan, to_yuan
from assistant.errors import AmountError
from assistant.types import Calculation, Comparator, Rule, RuleKind


@dataclass(frozen=True)
class Claim:
    """What the user asks to compute for one rule."""

    rule: Rule
    base: Decimal | None = None  # the amount the rate applies to
    measure: Decimal | None = None  # the amount the threshold looks at (defaults to base)
    level: str | None = None  # for tiered awards: 国家级 / 省级
    count: int = 1  # number of awards (fixed awards), e.g. two clusters in one district


def calculate(rule: Rule, base: Decimal | None = None, *, measure: Decimal | None = None,
              level: str | None = None, count: int = 1) -> Calculation:
    """Amount for one claim.

    >>> from assistant.rules import extract_rules
    >>> from assistant.types import Clause
    >>> c = Clause("1.3", "d", 1, "t", 3, "对年度数据交易额达100万元及以上的数据供方企业，按照数据交易额的5%给予奖励，同一主体年度奖励金额最高200万元。")
    >>> calc = calculate(extract_rules(c)[0], Decimal(3_000_000))
    >>> calc.amount_yuan, calc.formula
    (150000, '300万元 × 5% = 15万元（未超过上限200万元）')
    """
    return calculate_claims([Claim(rule, base, measure, level, count)])[0]


def calculate_claims(claims: list[Claim]) -> list[Calculation]:
    """One ``Calculation`` per rule; claims of a rule whose cap is per subject are pooled.

    Pooling: two 同一主体年度 claims of 3000万元 and 2000万元 under a 5% / 200万元 rule give
    one calculation ``(3000万元 + 2000万元) × 5% = 250万元，超过上限200万元，按200万元计``.
    """
    groups: "OrderedDict[str, list[Claim]]" = OrderedDict()
    out: list[Calculation] = []
    for claim in claims:
        if claim.rule.cap_aggregates:
            groups.setdefault(claim.rule.id, []).append(claim)
        else:
            groups[f"{claim.rule.id}#{len(groups)}"] = [claim]
    for group in groups.values():
        out.append(_calculate_group(group))
    return out


def total_yuan(calculations: list[Calculation]) -> int | None:
    """Sum of amounts; ``None`` when nothing was calculated."""
    if not calculations:
        return None
    return sum(c.amount_yuan for c in calculations)


# ---------------------------------------------------------------- internals


def _calculate_group(group: list[Claim]) -> Calculation:
    rule = group[0].rule
    if rule.kind is RuleKind.RATE:
        return _rate(rule, group)
    if rule.kind is RuleKind.FIXED:
        return _fixed(rule, sum(c.count for c in group))
    if rule.kind is RuleKind.TIERED:
        return _tiered(rule, group[0].level)
    return _cap_only(rule)


def _rate(rule: Rule, group: list[Claim]) -> Calculation:
    assert rule.rate is not None
    bases: list[Decimal] = []
    for c in group:
        if c.base is None:
            raise AmountError("", f"计算第{rule.clause_id}项需要{rule.base}金额")
        if c.base <= 0:
            raise AmountError(str(c.base), "金额必须大于0")
        bases.append(Decimal(c.base))
    base_total = sum(bases, Decimal(0))
    base_txt = format_yuan(base_total) if len(bases) == 1 else "（" + " + ".join(format_yuan(b) for b in bases) + "）"
    inputs = {rule.base_key or rule.base or "base": [to_yuan(b) for b in bases] if len(bases) > 1 else to_yuan(base_total)}
    notes = []

    if rule.threshold:
        measures = [c.measure if c.measure is not None else c.base for c in group]
        measure_total = sum((Decimal(m) for m in measures if m is not None), Decimal(0))
        if any(c.measure is not None for c in group):
            inputs[rule.threshold.measure] = to_yuan(measure_total)
        th = rule.threshold
        if not th.comparator.holds(measure_total, th.amount.value):
            word = "未达" if th.comparator is Comparator.GE else "未超过"
            reason = f"{th.measure}{format_yuan(measure_total)}，{word}{format_yuan(th.amount.value)}（条件：{th.measure}{th.text}）"
            return Calculation(rule.id, rule.clause_id, inputs, f"{reason}，不符合条件，金额为0元", 0,
                               capped=False, eligible=False, reason=f"{th.measure}{word}{format_yuan(th.amount.value)}")

    used = base_total
    if rule.base_limit and used > rule.base_limit.value:
        notes.append(f"按“{rule.base_limit.text}”，计算基数按{format_yuan(rule.base_limit.value)}计")
        used = rule.base_limit.value
        base_txt = format_yuan(used)
    raw = used * rule.rate.value
    rate_txt = format_percent(rule.rate.value)
    formula = f"{base_txt} × {rate_txt} = {format_yuan(raw)}"
    amount = raw
    capped = False
    if rule.cap is not None:
        if raw > rule.cap.value:
            amount, capped = rule.cap.value, True
            formula += f"，超过上限{format_yuan(rule.cap.value)}，按{format_yuan(rule.cap.value)}计"
        else:
            formula += f"（未超过上限{format_yuan(rule.cap.value)}）"
    if notes:
        formula = "；".join(notes) + "：" + formula
    return Calculation(rule.id, rule.clause_id, inputs, formula, to_yuan(amount), capped=capped,
                       eligible=True, is_upper_bound=rule.rate_is_max)


def _fixed(rule: Rule, count: int) -> Calculation:
    assert rule.fixed is not None
    if count < 1:
        raise AmountError(str(count), "数量必须为正整数")
    years = rule.years if rule.years and rule.period.startswith("每年") else None
    amount = rule.fixed.value * count * (years or 1)
    parts = [format_yuan(rule.fixed.value) + ("/年" if years else "")]
    if count > 1:
        parts.append(f"{count}个")
    if years:
        parts.append(f"{years}年")
    formula = " × ".join(parts) + f" = {format_yuan(amount)}" if len(parts) > 1 else f"固定金额{format_yuan(amount)}"
    if rule.period == "一次性":
        formula += "（一次性）"
    capped = False
    if rule.cap is not None and amount > rule.cap.value:
        formula += f"，超过{rule.cap_scope}上限{format_yuan(rule.cap.value)}，按{format_yuan(rule.cap.value)}计"
        amount, capped = rule.cap.value, True
    inputs: dict = {"count": count} if count != 1 else {}
    return Calculation(rule.id, rule.clause_id, inputs, formula, to_yuan(amount), capped=capped, eligible=True)


def _tiered(rule: Rule, level: str | None) -> Calculation:
    levels = dict(rule.tiers)
    if level not in levels:
        options = "、".join(levels)
        raise AmountError(level or "", f"请说明级别（{options}）")
    q = levels[level]
    return Calculation(rule.id, rule.clause_id, {"level": level}, f"{level}：{format_yuan(q.value)}", to_yuan(q.value), eligible=True)


def _cap_only(rule: Rule) -> Calculation:
    assert rule.cap is not None
    scope = f"{rule.cap_scope}" if rule.cap_scope else ""
    formula = f"{scope}最高{format_yuan(rule.cap.value)}（具体金额由责任单位评审确定）"
    return Calculation(rule.id, rule.clause_id, {}, formula, to_yuan(rule.cap.value), capped=False,
                       eligible=True, is_upper_bound=True)
