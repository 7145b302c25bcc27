"""Per-document rule sidecars: an admin supplies or corrects rules in ``<policy file>.rules.toml``.

Owns reading and validating the sidecar (``tomllib`` + pydantic), and turning it into the same
typed ``Rule`` records the extractor produces. A sidecar sits next to its policy file, uses the
document's own clause ids (``3.4``, not ``talent:3.4``) and may:

* ``[[rule]]``: give the rules of a clause (replacing what was extracted from it, unless
  ``replace = false``);
* ``[[review]]``: mark a clause as needing review, with the reason shown to users;
* ``[[note]]``: add a reading note to the rules of a clause.

Every number must appear in that clause's text exactly as written ("50%", "20万元", "24个月"),
so a sidecar can correct a reading but never invent a figure. Errors are one line naming the
file and the line of the offending entry. Example: ``docs/rules-sidecar.md``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import ParseError
from assistant.quantities import scan
from assistant.types import (Cap, CapScope, Clause, Comparator, Coverage, NonComputable, PerUnit, Quantity, RateModifier, Rule,
                             RuleKind, Schedule, ShareCap, Threshold, Tier, YearAmount)

SUFFIX = ".rules.toml"


def sidecar_path(policy_file: Path) -> Path:
    """``corpus/talent.docx`` → ``corpus/talent.rules.toml``."""
    p = Path(policy_file)
    return p.with_name(p.stem + SUFFIX)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CapIn(_Strict):
    amount: str = Field(description="上限金额，原文写法，如 20万元")
    scope: Literal["claim", "item", "unit", "year", "recipient", "recipient_year", "total", "region"] = "claim"
    text: str = ""


class ThresholdIn(_Strict):
    measure: str = ""
    op: Literal[">=", ">", "<=", "<"] = ">="
    amount: str
    first_time: bool = False


class TierIn(_Strict):
    key: str
    amount: Optional[str] = None
    rate: Optional[str] = None
    threshold: Optional[str] = None
    unit: str = Field("", description="该档自己的计量单位，如 立方米、吨")
    min_units: Optional[str] = Field(None, description="该档的最低数量，原文写法，如 300立方米")
    deduct: str = Field("", description="该阶段拨付时扣除的内容，原文写法")


class YearAmountIn(_Strict):
    first: int = Field(ge=1, le=20)
    last: int = Field(ge=1, le=20)
    amount: str = Field(description="该年度的单位金额，原文写法，如 10元")


class RateModifierIn(_Strict):
    condition: str = Field(min_length=2, max_length=80, description="适用条件，原文写法")
    rate: Optional[str] = Field(None, description="比例提高至，如 70%")
    points: Optional[str] = Field(None, description="比例提高的百分点，如 2个百分点")
    uplift: Optional[str] = Field(None, description="标准上浮比例，如 20%")


class ShareCapIn(_Strict):
    rate: str = Field(description="上限占比，如 50%")
    base: str = Field(min_length=2, description="上限按什么金额的比例，如 当月实际租金")
    period: Literal["", "月", "年"] = ""


class PerUnitIn(_Strict):
    unit: str
    period: Literal["", "月", "年"] = ""
    max_units: Optional[str] = None
    max_periods: Optional[str] = None
    by_year: list[YearAmountIn] = []


class ScheduleIn(_Strict):
    years: Optional[int] = Field(None, ge=1, le=20)
    per_year: bool = False
    ratios: list[int] = []


class RuleIn(_Strict):
    clause: str
    replace: bool = True
    kind: Literal["rate", "marginal", "fixed", "tiered", "per_unit", "interest", "cap_only"]
    name: str = Field(min_length=1, max_length=60)
    subject: str = "申报单位"
    conditions: list[str] = []
    base: Optional[str] = None
    increment: bool = False
    rate: Optional[str] = None
    rate_is_max: bool = False
    fixed: Optional[str] = None
    tiers: list[TierIn] = []
    tier_label: str = ""
    per_unit: Optional[PerUnitIn] = None
    caps: list[CapIn] = []
    thresholds: list[ThresholdIn] = []
    schedule: Optional[ScheduleIn] = None
    base_limit: Optional[str] = None
    top_up: bool = False
    reviewed: bool = False
    notes: list[str] = []
    rate_modifiers: list[RateModifierIn] = []
    share_cap: Optional[ShareCapIn] = None


class ReviewIn(_Strict):
    clause: str
    reason: str = Field(min_length=2, max_length=300)


class NoteIn(_Strict):
    clause: str
    text: str = Field(min_length=2, max_length=500)


class SidecarIn(_Strict):
    rule: list[RuleIn] = []
    review: list[ReviewIn] = []
    note: list[NoteIn] = []


@dataclass(frozen=True)
class Sidecar:
    """A validated sidecar, with clause ids already in the corpus's form (prefixed if needed)."""

    path: str
    rules: tuple[Rule, ...]
    replaces: frozenset[str]  # clause ids whose extracted rules are replaced
    reviews: tuple[NonComputable, ...]
    notes: tuple[tuple[str, str], ...]  # (clause id, note)

    def apply(self, rules: list[Rule], non_computable: list[NonComputable]) -> tuple[list[Rule], list[NonComputable]]:
        review_ids = {r.clause_id for r in self.reviews}
        own = {r.clause_id for r in self.rules}
        kept = [r for r in rules if r.clause_id not in self.replaces and r.clause_id not in review_ids]
        from dataclasses import replace as dc_replace

        kept = [dc_replace(r, notes=r.notes + tuple(n for cid, n in self.notes if cid == r.clause_id)) for r in kept]
        added = [dc_replace(r, notes=r.notes + tuple(n for cid, n in self.notes if cid == r.clause_id)) for r in self.rules]
        merged = sorted(kept + added, key=lambda r: _order(r.id))
        nc = [n for n in non_computable if n.clause_id not in own and n.clause_id not in review_ids] + list(self.reviews)
        return merged, sorted(nc, key=lambda n: _order(n.clause_id))


