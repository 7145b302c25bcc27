"""Money amounts and percentages as people type them, and as the calculator prints them.

Owns: ``parse_amount("三百万元") == Decimal(3000000)`` (always yuan), ``parse_percent``,
and ``format_yuan`` for traces. Rejects negative, zero, absurd and unparseable input
with ``AmountError``. ``find_quantities`` is the one scanner for every quantity written
in a text (money, %, durations, counts, areas, dates, ranges; Arabic or Chinese numerals):
the verifier reads answers and clauses with it. Does not know about rules or clauses.
"""

from __future__ import annotations

import re
from decimal import Decimal, ROUND_HALF_UP

from assistant.errors import AmountError
from assistant.numerals import NUMERAL_CHARS, parse_number
from assistant.types import QuantityMention

# 1万亿元: far above any subsidy base in a city policy; anything larger is a typo.
MAX_AMOUNT_YUAN = Decimal("1000000000000")
MAX_INPUT_CHARS = 64

_CURRENCY = re.compile(r"(人民币|rmb|cny|¥|￥)", re.IGNORECASE)
_UNIT_SUFFIX = re.compile(r"(元整?|块钱|块|圆)$")


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


_HAS_UNIT = re.compile(r"[元块圆万亿]")
BARE_AS_WAN_BELOW = Decimal(10000)  # a bare "60" in a subsidy form means 60万元; "800000" means 800000元


def parse_money_input(text: str) -> tuple[Decimal, str]:
    """A money amount typed into a form, and a note when no unit was written (which unit was assumed).

    >>> parse_money_input("80万元")
    (Decimal('800000'), '')
    >>> parse_money_input("60")
    (Decimal('600000'), '“60”未写单位，按60万元计算；如指60元，请写“60元”')
    """
    value = parse_amount(text)
    raw = str(text).strip()
    if _HAS_UNIT.search(raw):
        return value, ""
    if value < BARE_AS_WAN_BELOW:
        wan = value * 10000
        return wan, f"“{raw}”未写单位，按{format_yuan(wan)}计算；如指{_strip(value)}元，请写“{_strip(value)}元”"
    return value, f"“{raw}”未写单位，按{_strip(value)}元（{format_yuan(value)}）计算"


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
    """Like ``find_amounts`` with each mention's start offset (``"1200万…200万"`` are two places).

    The money mentions of ``find_quantities``, without negative ones (``-50万元``) and absurd ones.
    """
    text = text or ""
    return [(m.start, m.text, m.value) for m in find_quantities(text)
            if m.dimension == "money" and 0 < m.value <= MAX_AMOUNT_YUAN and not text[:m.start].rstrip().endswith(("-", "－", "负"))]


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


# ---------------------------------------------------------------- every quantity in a text

_ARABIC = r"\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_NUM = rf"(?:{_ARABIC})(?:[{NUMERAL_CHARS}\d]*[{NUMERAL_CHARS}])?|[{NUMERAL_CHARS}]+"
_UNITS = ("万元|亿元|元|块钱|块|%|个月|年|天|个|人|名|件|项|家|次|倍|平方米|㎡|亩|批|条|所")
_QUANTITY = re.compile(
    rf"(?P<date>(?<!\d)(?P<y>(?:19|20)\d\d)\s*年(?:\s*(?P<mo>\d{{1,2}}|[Xx×])\s*月(?:\s*(?P<d>\d{{1,2}}|[Xx×])\s*日)?)?)"
    rf"|百分之(?P<pct>{_NUM})"
    rf"|(?P<num>{_NUM})\s*(?P<unit>{_UNITS})?")
_RANGE_JOIN = re.compile(r"\s*(?:-|－|—|–|~|～|〜|至|到)\s*")
# Words that contain numerals but state no quantity (一次性, 进一步, 千万注意 …); ordinals (第三条).
_IDIOMS = re.compile(r"一次性|一批|一站|一体|一线|一流|一级|一起|一并|一律|一般|一定|一些|一致|一直|一步|一方面|一旦|一同|一是|一人公司|"
                     r"统一|同一|唯一|之一|万一|(?<![{0}\d])千万(?![元人])|十分|百分百(?!之)|第[\d{0}]+|周[一二三四五六日]|星期[一二三四五六日天]".format(NUMERAL_CHARS))
