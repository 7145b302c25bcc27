"""Plain-dict views of records for JSON output (CLI ``--json``, REST API) and rule picking.

Owns the JSON shape of clauses and rules. Does not format for terminals.
"""

from __future__ import annotations

from assistant.amounts import format_yuan
from assistant.errors import UnknownRuleError
from assistant.types import Rule, RuleKind

KIND_LABELS = {k: k.label for k in RuleKind}


def _q(q) -> str | None:
    return q.text if q is not None else None


def rule_summary(r: Rule) -> str:
    """The standard of a rule in one Chinese line, built only from the clause's own figures.

    e.g. ``按设备投资额的8%；条件：设备投资额达到500万元及以上；上限：单个项目300万元``.
    """
    parts: list[str] = []
    if r.kind is RuleKind.MARGINAL:
        parts.append(f"按{r.base}分段：" + "，".join(b.text for b in r.brackets))
    elif r.kind is RuleKind.INTEREST:
        parts.append(f"按贷款市场报价利率（LPR）的{r.rate.text}贴息")
    elif r.rate is not None:
        inc = "较上年增长部分" if r.increment else ""
        parts.append(f"按{r.base}{inc}的{'不超过' if r.rate_is_max else ''}{r.rate.text}")
    if r.tiers:
        parts.append("、".join(f"{t.key}{(t.amount or t.rate).text}" for t in r.tiers if (t.amount or t.rate)))
    if r.fixed is not None:
        per = ""
        if r.per_unit:
            per = ("每" + r.per_unit.unit if r.per_unit.unit else "") + ("每" + r.per_unit.period if r.per_unit.period else "")
        elif r.schedule and r.schedule.per_year:
            per = "每年"
        parts.append(f"{per}{r.fixed.text}" + ("（按差额补足）" if r.top_up else ""))
    if r.per_unit:
        if r.per_unit.max_units:
            parts.append(f"数量/面积上限{r.per_unit.max_units.text}")
        if r.per_unit.max_periods:
            parts.append(f"最长{r.per_unit.max_periods.text}")
    if r.thresholds:
        parts.append("条件：" + "；".join(f"{t.measure}{t.text}" for t in r.thresholds))
    if r.caps:
        parts.append("上限：" + "；".join(f"{c.text}{'最高' if not c.text.endswith('最高') else ''}{c.amount.text}" for c in r.caps))
    if r.base_limit is not None:
        parts.append(f"计算基数不超过{r.base_limit.text}")
    if r.schedule and (r.schedule.text or r.schedule.ratios):
        parts.append(r.schedule.text or f"按{':'.join(map(str, r.schedule.ratios))}拨付")
    if r.upper_bound:
        parts.append("为可获得的上限")
    return "；".join(p for p in parts if p)


def rule_dict(r: Rule) -> dict:
    return {
        "rule_id": r.id,
        "clause_id": r.clause_id,
        "kind": r.kind.value,
        "kind_label": r.kind.label,
        "name": r.name,
        "summary": rule_summary(r),
        "subject": r.subject,
        "conditions": list(r.conditions),
        "base": r.base,
        "base_key": r.base_key,
        "increment": r.increment,
        "rate": str(r.rate.value) if r.rate else None,
        "rate_text": _q(r.rate),
        "rate_is_max": r.rate_is_max,
        "brackets": [{"lower_yuan": int(b.lower), "upper_yuan": int(b.upper) if b.upper is not None else None,
                      "rate": str(b.rate.value), "text": b.text} for b in r.brackets],
        "cap_yuan": int(r.cap.value) if r.cap else None,
        "cap_text": _q(r.cap),
        "caps": [{"amount_yuan": int(c.amount.value), "text": c.amount.text, "scope": c.scope.value, "scope_text": c.text} for c in r.caps],
        "cap_scope": r.cap_scope,
        "cap_aggregates": r.cap_aggregates,
        "threshold": {
            "measure": r.threshold.measure,
            "comparator": r.threshold.comparator.value,
            "amount_yuan": int(r.threshold.amount.value),
            "text": r.threshold.text,
        } if r.threshold else None,
        "thresholds": [{"measure": t.measure, "comparator": t.comparator.value, "value": str(t.amount.value), "unit": t.unit,
                        "text": t.text, "first_time": t.first_time} for t in r.thresholds],
        "fixed_yuan": int(r.fixed.value) if r.fixed else None,
        "fixed_text": format_yuan(r.fixed.value) if r.fixed else "",
        "tiers": [{"level": t.key, "amount_yuan": int(t.amount.value) if t.amount else None, "rate": str(t.rate.value) if t.rate else None,
                   "threshold_yuan": int(t.threshold.value) if t.threshold else None, "text": (t.amount or t.rate).text if (t.amount or t.rate) else ""}
                  for t in r.tiers],
        "tier_label": r.tier_label,
        "per_unit": {"unit": r.per_unit.unit, "period": r.per_unit.period, "max_units": _q(r.per_unit.max_units),
                     "max_periods": _q(r.per_unit.max_periods)} if r.per_unit else None,
        "interest_basis": r.interest_basis or None,
        "schedule": {"years": r.schedule.years, "per_year": r.schedule.per_year, "ratios": list(r.schedule.ratios),
                     "text": r.schedule.text} if r.schedule else None,
        "period": r.period,
        "years": r.years,
        "base_limit_text": _q(r.base_limit),
        "top_up": r.top_up,
        "upper_bound": r.upper_bound,
        "notes": list(r.notes),
        "segment": r.segment,
        "source": r.source,
    }


