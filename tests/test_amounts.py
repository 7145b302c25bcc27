from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from assistant.amounts import MAX_AMOUNT_YUAN, find_amounts, format_yuan, parse_amount, parse_percent
from assistant.errors import AmountError
from assistant.numerals import int_to_chinese, parse_number


@pytest.mark.parametrize("text,yuan", [
    ("300万元", 3_000_000), ("300万", 3_000_000), ("三百万元", 3_000_000), ("1.2亿元", 120_000_000),
    ("150000元", 150_000), ("1,500,000元", 1_500_000), ("15万5千", 155_000), ("一百五十万", 1_500_000),
    ("两千块", 2_000), ("十万", 100_000), ("三亿五千万", 350_000_000), ("人民币 80 万元", 800_000),
    ("壹佰万元", 1_000_000), ("0.5万", 5_000), ("一千二百三十四万五千六百七十八元", 12_345_678),
])
def test_parse_amount(text, yuan):
    assert parse_amount(text) == Decimal(yuan)


@pytest.mark.parametrize("text", ["-50万元", "负50万", "0元", "0", "999999999999亿元", "abc", "", "   ", "三百万万万x", "1..2万", "万元"])
def test_bad_amounts_raise_clear_errors(text):
    with pytest.raises(AmountError) as info:
        parse_amount(text)
    assert "金额无法识别" in str(info.value)


@pytest.mark.parametrize("text,frac", [("5%", "0.05"), ("50％", "0.5"), ("百分之五", "0.05"), ("百分之三十", "0.3")])
def test_parse_percent(text, frac):
    assert parse_percent(text) == Decimal(frac)


@pytest.mark.parametrize("text", ["150%", "百分之", "5", "-5%"])
def test_bad_percent(text):
    with pytest.raises(AmountError):
        parse_percent(text)


def test_find_amounts_in_a_question():
    found = find_amounts("去年算力服务费80万元，另外调用大模型API花了40万元，交易额三百万")
    assert [v for _, v in found] == [Decimal(800_000), Decimal(400_000), Decimal(3_000_000)]


@given(st.integers(min_value=1, max_value=int(MAX_AMOUNT_YUAN)))
def test_format_then_parse_round_trips(n):
    assert parse_amount(format_yuan(n)) == n


@given(st.integers(min_value=0, max_value=999))
def test_chinese_numerals_round_trip(n):
    assert parse_number(int_to_chinese(n)) == n


@given(st.text(max_size=30))
def test_parse_amount_never_raises_anything_else(text):
    try:
        v = parse_amount(text)
    except AmountError:
        return
    assert 0 < v <= MAX_AMOUNT_YUAN
