"""资格自测: a self-check form derived from one document's rules, and its evaluation.

Owns: the questions a document's measures raise (``self_check_form``: recipient types, the
measures' own conditions, amounts per base, tier choices, counts, areas, months, previous-year
values, received amounts, LPR), the answers (``Answers``), and each measure's conditions as
met / not met / unknown / 待评审 with its amount (``check``). Everything comes from the rules read
from the clause text; nothing here knows any particular policy. Amounts come only from
``calculator``; the report is rendered by ``report``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from assistant.amounts import format_yuan
from assistant.calculator import Claim, calculate_claims
from assistant.errors import AmountError
from assistant.types import Calculation, Rule, RuleKind

YES_NO = ("是", "否", "不确定")
NOT_APPLICABLE = "不适用"


@dataclass(frozen=True)
class Question:
    """One input of the self-check. ``key`` is stable: ``subject:<recipient>``, ``base:<base>``,
    ``condition:<rule id>:<n>``, ``tier:<tier label>``, ``units:<rule id>`` …"""

    key: str
    kind: str  # "yes_no" | "amount" | "choice" | "number" | "percent"
    label: str
    options: tuple[str, ...] = ()
    rule_ids: tuple[str, ...] = ()
    unit: str = ""

    def to_dict(self) -> dict:
        return {"key": self.key, "kind": self.kind, "label": self.label, "options": list(self.options),
                "rule_ids": list(self.rule_ids), "unit": self.unit}


@dataclass(frozen=True)
class CheckForm:
    doc_id: str
    title: str
    questions: tuple[Question, ...]

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    def to_dict(self) -> dict:
        return {"doc_id": self.doc_id, "title": self.title, "questions": [q.to_dict() for q in self.questions]}


@dataclass(frozen=True)
class Answers:
    """What the user filled in, by question key: True/False/None, Decimal (yuan or a rate), str (a tier), int.
    ``shown`` keeps each answer as typed, for the report; ``notes`` says which unit was assumed."""

    values: dict = field(default_factory=dict)
    shown: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def get(self, key: str):
        return self.values.get(key)


@dataclass(frozen=True)
class MeasureResult:
    rule: Rule
    status: str  # "eligible" (every condition met) | "review" (met, the department still decides) | "unknown" | "not_eligible"
    conditions: tuple[tuple[str, str], ...]  # (condition, met/not_met/unknown/review)
    calculation: Calculation | None
    departments: tuple[str, ...]
    missing: tuple[str, ...] = ()  # facts still needed to compute the amount

    @property
    def is_upper_bound(self) -> bool:
        return bool(self.calculation and self.calculation.is_upper_bound) or self.rule.upper_bound or self.status == "review"

    @property
    def counted(self) -> bool:
        """In the total: conditions met (or met but for the department's review), an amount, and not a bare ceiling."""
        return (self.status in ("eligible", "review") and self.calculation is not None and self.calculation.eligible
                and self.rule.kind is not RuleKind.CAP_ONLY)

    def amount_text(self, not_eligible: str = "0元") -> str:
        """The amount as shown to a person: 需补充…, the zero of an unmet condition, or 最高…/…（上限）/（未计入合计）."""
        calc = self.calculation
        if calc is None:
            return "需补充：" + "、".join(self.missing) if self.missing else "—"
        if self.status == "not_eligible":
            return not_eligible
        amount = ("最高" if self.rule.kind is RuleKind.CAP_ONLY else "") + format_yuan(calc.amount_yuan) + ("（上限）" if self.is_upper_bound else "")
        return amount + ("" if self.counted else "（未计入合计）")

    def to_dict(self) -> dict:
        return {"rule_id": self.rule.id, "clause_id": self.rule.clause_id, "name": self.rule.name, "status": self.status,
                "conditions": [{"condition": c, "status": s} for c, s in self.conditions],
                "calculation": self.calculation.to_dict() if self.calculation else None,
                "amount_yuan": self.calculation.amount_yuan if self.calculation else None,
                "is_upper_bound": self.is_upper_bound, "counted": self.counted, "missing": list(self.missing),
                "departments": list(self.departments), "notes": list(self.rule.notes)}


# ---------------------------------------------------------------- the form


def self_check_form(corpus, doc_id: str) -> CheckForm:
    """The questions one document's measures raise, in the order of its clauses, each asked once."""
    doc = corpus.document(doc_id)
    qs: dict[str, Question] = {}
    for r in _rules_of(corpus, doc.id):
        for q in rule_questions(r, corpus):
            old = qs.get(q.key)
            if old is None:
                qs[q.key] = q
            else:  # a shared question (one recipient, one base, one tier label): one input, every rule it serves
                options = old.options + tuple(o for o in q.options if o not in old.options)
                if q.kind == "choice":
                    options = tuple(o for o in options if o != NOT_APPLICABLE) + (NOT_APPLICABLE,)
                qs[q.key] = Question(old.key, old.kind, old.label, options, old.rule_ids + q.rule_ids, old.unit)
    order = {"yes_no": 0, "choice": 1, "amount": 2, "number": 3, "percent": 4}
    out = sorted(qs.values(), key=lambda q: -1 if q.key.startswith("subject:") else order[q.kind])
    return CheckForm(doc.id, doc.full_title, tuple(out))


def rule_form(rule: Rule, corpus) -> CheckForm:
    """The questions of one measure only (the calculator shows just these inputs)."""
    doc = corpus.document_of(corpus.get(rule.clause_id))
    return CheckForm(doc.id, doc.full_title, tuple(rule_questions(rule, corpus)))


def rule_questions(rule: Rule, corpus) -> list[Question]:
    """What one rule needs to know: its recipient type, its own conditions, the amounts, tier, counts, area,
    months, previous-year value, amount received and LPR its calculation takes."""
    from assistant.route import specific_subject

    r, ids = rule, (rule.id,)
    out: list[Question] = []
    if specific_subject(r.subject):
        out.append(Question(f"subject:{r.subject}", "yes_no", f"是否属于{r.subject}", YES_NO, ids))
    for i, text in _own_conditions(r, corpus):
        out.append(Question(f"condition:{r.id}:{i}", "yes_no", text, YES_NO, ids))
    if r.tiers and not all(t.threshold for t in r.tiers):
        label = r.tier_label or "级别"
        out.append(Question(f"tier:{label}", "choice", label, tuple(t.key for t in r.tiers) + (NOT_APPLICABLE,), ids))
    if r.kind in (RuleKind.RATE, RuleKind.MARGINAL, RuleKind.INTEREST) and r.base:
        key = r.base_key or r.base
        out.append(Question(f"base:{key}", "amount", key, (), ids, "元"))
        if r.increment:
            out.append(Question(f"previous:{key}", "amount", f"上年{key}", (), ids, "元"))
    for t in r.thresholds:
        if t.unit == "元" and t.measure and r.base and not any(b and b in t.measure for b in (r.base, r.base_key)):
            out.append(Question(f"measure:{t.measure}", "amount", t.measure, (), ids, "元"))
        elif t.unit != "元":
            out.append(Question(f"count:{t.measure or r.id}", "number", f"{t.measure or '数量'}（{t.unit}）", (), ids, t.unit))
    if r.per_unit:
        unit = r.per_unit.unit
        if unit == "平方米":
            out.append(Question(f"area:{r.id}", "number", f"{r.name}：面积（平方米）", (), ids, "平方米"))
        elif unit:
            out.append(Question(f"units:{r.id}", "number", f"{r.name}：数量（{unit}）", (), ids, unit))
        if r.per_unit.period:
            out.append(Question(f"periods:{r.id}", "number", f"{r.name}：期限（{r.per_unit.period}）", (), ids, r.per_unit.period))
    if r.top_up:
        out.append(Question(f"received:{r.id}", "amount", f"{r.name}：已获得的金额", (), ids, "元"))
    if r.kind is RuleKind.INTEREST and r.interest_basis == "LPR":
        out.append(Question("lpr", "percent", "贷款市场报价利率（LPR）", (), ids, "%"))
    return out


def parse_answers(form: CheckForm, raw: dict) -> Answers:
    """Typed answers from form input: 是/否/不确定 (or booleans), amounts as typed (``80万元``; a bare ``60``
    is read as 60万元 and said so), tier names, counts. Unknown keys raise ``AmountError``."""
    from assistant.amounts import format_yuan, parse_money_input, parse_percent

    values: dict = {}
    shown: dict = {}
    notes: list[str] = []
    for key, v in raw.items():
        q = form.question(key)
        if q is None:
            raise AmountError(key, "不是本文件自测表中的项目")
        if v is None or (isinstance(v, str) and not v.strip()):
            continue
        if q.kind == "yes_no":
            b = v if isinstance(v, bool) else {"是": True, "否": False}.get(str(v).strip())
            values[key], shown[key] = b, {True: "是", False: "否", None: "不确定"}[b]
        elif q.kind == "amount":
            value, note = parse_money_input(str(v))
            values[key] = value
            shown[key] = str(v).strip() + (f"（未写单位，按{format_yuan(value)}计）" if note else "")
            if note:
                notes.append(f"{q.label}：{note}")
        elif q.kind == "choice":
            if str(v) not in q.options:
                raise AmountError(str(v), f"可选：{'、'.join(q.options)}")
            values[key], shown[key] = (None if v == NOT_APPLICABLE else str(v)), str(v)
        elif q.kind == "percent":
            values[key], shown[key] = parse_percent(str(v) if "%" in str(v) or "％" in str(v) else f"{v}%"), str(v)
        else:
            try:
                n = Decimal(str(v).strip())
            except ArithmeticError:
                raise AmountError(str(v), "请输入数字") from None
            if n < 0:
                raise AmountError(str(v), "不能为负数")
            values[key], shown[key] = n, str(v).strip()
    return Answers(values, shown, tuple(notes))


# ---------------------------------------------------------------- evaluation


def check(form: CheckForm, answers: Answers, corpus) -> list[MeasureResult]:
    """Every measure of the document the answers touch, best standing first."""
    results = []
    for r in _rules_of(corpus, form.doc_id):
        m = _check_rule(r, form, answers, corpus)
        if m is not None:
            results.append(m)
    order = {"eligible": 0, "review": 1, "unknown": 2, "not_eligible": 3}
    return sorted(results, key=lambda m: order[m.status])


def total_yuan(results: list[MeasureResult]) -> int:
    """Sum of the counted measures (bare ceilings of review-decided awards are not summed)."""
    return sum(m.calculation.amount_yuan for m in results if m.counted)


def total_is_upper_bound(results: list[MeasureResult]) -> bool:
    return any(m.is_upper_bound for m in results if m.counted)


def check_rule(rule: Rule, a: Answers, corpus, *, always: bool = False) -> MeasureResult | None:
    """One measure against the answers; None when nothing answered touches it (unless ``always``)."""
    return _check_rule(rule, rule_form(rule, corpus), a, corpus, always=always)


def _check_rule(rule: Rule, form: CheckForm, a: Answers, corpus, always: bool = False) -> MeasureResult | None:
    from assistant.errors import MissingFactError
    from assistant.route import specific_subject

    clause = corpus.get(rule.clause_id)
    conds: list[tuple[str, str]] = []
    touched = False
    if specific_subject(rule.subject):
        v = a.get(f"subject:{rule.subject}")
        conds.append((f"申请主体为{rule.subject}", _mark(v)))
        touched |= v is True
    for i, text in _own_conditions(rule, corpus):
        v = a.get(f"condition:{rule.id}:{i}")
        conds.append((text, _mark(v)))
        touched |= v is True
    kw: dict = {}
    base_key = rule.base_key or rule.base
    if rule.kind in (RuleKind.RATE, RuleKind.MARGINAL, RuleKind.INTEREST) and base_key and a.get(f"base:{base_key}") is not None:
        kw["base"] = a.get(f"base:{base_key}")
        if rule.increment and a.get(f"previous:{base_key}") is not None:
            kw["previous"] = a.get(f"previous:{base_key}")
    counts = []
    for t in rule.thresholds:
        if t.unit == "元" and a.get(f"measure:{t.measure}") is not None:
            kw["measure"] = a.get(f"measure:{t.measure}")
        elif t.unit != "元" and a.get(f"count:{t.measure or rule.id}") is not None:
            counts.append((f"{t.measure}|{t.unit}", int(a.get(f"count:{t.measure or rule.id}"))))
    if counts:
        kw["counts"] = tuple(counts)
    tier = a.get(f"tier:{rule.tier_label or '级别'}") if rule.tiers else None
    if tier is not None and tier in {t.key for t in rule.tiers}:
        kw["level"] = tier
    for key, name in ((f"units:{rule.id}", "count"), (f"area:{rule.id}", "area"), (f"periods:{rule.id}", "periods"),
                      (f"received:{rule.id}", "received"), ("lpr", "rate_ref")):
        v = a.get(key)
        if v is not None:
            kw[name] = int(v) if name in ("count", "periods") else v
    touched |= any(k in kw for k in ("base", "level", "count", "area", "counts"))
    if not touched and not always:
        return None
    if rule.tiers and form.question(f"tier:{rule.tier_label or '级别'}") is not None and "level" not in kw:
        state = "not_met" if a.get(f"tier:{rule.tier_label or '级别'}") is None and f"tier:{rule.tier_label or '级别'}" in a.shown else "unknown"
        conds.append((f"{rule.tier_label or '级别'}：{'、'.join(t.key for t in rule.tiers)}", state))
    calc = None
    missing: list[str] = []
    try:
        calc = calculate_claims([Claim(rule, **kw)])[0]
    except MissingFactError as err:
        missing.append(err.need)
    except AmountError as err:
        missing.append(err.message)
    if calc is not None:
        for t in rule.thresholds:
            conds.append((f"{t.measure}{t.text}", "met" if calc.eligible else "not_met"))
    for phrase in _review_phrases(rule, corpus):
        if not any(phrase in c or c in phrase for c, _ in conds if c != f"申请主体为{rule.subject}"):
            conds.append((phrase, "review"))
        else:
            conds = [(c, "review" if (phrase in c or c in phrase) and s != "not_met" else s) for c, s in conds]
    states = {s for _, s in conds}
    if "not_met" in states:
        status = "not_eligible"
    elif "unknown" in states:
        status = "unknown"
    elif "review" in states:
        status = "review"
    else:
        status = "eligible"
    if status == "not_eligible" and calc is not None and calc.amount_yuan:
        from dataclasses import replace

        calc = replace(calc, amount_yuan=0, eligible=False)
    if status == "review" and calc is not None and not calc.is_upper_bound:
        from dataclasses import replace

        calc = replace(calc, is_upper_bound=True)
    return MeasureResult(rule, status, tuple(conds), calc, clause.departments, tuple(missing))


def _rules_of(corpus, doc_id: str) -> list[Rule]:
    return [r for r in corpus.rules if corpus.get(r.clause_id).doc_id == doc_id]


def _review_phrases(rule: Rule, corpus) -> list[str]:
    """Conditions only the department decides (遴选, 评审, 示范效应明显 …), from the clause and the rule's own conditions."""
    from assistant.route import _REVIEW, review_conditions

    found = review_conditions(rule, corpus.get(rule.clause_id).text)
    for raw in rule.conditions:
        text = _condition_text(raw)
        if _REVIEW.search(text) and not any(text in p or p.removeprefix("对") in text for p in found):
            found.append(text)
    return found


def _condition_text(raw: str) -> str:
    return raw.strip("，。；、 ").removeprefix("对").removesuffix("的")


_PURPOSE = ("支持", "鼓励", "推动", "引导", "促进", "加快")  # "支持企业开发并推广…": the policy's aim, not a condition


def _own_conditions(rule: Rule, corpus) -> list[tuple[int, str]]:
    """The rule's condition phrases a user can answer with yes/no: not a restated recipient, not a statement of the
    policy's aim, not a threshold the calculator checks from amounts, not a phrase only the department decides."""
    from assistant.route import specific_subject

    reviews = _review_phrases(rule, corpus)
    out = []
    for i, raw in enumerate(rule.conditions, 1):
        text = _condition_text(raw)
        if not text or (text.endswith(rule.subject) and len(text) - len(rule.subject) < 4) or text.startswith(_PURPOSE) \
                or "：" in text or text.endswith("基础上"):  # list lead-ins and "在享受前款补助的基础上" are not conditions
            continue
        if any(t.text in text for t in rule.thresholds):
            continue
        if any(text in p or p.removeprefix("对") in text for p in reviews):
            continue
        if rule.subject and text.endswith(rule.subject) and specific_subject(rule.subject):
            continue  # "开展…业务的<recipient>" restates the recipient the subject question asks about
        out.append((i, text))
    return out


def _mark(v) -> str:
    return "met" if v is True else ("not_met" if v is False else "unknown")
