import re
from decimal import Decimal

from assistant.amounts import parse_amount
from assistant.rules import analyse_clause, extract_rules
from assistant.types import Comparator, RuleKind


def test_every_rule_number_appears_in_its_clause(corpus):
    for rule in corpus.rules:
        text = corpus.get(rule.clause_id).text
        assert rule.segment in text.rstrip("。").replace("，", "，") or all(p in text for p in rule.segment.split("，"))
        for q in rule.numbers():
            assert q.text in text, (rule.id, q.text)
            digits = re.search(r"\d+(?:\.\d+)?", q.text).group()
            assert digits in text
            if q.text.endswith(("%", "％")):
                assert q.value == Decimal(digits) / 100
            else:
                assert q.value == parse_amount(digits + "万元"), (rule.id, q.text)


def test_every_money_clause_is_covered_or_listed_as_non_computable(corpus):
    covered = {r.clause_id for r in corpus.rules}
    listed = {n.clause_id for n in corpus.non_computable}
    for c in corpus.clauses:
        if "万元" in c.text or "%" in c.text or "％" in c.text:
            assert (c.id in covered) != (c.id in listed), c.id
    assert all(n.reason for n in corpus.non_computable)


def test_the_sidecar_gives_the_reading_of_4_1(corpus):
    nc = {n.clause_id: n for n in corpus.non_computable}
    assert "不是对企业的补贴标准" in nc["4.1"].reason
    assert analyse_clause(corpus.get("4.1")).coverage.value == "review"  # the text alone: needs review, never a rule


def test_rule_count_and_kinds(corpus):
    kinds = [r.kind for r in corpus.rules]
    assert len(corpus.rules) == 22
    assert kinds.count(RuleKind.RATE) == 10
    assert kinds.count(RuleKind.CAP_ONLY) == 7 and kinds.count(RuleKind.FIXED) == 4 and kinds.count(RuleKind.TIERED) == 1


def test_threshold_comparators_follow_the_wording(rules_by_id):
    assert rules_by_id["1.3-2"].threshold.comparator is Comparator.GE  # 达…及以上
    assert rules_by_id["2.3-1"].threshold.comparator is Comparator.GT  # 超过
    assert rules_by_id["2.3-2"].threshold.comparator is Comparator.GT  # 超


def test_full_width_percent_is_read(rules_by_id):
    r = rules_by_id["6.3-1"]
    assert r.rate.text == "50％" and r.rate.value == Decimal("0.5") and r.rate_is_max


def test_bases_and_subjects(rules_by_id):
    expect = {"1.3-2": ("数据交易额", "数据供方企业"), "3.4-1": ("算力服务费用", "中小企业"),
              "3.5-1": ("算力服务费用", "牵头研发单位"), "6.2-1": ("研发成本", "牵头研发单位"),
              "6.3-1": ("模型采购费用", "企业"), "2.2-1": ("项目总投入", None), "10.3-1": ("贷款本金损失", None)}
    for rid, (base, subject) in expect.items():
        assert rules_by_id[rid].base_key == base
        if subject:
            assert rules_by_id[rid].subject == subject
    assert rules_by_id["8.2-1"].subject == "运营主体"
    assert rules_by_id["8.1-1"].subject == "所在区"


def test_caps_and_periods(rules_by_id):
    from assistant.types import CapScope

    assert rules_by_id["1.3-2"].cap.text == "200万元" and rules_by_id["1.3-2"].caps[0].scope is CapScope.RECIPIENT_YEAR
    assert rules_by_id["1.3-2"].cap_aggregates
    assert rules_by_id["3.5-1"].caps[0].scope is CapScope.TOTAL and rules_by_id["3.5-1"].years == 3
    assert rules_by_id["4.3-1"].years == 3 and rules_by_id["4.3-1"].schedule.per_year and rules_by_id["4.3-1"].fixed.value == Decimal(20_000_000)
    assert rules_by_id["1.1-1"].caps[0].scope is CapScope.ITEM and rules_by_id["8.1-1"].caps[0].scope is CapScope.REGION
    assert {t.key: t.amount.value for t in rules_by_id["8.2-1"].tiers} == {"国家级": Decimal(5_000_000), "省级": Decimal(1_000_000)}


def test_ambiguous_cap_period_is_noted_not_guessed(rules_by_id):
    assert any("每年还是三年合计" in n for n in rules_by_id["3.4-1"].notes)


def test_clause_with_two_measures_gives_two_rules(rules_by_id):
    assert rules_by_id["1.3-1"].kind is RuleKind.CAP_ONLY and rules_by_id["1.3-1"].cap.text == "10万元"
    assert rules_by_id["1.3-2"].kind is RuleKind.RATE


def test_rules_are_read_from_text_not_from_ids():
    from assistant.types import Clause

    c = Clause("x.1", "d", 1, "t", 1, "对年度营业收入超过2000万元的企业，按照研发投入的15%给予最高80万元补助。")
    r = extract_rules(c)[0]
    assert (r.rate.value, r.cap.value, r.threshold.amount.value, r.threshold.comparator) == (
        Decimal("0.15"), Decimal(800_000), Decimal(20_000_000), Comparator.GT)


def test_clause_without_money_has_no_rules(corpus):
    assert extract_rules(corpus.get("9.3")) == []
