import json
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from assistant.amounts import parse_amount
from assistant.calculator import Claim, calculate, calculate_claims, total_yuan
from assistant.errors import AmountError
from assistant.types import RuleKind
from tests.conftest import GOLDEN

CASES = [json.loads(line) for line in (GOLDEN / "calculator_cases.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def test_golden_file_has_enough_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_case(case, rules_by_id):
    rule = rules_by_id[case["rule"]]
    measure = parse_amount(case["measure"]) if case.get("measure") else None
    claims = [Claim(rule, parse_amount(b) if b else None, measure, case.get("level"), case.get("count", 1)) for b in case.get("bases", [None])]
    results = calculate_claims(claims)
    assert len(results) == 1
    r = results[0]
    assert (r.amount_yuan, r.capped, r.eligible) == (case["amount"], case["capped"], case["eligible"])
    assert r.is_upper_bound == case.get("upper_bound", rule.rate_is_max)
    assert r.formula


def test_trace_reads_like_the_example(rules_by_id):
    c = calculate(rules_by_id["1.3-2"], Decimal(3_000_000))
    assert c.formula == "300万元 × 5% = 15万元（未超过同一主体年度上限200万元）"


def test_below_threshold_gives_reason(rules_by_id):
    c = calculate(rules_by_id["1.3-2"], Decimal(500_000))
    assert c.amount_yuan == 0 and not c.eligible and c.reason == "年度数据交易额未达到100万元"


def test_claims_of_different_rules_are_summed(rules_by_id):
    calcs = calculate_claims([Claim(rules_by_id["3.4-1"], Decimal(800_000)), Claim(rules_by_id["6.3-1"], Decimal(400_000))])
    assert [c.amount_yuan for c in calcs] == [200_000, 200_000]
    assert total_yuan(calcs) == 400_000
    assert total_yuan([]) is None


def test_per_project_caps_are_not_pooled(rules_by_id):
    calcs = calculate_claims([Claim(rules_by_id["2.2-1"], Decimal(5_000_000)), Claim(rules_by_id["2.2-1"], Decimal(5_000_000))])
    assert [c.amount_yuan for c in calcs] == [1_000_000, 1_000_000]


def test_rate_rule_without_base_is_an_error(rules_by_id):
    with pytest.raises(AmountError):
        calculate(rules_by_id["3.4-1"])


def test_tiered_rule_needs_a_known_level(rules_by_id):
    with pytest.raises(AmountError):
        calculate(rules_by_id["8.2-1"], level="市级")


def test_non_positive_base_is_refused(rules_by_id):
    with pytest.raises(AmountError):
        calculate(rules_by_id["3.4-1"], Decimal(0))


bases = st.integers(min_value=1, max_value=10**12).map(Decimal)


@settings(max_examples=200, deadline=None)
@given(base=bases, rule_id=st.sampled_from(["1.3-2", "2.2-1", "2.3-1", "2.3-2", "3.4-1", "3.5-1", "6.2-1", "6.3-1", "7.4-1", "10.3-1"]))
def test_never_above_cap_and_zero_under_threshold(rules_by_id, base, rule_id):
    rule = rules_by_id[rule_id]
    c = calculate(rule, base)
    if rule.cap is not None:
        assert c.amount_yuan <= rule.cap.value
    if rule.threshold and not rule.threshold.comparator.holds(base, rule.threshold.amount.value):
        assert c.amount_yuan == 0 and not c.eligible
    assert c.amount_yuan <= base


@settings(max_examples=200, deadline=None)
@given(a=bases, b=bases, rule_id=st.sampled_from(["1.3-2", "2.3-1", "3.4-1", "6.3-1", "10.3-1"]))
def test_monotone_in_base(rules_by_id, a, b, rule_id):
    lo, hi = sorted((a, b))
    rule = rules_by_id[rule_id]
    assert calculate(rule, lo).amount_yuan <= calculate(rule, hi).amount_yuan


def test_every_rule_kind_is_computable(corpus):
    for rule in corpus.rules:
        kwargs = {}
        if rule.kind is RuleKind.RATE:
            kwargs["base"] = Decimal(10_000_000)
        if rule.kind is RuleKind.TIERED:
            kwargs["level"] = rule.tiers[0].key
        assert calculate(rule, **kwargs).amount_yuan > 0