def _order(rule_id: str) -> tuple:
    return tuple(int(x) if x.isdigit() else x for x in re.split(r"[.\-:]", rule_id))


def load_sidecar(path: Path, clauses: dict[str, Clause], prefix: str = "") -> Sidecar:
    """Read and validate one sidecar against the clauses of its document (keys: local ids)."""
    path = Path(path)
    name = path.name
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError(name, None, "不是有效的 UTF-8 文本") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"line (\d+)", str(err))
        raise ParseError(name, int(m.group(1)) if m else None, f"TOML 格式错误（{err}）") from None
    try:
        sc = SidecarIn.model_validate(data)
    except ValidationError as err:
        e = err.errors()[0]
        loc = e.get("loc", ())
        line = _line_of(text, loc)
        where = ".".join(str(x) for x in loc)
        raise ParseError(name, line, f"字段 {where} 不正确：{e.get('msg', '')}") from None
    rules: list[Rule] = []
    replaces: set[str] = set()
    counters: dict[str, int] = {}
    for k, r in enumerate(sc.rule):
        line = _line_of(text, ("rule", k))
        clause = clauses.get(r.clause)
        if clause is None:
            raise ParseError(name, line, f"条款 {r.clause} 不存在")
        rule = _to_rule(r, clause, name, line)
        counters[clause.id] = counters.get(clause.id, 0) + 1
        from dataclasses import replace as dc_replace

        rules.append(dc_replace(rule, id=f"{clause.id}-s{counters[clause.id]}"))
        if r.replace:
            replaces.add(clause.id)
    reviews = []
    for k, rv in enumerate(sc.review):
        clause = clauses.get(rv.clause)
        if clause is None:
            raise ParseError(name, _line_of(text, ("review", k)), f"条款 {rv.clause} 不存在")
        reviews.append(NonComputable(clause.id, rv.reason, Coverage.REVIEW))
    notes = []
    for k, nt in enumerate(sc.note):
        clause = clauses.get(nt.clause)
        if clause is None:
            raise ParseError(name, _line_of(text, ("note", k)), f"条款 {nt.clause} 不存在")
        for q in scan(nt.text):
            if q.kind in ("money", "percent") and q.text not in clause.text:
                raise ParseError(name, _line_of(text, ("note", k)), f"说明中的“{q.text}”不在条款 {nt.clause} 原文中")
        notes.append((clause.id, nt.text))
    return Sidecar(str(path), tuple(rules), frozenset(replaces), tuple(reviews), tuple(notes))


def _line_of(text: str, loc: tuple) -> int | None:
    """Line of the n-th ``[[table]]`` header the error is in (tomllib keeps no positions)."""
    if len(loc) < 2 or not isinstance(loc[1], int):
        return None
    headers = [i for i, line in enumerate(text.splitlines(), start=1) if line.strip() == f"[[{loc[0]}]]"]
    return headers[loc[1]] if loc[1] < len(headers) else None


def _quantity(value: str | None, clause: Clause, field: str, file: str, line: int | None, *, kind: str | None = None,
              label: str = "") -> Quantity | None:
    """A number written as in the clause ("50%", "20万元", "24个月"); it must be found there."""
    if value is None:
        return None
    v = value.strip()
    spans = scan(v)
    if len(spans) != 1 or spans[0].text != v.strip("最高不超过"):
        spans = [s for s in spans if s.text in v]
    if not spans:
        raise ParseError(file, line, f"{field}“{value}”不是数字（应写作原文的样子，如 50%、20万元、24个月）")
    s = spans[0]
    if kind and s.kind != kind:
        raise ParseError(file, line, f"{field}“{value}”应为{ {'money': '金额', 'percent': '百分比'}.get(kind, kind) }")
    if s.text not in clause.text:
        raise ParseError(file, line, f"{field}“{s.text}”不在条款 {label or clause.id} 原文中")
    return Quantity(s.text, s.value)