def pick_rule(corpus, *, clause: str | None, rule_id: str | None, has_base: bool) -> Rule:
    """The rule a calculation refers to: by rule id, or the clause's only (base-taking) rule."""
    if rule_id:
        rule = corpus.rule(rule_id.strip())
        if rule is None:
            raise UnknownRuleError(rule_id, "请检查规则编号（如 1.3-2），或改用条款编号")
        return rule
    if not clause:
        raise UnknownRuleError("", "请指定条款编号（如 1.3）或规则编号（如 1.3-2）")
    c = corpus.get(clause)
    rules = corpus.rules_for(c.id)
    if not rules:
        reason = next((n.reason for n in corpus.non_computable if n.clause_id == c.id), "该条款没有金额标准")
        raise UnknownRuleError(c.id, reason)
    if len(rules) == 1:
        return rules[0]
    wanted = [r for r in rules if (r.kind is RuleKind.RATE) == has_base]
    if len(wanted) == 1:
        return wanted[0]
    options = "；".join(f"{r.id} {r.name}" for r in rules)
    raise UnknownRuleError(c.id, f"该条款有多条规则，请指定规则编号：{options}")


def coverage_line(corpus, doc_id: str) -> str:
    """``17 个含金额条款：14 条可计算，3 条需人工核对：p2:1.2、p2:4.1、p2:7.3``."""
    from assistant.types import Coverage

    rows = [(c, cov) for c, cov, _, _ in corpus.coverage(doc_id) if cov is not Coverage.NONE]
    computable = [c.id for c, cov in rows if cov is Coverage.COMPUTABLE]
    review = [c.id for c, cov in rows if cov is Coverage.REVIEW]
    no_figure = [c.id for c, cov in rows if cov is Coverage.NO_FIGURE]
    line = f"{len(rows)} 个含金额或奖补的条款：{len(computable)} 条可计算"
    if review:
        line += f"，{len(review)} 条需人工核对：{'、'.join(review)}"
    if no_figure:
        line += f"；{len(no_figure)} 条未写明金额（以实施细则为准）"
    return line


def coverage_report(corpus, doc_id: str) -> dict:
    """One document's rule coverage for the admin page and API: the summary line and every clause with money or an award."""
    from assistant.types import Coverage

    doc = next((d for d in corpus.documents if d.id == doc_id), None)
    if doc is None:
        from assistant.errors import UnknownDocumentError

        raise UnknownDocumentError(doc_id)
    rows = [{"clause_id": c.id, "coverage": cov.value, "label": cov.label, "reason": reason, "text": c.text,
             "rules": [{"id": r.id, "name": r.name, "kind": r.kind.label, "standard": rule_summary(r), "source": r.source} for r in rules]}
            for c, cov, rules, reason in corpus.coverage(doc_id) if cov is not Coverage.NONE]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["coverage"]] = counts.get(r["coverage"], 0) + 1
    return {"id": doc.id, "title": doc.full_title, "status_label": doc.status.label, "summary": coverage_line(corpus, doc_id),
            "counts": counts, "clauses": rows}


def calculation_dict(c) -> dict:
    return {"clause_id": c.clause_id, "rule_id": c.rule_id, "inputs": c.inputs, "formula": c.formula, "amount_yuan": c.amount_yuan,
            "capped": c.capped, "eligible": c.eligible, "reason": c.reason, "is_upper_bound": c.is_upper_bound}


def block_dict(b) -> dict:
    return {"clause_id": b.clause_id, "doc_id": b.doc_id, "rule_id": b.rule_id, "name": b.name, "status": b.status.value,
            "amount_yuan": b.amount_yuan, "is_upper_bound": b.is_upper_bound, "if": b.if_text, "formula": b.formula,
            "conditions": [c.to_dict() for c in b.conditions], "departments": list(b.departments), "standard": b.standard,
            "note": b.note, "also": list(b.also)}


def answer_dict(a) -> dict:
    """The one JSON shape of an answer (CLI ``--json``, REST API, web app)."""
    return {
        "question": a.question,
        "summary": a.summary,
        "answer": a.answer,
        "refused": a.refused,
        "scope": a.scope,
        "blocks": [block_dict(b) for b in a.blocks],
        "citations": [c.to_dict() for c in a.citations],
        "calculations": [calculation_dict(c) for c in a.calculations],
        "total_yuan": a.total_yuan,
        "total_is_upper_bound": a.total_is_upper_bound,
        "conditions": [c.to_dict() for c in a.conditions],
        "notes": list(a.notes),
        "asks": list(a.asks),
        "quick_replies": list(a.quick_replies),
        "documents": list(a.documents),
        "degraded": a.degraded,
        "llm": a.llm,
        "llm_findings": [f.to_dict() if hasattr(f, "to_dict") else f for f in a.llm_findings],
        "conversation_id": a.conversation_id,
    }
