"""Chinese numerals ⇄ numbers. Pure functions, no I/O.

Owns digit/unit tokenising (``三百万``, ``15万5千``, ``1.2亿``, ``两千``).
Does not know about money units (元/万元) or percentages: see ``amounts``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
          "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[零〇一壹二贰两三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万萬亿億]")
NUMERAL_CHARS = "零〇一壹二贰两三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万萬亿億"


def parse_number(text: str) -> Decimal:
    """Parse a number written with Arabic digits, Chinese numerals and units, or a mix.

    >>> parse_number("三百万")
    Decimal('3000000')
    >>> parse_number("15万5千")
    Decimal('155000')
    >>> parse_number("1.2亿")
    Decimal('120000000.0')
    >>> parse_number("十")
    Decimal('10')

    Raises ``ValueError`` if the text is not a number.
    """
    s = text.strip()
    if not s:
        raise ValueError("empty")
    pos = 0
    tokens: list[str] = []
    for m in _TOKEN.finditer(s):
        if m.start() != pos:
            raise ValueError(f"unexpected character {s[pos]!r}")
        tokens.append(m.group())
        pos = m.end()
    if pos != len(s):
        raise ValueError(f"unexpected character {s[pos]!r}")

    total = Decimal(0)  # everything already closed by 万/亿
    section = Decimal(0)  # below 万
    number: Decimal | None = None
    last_small_unit: int | None = None
    saw_digit_or_unit = False
    for tok in tokens:
        if tok[0].isdigit():
            if number is not None:
                raise ValueError("two numbers in a row")
            try:
                number = Decimal(tok)
            except InvalidOperation as exc:  # pragma: no cover - regex guarantees digits
                raise ValueError(tok) from exc
            saw_digit_or_unit = True
        elif tok in DIGITS:
            if tok in "零〇":
                saw_digit_or_unit = True
                continue
            if number is not None:
                raise ValueError("two digits in a row")
            number = Decimal(DIGITS[tok])
            saw_digit_or_unit = True
        elif tok in SMALL_UNITS:
            unit = SMALL_UNITS[tok]
            if last_small_unit is not None and unit >= last_small_unit and number is not None:
                raise ValueError("units out of order")
            section += (number if number is not None else Decimal(1)) * unit
            last_small_unit = unit
            number = None
            saw_digit_or_unit = True
        else:  # big unit
            unit = BIG_UNITS[tok]
            if not saw_digit_or_unit:
                raise ValueError("unit without a number")
            group = section + (number or 0)
            if unit == 100_000_000:
                total = (total + group) * unit
            else:
                if not saw_digit_or_unit:
                    raise ValueError("unit without a number")
                total += group * unit
            section = Decimal(0)
            number = None
            last_small_unit = None
            saw_digit_or_unit = True
    if not saw_digit_or_unit:
        raise ValueError("no digits")
    return total + section + (number or 0)


def int_to_chinese(n: int) -> str:
    """Small non-negative integers as Chinese numerals (article numbers).

    >>> int_to_chinese(3), int_to_chinese(10), int_to_chinese(12), int_to_chinese(20)
    ('三', '十', '十二', '二十')
    """
    if n < 0:
        raise ValueError(n)
    names = "零一二三四五六七八九"
    if n < 10:
        return names[n]
    if n < 20:
        return "十" + (names[n % 10] if n % 10 else "")
    if n < 100:
        return names[n // 10] + "十" + (names[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        head = names[n // 100] + "百"
        if rest == 0:
            return head
        if rest < 10:
            return head + "零" + names[rest]
        return head + (names[rest // 10] + "十" + (names[rest % 10] if rest % 10 else ""))
    return str(n)


def chinese_to_int(text: str) -> int:
    """``"十二"`` → 12, ``"3"`` → 3. Raises ``ValueError`` if not a whole number."""
    value = parse_number(text)
    if value != value.to_integral_value():
        raise ValueError(text)
    return int(value)