_LIST_MARK = re.compile(r"(?m)^\s*(?:\d{1,2}[.、)）](?!\d)|[（(]\d{1,2}[)）])")
_MULTIPLIER = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}
_DIM = {"元": "money", "块": "money", "块钱": "money", "万元": "money", "亿元": "money", "%": "percent", "％": "percent",
        "年": "duration", "个月": "duration", "天": "days", "倍": "multiple", "平方米": "area", "㎡": "area", "亩": "area"}
_FULL_WIDTH = str.maketrans("０１２３４５６７８９％．，", "0123456789%.,")


def mask(text: str, pattern: re.Pattern) -> str:
    """``text`` with every match of ``pattern`` blanked out (same length, so offsets still hold)."""
    return pattern.sub(lambda m: "\x00" * len(m.group()), text)


def find_quantities(text: str) -> list[QuantityMention]:
    """Every quantity written in ``text``, in order, with its span.

    >>> [(m.text, m.value, m.dimension) for m in find_quantities("给予50%最高20万元补助，合计四百万元")]
    [('50%', Decimal('0.5'), 'percent'), ('20万元', Decimal('200000'), 'money'), ('四百万元', Decimal('4000000'), 'money')]
    >>> [(m.text, m.value) for m in find_quantities("100-500万元，补助期限不超过三年")]
    [('100', Decimal('1000000')), ('500万元', Decimal('5000000')), ('三年', Decimal('36'))]

    Chinese numerals count only with a unit (``两千元``, ``三年``), after ``百分之``, or
    with a multiplier (``两千``); ``一次性``, ``同一``, ``第三条`` and list markers are not
    quantities. Clause ids such as ``[3.4]`` must be masked by the caller.
    """
    s = (text or "").translate(_FULL_WIDTH)
    s = mask(mask(s, _IDIOMS), _LIST_MARK)
    out: list[QuantityMention] = []
    for m in _QUANTITY.finditer(s):
        q = _mention(m, text)
        if q is None:
            continue
        if out and q.dimension != "number" and out[-1].dimension == "number" and _RANGE_JOIN.fullmatch(s[out[-1].end:q.start]):
            out[-1] = _range_start(out[-1], q, m)
        out.append(q)
    return out


def _mention(m: re.Match, text: str) -> QuantityMention | None:
    start, end = m.start(), m.end()
    if m.group("date"):
        mo, d = m.group("mo"), m.group("d")
        value = int(m.group("y")) * 10000 + (int(mo) if mo and mo.isdigit() else 0) * 100 + (int(d) if d and d.isdigit() else 0)
        return QuantityMention(start, end, text[start:end], Decimal(value), "date")
    if m.group("pct"):
        try:
            return QuantityMention(start, end, text[start:end], parse_number(m.group("pct")) / 100, "percent")
        except ValueError:
            return None
    num, unit = m.group("num"), m.group("unit") or ""
    arabic = num[0].isdigit()
    if not arabic and not unit and not (len(num) >= 2 and any(c in "十拾百佰千仟万萬亿億" for c in num)):
        return None  # a lone Chinese digit (一, 三) is a word, not a quantity
    try:
        value = parse_number(num.replace(",", ""))
    except ValueError:
        return None
    if not unit and any(c in "万萬亿億" for c in num):
        unit = "元"  # "20万", "15万5千", "千亿": amounts of money in this domain
    if unit in ("万元", "亿元"):
        value *= _MULTIPLIER[unit[0]]
    dimension = _DIM.get(unit, "count" if unit else "number")
    if unit == "年":
        value *= 12
    if dimension == "count" and not arabic and value == 1:
        return None  # 一个、一项、一次: an article, not a count
    if dimension == "percent":
        value /= 100
    canonical = {"名": "人"}.get(unit, unit) if dimension == "count" else ""
    return QuantityMention(start, end, text[start:end], value, dimension, canonical)


def _range_start(first: QuantityMention, second: QuantityMention, m: re.Match) -> QuantityMention:
    """``100-500万元``: the first bound takes the second's unit and multiplier."""
    value = first.value
    num = m.group("num") or ""
    unit = m.group("unit") or ""
    if first.text[-1].isdigit() and num and num[-1] in "万亿" and unit != "万元":
        value *= _MULTIPLIER[num[-1]]
    if unit in ("万元", "亿元"):
        value *= _MULTIPLIER[unit[0]]
    if second.dimension == "percent":
        value /= 100
    if second.dimension == "duration" and unit == "年":
        value *= 12
    return QuantityMention(first.start, first.end, first.text, value, second.dimension, second.unit)
