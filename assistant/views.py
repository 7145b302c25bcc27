"""Plain-dict views of records for JSON output (CLI ``--json``, REST API) and rule picking.

Owns the JSON shape of clauses and rules. Does not format for terminals.
"""

from __future__ import annotations

from assistant.amounts import format_yuan
from assistant.errors import UnknownRuleError
from assistant.types import Rule, RuleKind

KIND_LABELS = {RuleKind.RATE: "按比例", RuleKind.FIXED: "固定金额", RuleKind.TIERED: "分级固定", RuleKind.CAP_ONLY: "仅有上限"}


def rule_dict(r: Rule) -> dict:
    return {
        "rule_id": r.id,
        "clause_id": r.clause_id,
        "kind": r.kind.value,
        "kind_label": KIND_LABELS[r.kind],
        "name": r.name,
        "subject": r.subject,
        "conditions": list(r.conditions),
        "base": r.base,
        "base_key": r.base_key,
        "rate": str(r.rate.value) if r.rate else None,
        "rate_text": r.rate.text if r.rate else None,
        "rate_is_max": r.rate_is_max,
        "cap_yuan": int(r.cap.value) if r.cap else None,
        "cap_text": r.cap.text if r.cap else None,
        "cap_scope": r.cap_scope,
        "cap_aggregates": r.cap_aggregates,
        "threshold": {
            "measure": r.threshold.measure,
            "comparator": r.threshold.comparator.value,
            "amount_yuan": int(r.threshold.amount.value),
            "text": r.threshold.text,
        } if r.threshold else None,
        "fixed_yuan": int(r.fixed.value) if r.fixed else None,
        "fixed_text": format_yuan(r.fixed.value) if r.fixed else "",
        "tiers": [{"level": lvl, "amount_yuan": int(q.value), "text": q.text} for lvl, q in r.tiers],
        "period": r.period,
        "years": r.years,
        "base_limit_text": r.base_limit.text if r.base_limit else None,
        "notes": list(r.notes),
        "segment": r.segment,
    }


def pick_rule(corpus, *, clause: str | None, rule_id: str | None, has_base: bool) -> Rule:
    """The rule a calculation refers to: by rule id, or the clause's only (base-taking) rule."""
    if rule_id:
        rule = corpus.rule(rule_id.strip())
        if rule is None:
            raise UnknownRuleError(rule_id, "可用 policy-assistant rules 查看全部规则编号")
        return rule
    if not clause:
        raise UnknownRuleError("", "请用 --clause 指定条款编号（如 1.3）或 --rule 指定规则编号（如 1.3-2）")
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
    raise UnknownRuleError(c.id, f"该条款有多条规则，请用 --rule 指定：{options}")
