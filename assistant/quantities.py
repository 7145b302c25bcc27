"""Quantities as written in Chinese policy text: value, unit, kind and exact position.

Owns one scanner, ``scan(text)``, for every number a clause or an answer may carry:
money (``最高200万元``, ``1.5亿元``, ``三百万元``, ``2000元``), percentages (``5%``,
``50％``, ``百分之五十``), counts (``5名``, ``每件``, ``3个``), areas (``500平方米``),
durations (``24个月``, ``三年``) and ratios (``4:3:3``). Each ``Span`` keeps the
substring it was read from, so a rule can prove its numbers are in its clause, and a
verifier can tell a 50% rate from a 50万元 amount. Dates (``2026年3月1日``) are
recognised as dates so their digits are never read as durations.

Does not decide what a quantity means in a rule (see ``rules``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from assistant.numerals import parse_number

_CN = "零〇一二两三四五六七八九十百千"
_NUM = rf"(?:\d+(?:[.,]\d+)*(?:\.\d+)?|[{_CN}]+(?:点[{_CN}]+)?)"
_DATE = re.compile(r"\d{4}\s*年\s*(?:\d{1,2}|[XxＸ×]{1,2})\s*月(?:\s*(?:\d{1,2}|[XxＸ×]{1,2})\s*日)?|\d{4}\s*年(?=度|底|末|起|以来)")
_RATIO = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?:\s*[:：]\s*\d+(?:\.\d+)?){1,5}(?![\d.])")
_SCALED = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<x>万|亿)\s*(?P<u>平方米|立方米|亩|小时|千瓦时|千瓦|架次|人次|标准箱|航次|班次|车次|吨|公里|辆|台套|台|套|件|个|户|次|名|人|家|条|项|千克|公斤|箱)")
_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("percent", re.compile(rf"(?P<n>\d+(?:\.\d+)?)\s*(?P<u>[%％]|个百分点|百分点)|(?P<cn2>[{_CN}]+)个百分点|百分之(?P<cn>[{_CN}点]+)")),
    ("money", re.compile(rf"(?P<n>{_NUM})\s*(?P<u>亿元|万元|元|亿|万(?!平方米|亩|人|名|件|个|吨|标准箱|箱|航次|班次|车次|人次|架次|趟|列|单|套|台|辆))")),
    ("area", re.compile(rf"(?P<n>{_NUM})\s*(?P<u>平方米|㎡|平米|亩|平(?![方均台安稳衡时等]))")),
    ("duration", re.compile(rf"(?P<n>{_NUM})\s*(?P<u>个月|个自然年|个年度|年度|周年|年|月|天|晚)(?!份|底|末)")),
    ("count", re.compile(rf"(?P<n>{_NUM})\s*(?P<u>立方米|名|人次|标准箱|航次|班次|车次|人|件|项|个|家|架次|架|条|台套|台|套|次|户|款|座|所|批|篇|种|吨|千瓦时|千瓦|兆瓦|度|辆|公里|张|份|场|期|小时|千克|公斤|箱|趟|列)")),
)
UNIT_SCALE = {"亿元": Decimal(100_000_000), "亿": Decimal(100_000_000), "万元": Decimal(10_000), "万": Decimal(10_000), "元": Decimal(1)}
_DURATION_UNIT = {"个月": "月", "月": "月", "年": "年", "年度": "年", "周年": "年", "个自然年": "年", "个年度": "年", "天": "天", "晚": "晚"}


@dataclass(frozen=True)
class Span:
    """One quantity in a text. ``value`` is in yuan for money, a fraction for percentages."""

    start: int
    end: int
    text: str  # exactly as written, e.g. "50％", "200万元", "24个月"
    value: Decimal
    unit: str  # "元" | "%" | "平方米" | "月" | "年" | the count word ("人", "件" …) | "ratio"
    kind: str  # "money" | "percent" | "count" | "area" | "duration" | "ratio"
    parts: tuple[Decimal, ...] = ()  # for ratios: 4:3:3 → (4, 3, 3)


def _number(text: str) -> Decimal | None:
    s = text.replace(",", "")
    if "点" in s:
        whole, _, frac = s.partition("点")
        try:
            w = parse_number(whole) if whole else Decimal(0)
            digits = "".join(str(int(parse_number(ch))) for ch in frac)
        except ValueError:
            return None
        return w + Decimal("0." + digits)
    try:
        return parse_number(s)
    except ValueError:
        return None


def scan(text: str) -> list[Span]:
    """All quantities in ``text``, in order, non-overlapping (longer, more specific kinds win).

    >>> [(s.text, s.kind, s.value) for s in scan("按投资额的8%给予补助，单个项目最高300万元，最长24个月")]
    [('8%', 'percent', Decimal('0.08')), ('300万元', 'money', Decimal('3000000')), ('24个月', 'duration', Decimal('24'))]
    """
    text = text or ""
    taken = [False] * len(text)
    spans: list[Span] = []

    def free(a: int, b: int) -> bool:
        return not any(taken[a:b])

    def take(span: Span) -> None:
        for i in range(span.start, span.end):
            taken[i] = True
        spans.append(span)

    for m in _DATE.finditer(text):  # dates are not quantities; reserve their characters
        for i in range(m.start(), m.end()):
            taken[i] = True
    for m in _SCALED.finditer(text):  # "4万小时", "1.2万平方米": a count or area in ten-thousands, not money
        if free(m.start(), m.end()):
            n = Decimal(m.group("n")) * UNIT_SCALE[m.group("x")]
            unit = m.group("u")
            kind = "area" if unit in ("平方米", "亩") else "count"
            take(Span(m.start(), m.end(), m.group(), n, unit, kind))
    for m in _RATIO.finditer(text):
        parts = tuple(Decimal(p) for p in re.split(r"\s*[:：]\s*", m.group()))
        take(Span(m.start(), m.end(), m.group(), sum(parts), "ratio", "ratio", parts))
    for kind, pat in _PATTERNS:
        for m in pat.finditer(text):
            if not free(m.start(), m.end()):
                continue
            # a bare Chinese "一" before a count or duration word is an article, not a quantity
            # ("一批", "一次性", "统一"); with money it is a number ("一万元")
            if kind in ("count", "duration") and m.group("n") == "一" and m.group("u") not in ("年", "个月", "名", "人", "个", "家", "项", "件"):
                continue
            if kind == "count" and text[m.start():m.end() + 1].endswith("次性"):
                continue
            if kind in ("duration", "count") and m.start() > 0 and text[m.start() - 1] == "第":
                continue  # "第三年", "第二期": an ordinal, not a quantity
            if kind == "percent":
                raw = m.group("n") or m.group("cn") or m.group("cn2")
                n = _number(raw)
                if n is None:
                    continue
                take(Span(m.start(), m.end(), m.group(), n / 100, "%", kind))
                continue
            n = _number(m.group("n"))
            if n is None:
                continue
            unit = m.group("u")
            if unit in ("万", "亿") and not re.search(r"\d", m.group("n")) and len(m.group("n")) < 2:
                continue  # "千亿基金", "万一": a word, not an amount
            if kind == "money":
                take(Span(m.start(), m.end(), m.group(), n * UNIT_SCALE[unit], "元", kind))
            elif kind == "duration":
                take(Span(m.start(), m.end(), m.group(), n, _DURATION_UNIT[unit], kind))
            elif kind == "area":
                take(Span(m.start(), m.end(), m.group(), n, "亩" if unit == "亩" else "平方米", kind))
            else:
                take(Span(m.start(), m.end(), m.group(), n, unit, kind))
    for m in re.finditer(r"(?<![们咱他她你])(俩|仨)(?=[\u4e00-\u9fff])", text):  # "招了俩博士": spoken 两个 / 三个
        if free(m.start(), m.end()):
            take(Span(m.start(), m.end(), m.group(), Decimal(2 if m.group() == "俩" else 3), "个", "count"))
    return sorted(spans, key=lambda s: s.start)


def money_and_rates(text: str) -> list[Span]:
    """The quantities that decide an amount: money and percentages (what a rule must account for)."""
    return [s for s in scan(text) if s.kind in ("money", "percent")]
