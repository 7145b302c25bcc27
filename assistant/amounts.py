"""Money amounts and percentages as people type them, and as the calculator prints them.

Owns: ``parse_amount("三百万元") == Decimal(3000000)`` (always yuan), ``parse_percent``,
and ``format_yuan`` for traces. Rejects negative, zero, absurd and unparseable input
with ``AmountError``. Does not know about rules or clauses.
"""

from __future__ import annotations

import re
from decimal import Decimal, ROUND_HALF_UP

from assistant.errors import AmountError
from assistant.numerals import NUMERAL_CHARS, parse_number

# 1万亿元: far above any subsidy base in a city policy; anything larger is a typo.
MAX_AMOUNT_YUAN = Decimal("1000000000000")
MAX_INPUT_CHARS = 64

_CURRENCY = re.compile(r"(人民币|rmb|cny|¥|￥)", re.IGNORECASE)
_UNIT_SUFFIX = re.compile(r"(元整?|块钱|块|圆)$")
_AMOUNT_IN_TEXT = re.compile(
    rf"(?<![\d.])-?(?:\d[\d,，]*(?:\.\d+)?|[{NUMERAL_CHARS}]+)"
    rf"(?:[{NUMERAL_CHARS}\d.]*)(?:万元|亿元|元|万|亿|块钱|块)"
    rf"(?:[\d一二两三四五六七八九]+[千百](?:元|块)?)?"  # 15万5千
)


def parse_amount(text: str) -> Decimal:
    """Parse a money amount into yuan.

    >>> parse_amount("300万元"), parse_amount("三百万"), parse_amount("1,500,000元")
    (Decimal('3000000'), Decimal('3000000'), Decimal('1500000'))
    >>> parse_amount("1.2亿元")
    Decimal('120000000.0')
    """
    raw = text
    if text is None or not str(text).strip():
        raise AmountError(str(text or ""), "金额为空，请输入如“300万元”的金额")
    s = str(text).strip()
    if len(s) > MAX_INPUT_CHARS:
        raise AmountError(s[:20] + "…", f"输入过长（超过{MAX_INPUT_CHARS}个字符）")
    s = _CURRENCY.sub("", s).replace(" ", "").replace("\u3000", "")
    s = s.replace(",", "").replace("，", "").replace("_", "")
    if s.startswith(("-", "－", "负")):
        raise AmountError(raw, "金额不能为负数")
    if s.startswith("+"):
        s = s[1:]
    s = _UNIT_SUFFIX.sub("", s)
    if not s:
        raise AmountError(raw, "缺少数字")
    try:
        value = parse_number(s)
    except ValueError:
        raise AmountError(raw, "请用如“300万元”“三百万”“1.2亿元”“150000元”的写法") from None
    if value <= 0:
        raise AmountError(raw, "金额必须大于0")
    if value > MAX_AMOUNT_YUAN:
        raise AmountError(raw, "金额过大（超过1万亿元），请检查单位")
    return value


def parse_percent(text: str) -> Decimal:
    """``"5%"``, ``"50％"``, ``"百分之五"`` → a fraction (``Decimal('0.05')``)."""
    s = (text or "").strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*[%％]", s)
    if m:
        value = Decimal(m.group(1))
    else:
        m = re.fullmatch(r"百分之(.+)", s)
        if not m:
            raise AmountError(text, "请用如“5%”或“百分之五”的写法")
        try:
            value = parse_number(m.group(1))
        except ValueError:
            raise AmountError(text, "百分比无法识别") from None
    if value <= 0 or value > 100:
        raise AmountError(text, "百分比应在0到100之间")
    return value / 100


def find_amounts(text: str) -> list[tuple[str, Decimal]]:
    """Money amounts mentioned in free text, in order: ``[("80万元", Decimal(800000)), …]``.

    Unparseable or out-of-range mentions are skipped (the caller decides whether to complain).
    """
    return [(t, v) for _, t, v in find_amounts_at(text)]


def find_amounts_at(text: str) -> list[tuple[int, str, Decimal]]:
    """Like ``find_amounts`` with each mention's start offset (``"1200万…200万"`` are two places)."""
    found: list[tuple[int, str, Decimal]] = []
    for m in _AMOUNT_IN_TEXT.finditer(text or ""):
        try:
            found.append((m.start(), m.group(), parse_amount(m.group())))
        except AmountError:
            continue
    return found


def to_yuan(amount: Decimal) -> int:
    """Round to whole yuan, half up (the convention of Chinese fiscal payments)."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_yuan(amount: Decimal | int) -> str:
    """Human form for traces: ``15万元``, ``1.2亿元``, ``5000元``, ``12.3456万元``.

    >>> format_yuan(150000), format_yuan(Decimal("120000000")), format_yuan(5000)
    ('15万元', '1.2亿元', '5000元')
    """
    a = Decimal(amount)
    if a != 0 and a % 100_000_000 == 0 or (abs(a) >= 100_000_000 and (a / 100_000_000) == (a / 100_000_000).quantize(Decimal("0.0001"))):
        return f"{_strip(a / 100_000_000)}亿元"
    if abs(a) >= 10_000:
        return f"{_strip(a / 10_000)}万元"
    return f"{_strip(a)}元"


def format_percent(rate: Decimal) -> str:
    return f"{_strip(rate * 100)}%"


def _strip(d: Decimal) -> str:
    s = format(d.normalize(), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s