def _to_rule(r: RuleIn, clause: Clause, file: str, line: int | None) -> Rule:
    q = lambda v, f, kind=None: _quantity(v, clause, f, file, line, kind=kind, label=r.clause)  # noqa: E731
    kind = RuleKind(r.kind)
    rate = q(r.rate, "rate", "percent")
    fixed = q(r.fixed, "fixed", "money")
    caps = tuple(Cap(q(c.amount, "caps.amount", "money"), CapScope(c.scope), c.text) for c in r.caps)
    thresholds = tuple(Threshold(t.measure, Comparator(t.op), q(t.amount, "thresholds.amount"), f"{t.op}{t.amount}",
                                 unit="元" if scan(t.amount) and scan(t.amount)[0].kind == "money" else (scan(t.amount)[0].unit if scan(t.amount) else "元"),
                                 first_time=t.first_time) for t in r.thresholds)
    tiers = tuple(Tier(t.key, amount=q(t.amount, "tiers.amount", "money"), rate=q(t.rate, "tiers.rate", "percent"),
                       threshold=q(t.threshold, "tiers.threshold", "money"), unit=t.unit, min_units=q(t.min_units, "tiers.min_units"),
                       deduct=t.deduct) for t in r.tiers)
    for t in tiers:
        if t.deduct and t.deduct not in clause.text:
            raise ParseError(file, line, f"扣除说明“{t.deduct}”不在条款 {r.clause} 原文中")
    per_unit = None
    if r.per_unit:
        by_year = tuple(YearAmount(y.first, y.last, q(y.amount, "per_unit.by_year.amount", "money"), f"第{y.first}至{y.last}年{y.amount}")
                        for y in r.per_unit.by_year)
        per_unit = PerUnit(r.per_unit.unit, r.per_unit.period, q(r.per_unit.max_units, "per_unit.max_units"),
                           q(r.per_unit.max_periods, "per_unit.max_periods"), by_year=by_year)
    modifiers = []
    for m in r.rate_modifiers:
        given = [x for x in (m.rate, m.points, m.uplift) if x is not None]
        if len(given) != 1:
            raise ParseError(file, line, "rate_modifiers 每项只能填写 rate、points、uplift 之一")
        if m.condition not in clause.text:
            raise ParseError(file, line, f"适用条件“{m.condition}”不在条款 {r.clause} 原文中")
        modifiers.append(RateModifier(m.condition, rate=q(m.rate, "rate_modifiers.rate", "percent"),
                                      points=q(m.points, "rate_modifiers.points", "percent"),
                                      uplift=q(m.uplift, "rate_modifiers.uplift", "percent"), clause_id=clause.id, text=m.condition))
    share_cap = None
    if r.share_cap:
        if r.share_cap.base not in clause.text:
            raise ParseError(file, line, f"上限基数“{r.share_cap.base}”不在条款 {r.clause} 原文中")
        share_cap = ShareCap(q(r.share_cap.rate, "share_cap.rate", "percent"), r.share_cap.base, r.share_cap.period)
    schedule = Schedule(r.schedule.years, r.schedule.per_year, tuple(r.schedule.ratios),
                        "") if r.schedule else None
    if schedule and schedule.ratios and ":".join(str(x) for x in schedule.ratios) not in clause.text.replace("：", ":"):
        raise ParseError(file, line, f"拨付比例 {':'.join(str(x) for x in schedule.ratios)} 不在条款 {r.clause} 原文中")
    needs = {RuleKind.RATE: rate, RuleKind.FIXED: fixed, RuleKind.TIERED: tiers or None, RuleKind.CAP_ONLY: caps or None,
             RuleKind.PER_UNIT: (fixed or tiers) and per_unit, RuleKind.MARGINAL: None, RuleKind.INTEREST: rate}
    if kind is RuleKind.MARGINAL:
        raise ParseError(file, line, "分段比例（marginal）请用多条 rate 规则之外的方式：暂不支持在补充文件中填写")
    if not needs.get(kind):
        raise ParseError(file, line, f"kind = \"{r.kind}\" 缺少必要字段（rate/fixed/tiers/caps/per_unit）")
    if kind in (RuleKind.RATE, RuleKind.INTEREST) and not r.base:
        raise ParseError(file, line, "按比例的规则需要 base（计算基数）")
    if r.base and r.base not in clause.text:
        raise ParseError(file, line, f"计算基数“{r.base}”不在条款 {r.clause} 原文中")
    return Rule(id=clause.id, clause_id=clause.id, kind=kind, segment=clause.text, name=r.name, subject=r.subject,
                conditions=tuple(r.conditions), base=r.base, base_key=r.base, increment=r.increment, rate=rate,
                rate_is_max=r.rate_is_max, fixed=fixed, tiers=tiers, tier_label=r.tier_label, per_unit=per_unit,
                interest_basis="LPR" if kind is RuleKind.INTEREST else "", caps=caps, thresholds=thresholds, schedule=schedule,
                base_limit=q(r.base_limit, "base_limit", "money"), top_up=r.top_up, reviewed=r.reviewed, notes=tuple(r.notes),
                rate_modifiers=tuple(modifiers), share_cap=share_cap, source="sidecar")

