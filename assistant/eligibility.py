"""资格自测: an enterprise profile → every applicable measure with its conditions and amounts.

Owns: the profile record (amounts per base, yes/no/unknown facts), matching it against the
rule table (amounts by ``base_key``; yes/no facts by the words of each rule's own
conditions), and the Markdown report. Amounts come only from ``calculator``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from assistant.amounts import format_yuan
from assistant.calculator import Claim, calculate_claims
from assistant.corpus import Corpus
from assistant.types import Calculation, Rule, RuleKind

# Yes/no facts of a profile → words that identify the rules they unlock (matched in the rule's own text).
FLAGS: dict[str, tuple[str, tuple[str, ...]]] = {
    "first_listing": ("首次在数据流通交易平台取得数据资产登记证书并挂牌", ("挂牌",)),
    "open_source": ("入选武汉市优秀开源软件项目", ("开源软件项目",)),
    "lead_vertical_model": ("作为牵头研发单位研发垂直行业模型", ("牵头研发单位",)),
    "tech_data_merchant": ("从事数据采集、清洗、标注、测试等业务（技术型数商）", ("技术型数商",)),
    "third_party_service": ("从事合规认证、质量评价、资产评估等业务的第三方数据服务机构", ("第三方数据服务机构",)),
    "smart_factory": ("首次获批卓越级或领航级智能工厂", ("智能工厂",)),
    "dataset_project": ("完成高质量数据集建设专项并通过评审", ("专项建设",)),
    "opc": ("人工智能领域人才在汉创办的OPC初创企业", ("初创企业",)),
    "first_of_kind": ("首台重大技术装备、首批次新材料、首版次软件、首轮次工程流片芯片项目", ("首版次",)),
}
SUBJECT_FLAGS = {"中小企业": "is_sme", "牵头研发单位": "lead_vertical_model", "技术型数商": "tech_data_merchant",
                 "第三方数据服务机构": "third_party_service"}


@dataclass(frozen=True)
class Profile:
    amounts: dict[str, Decimal] = field(default_factory=dict)  # base_key → yuan
    facts: dict[str, bool | None] = field(default_factory=dict)  # "is_sme", flags above
    level: str | None = None  # 国家级 / 省级 for tiered awards


@dataclass(frozen=True)
class MeasureResult:
    rule: Rule
    status: str  # "eligible" | "not_eligible" | "unknown"
    conditions: tuple[tuple[str, str], ...]  # (condition, met/not_met/unknown)
    calculation: Calculation | None
    departments: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"rule_id": self.rule.id, "clause_id": self.rule.clause_id, "name": self.rule.name, "status": self.status,
                "conditions": [{"condition": c, "status": s} for c, s in self.conditions],
                "calculation": self.calculation.to_dict() if self.calculation else None,
                "cap_text": self.rule.cap.text if self.rule.cap else None, "departments": list(self.departments),
                "notes": list(self.rule.notes)}


def check(profile: Profile, corpus: Corpus) -> list[MeasureResult]:
    results = []
    for rule in corpus.rules:
        r = _check_rule(rule, profile, corpus)
        if r is not None:
            results.append(r)
    order = {"eligible": 0, "unknown": 1, "not_eligible": 2}
    return sorted(results, key=lambda m: order[m.status])


def total_yuan(results: list[MeasureResult]) -> int:
    """Sum over eligible measures with a computed amount; ceilings of review-decided awards excluded."""
    return sum(m.calculation.amount_yuan for m in results
               if m.calculation and m.status == "eligible" and m.rule.kind is not RuleKind.CAP_ONLY)


def _check_rule(rule: Rule, p: Profile, corpus: Corpus) -> MeasureResult | None:
    depts = corpus.get(rule.clause_id).departments
    conds: list[tuple[str, str]] = []
    status = "eligible"
    subject_flag = SUBJECT_FLAGS.get(rule.subject)
    relevant = False
    if subject_flag:
        v = p.facts.get(subject_flag)
        conds.append((f"申请主体为{rule.subject}", _s(v)))
        status = _worse(status, v)
        relevant = relevant or v is True
    for flag, (label, words) in FLAGS.items():
        if flag == subject_flag or not any(w in rule.segment for w in words):
            continue
        v = p.facts.get(flag)
        conds.append((label, _s(v)))
        status = _worse(status, v)
        relevant = relevant or v is True
    calc = None
    if rule.kind is RuleKind.RATE:
        base = p.amounts.get(rule.base_key or "")
        if base is None:
            return None if not relevant else MeasureResult(rule, "unknown", tuple(conds) + ((f"提供{rule.base}金额", "unknown"),), None, depts)
        relevant = True
        calc = calculate_claims([Claim(rule, base)])[0]
        if rule.threshold:
            conds.append((f"{rule.threshold.measure}{rule.threshold.text}", "met" if calc.eligible else "not_met"))
            if not calc.eligible:
                status = "not_eligible"
    elif rule.kind is RuleKind.TIERED:
        if not relevant and p.level is None:
            return None
        if p.level in {t.key for t in rule.tiers}:
            calc = calculate_claims([Claim(rule, level=p.level)])[0]
        else:
            status = _worse(status, None)
    else:
        if not relevant:
            return None
        calc = calculate_claims([Claim(rule)])[0]
    if status == "not_eligible" and calc is not None:
        from dataclasses import replace

        calc = replace(calc, amount_yuan=0, eligible=False)
    return MeasureResult(rule, status, tuple(conds), calc, depts)


def _s(v: bool | None) -> str:
    return "met" if v is True else ("not_met" if v is False else "unknown")


def _worse(status: str, v: bool | None) -> str:
    if v is False or status == "not_eligible":
        return "not_eligible"
    if v is None or status == "unknown":
        return "unknown"
    return status


def report_markdown(results: list[MeasureResult], corpus: Corpus, profile: Profile) -> str:
    doc = corpus.documents[0]
    lines = ["# 政策资格自测报告", "", f"依据：{doc.full_title}（{doc.status.label}）", ""]
    if profile.amounts:
        lines.append("## 填报信息")
        for k, v in profile.amounts.items():
            lines.append(f"- {k}：{format_yuan(v)}")
        lines.append("")
    lines += ["## 适用措施", "", "| 措施 | 条款 | 结论 | 测算 | 金额 | 责任单位 |", "|---|---|---|---|---|---|"]
    label = {"eligible": "符合", "not_eligible": "不符合", "unknown": "待确认"}
    for m in results:
        calc = m.calculation
        amount = "—"
        if calc:
            amount = f"最高{format_yuan(calc.amount_yuan)}" if calc.is_upper_bound and m.rule.kind is RuleKind.CAP_ONLY else f"{format_yuan(calc.amount_yuan)}"
        lines.append(f"| {m.rule.name} | {m.rule.clause_id} | {label[m.status]} | {calc.formula if calc else '—'} | {amount} | {'、'.join(m.departments)} |")
    lines += ["", f"**符合条件的测算合计：{format_yuan(total_yuan(results))}（{total_yuan(results)}元）**（不含仅规定上限、需评审确定金额的措施）", "",
              "## 条件明细"]
    mark = {"met": "✓", "not_met": "✗", "unknown": "？"}
    for m in results:
        if m.conditions:
            lines.append(f"- [{m.rule.clause_id}] {m.rule.name}：" + "；".join(f"{mark[s]} {c}" for c, s in m.conditions))
    lines += ["", "## 说明"]
    if doc.dates_note():
        lines.append(f"- {doc.dates_note()}")
    lines.append("- 同一事项符合多项政策的，按照“就高不重复”的原则执行；实际金额以责任单位实施细则和审核结果为准。")
    notes = {n for m in results for n in m.rule.notes}
    lines += [f"- {n}" for n in sorted(notes)]
    return "\n".join(lines) + "\n"
