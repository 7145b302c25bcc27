"""When a policy applies: dates as written, the validity sentence, and the end of a relative term.

Owns reading dates by form (``2026年6月1日``, ``二〇二六年六月一日``, placeholders ``2026年X月X日``),
the validity wording (``自2026年1月1日起施行``, ``自发布之日起施行，有效期三年``, ``有效期至2028年12月31日``,
``执行期限为2026年1月1日至2027年12月31日``) and computing an end date from a term
(from 2026年6月1日 for three years → 2029年5月31日). Pure functions; does not decide a
document's status (``parser``) nor phrase notes (``phrases``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, replace

from assistant.numerals import chinese_to_int

_CN_DIGIT = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_PH = r"[XxＸｘ×＊*]{1,2}|[\s\u3000_＿]{1,4}"  # placeholder for a number not yet filled in
_YEAR = r"(?:\d{4}|[〇零○Ｏ一二三四五六七八九]{4}|\d{2}[XxＸ]{2})"
_MONTH = rf"(?:\d{{1,2}}|十[一二]?|[一二三四五六七八九]|{_PH})"
_DAY = rf"(?:\d{{1,2}}|[二三]?十[一二三四五六七八九]?|[一二三四五六七八九]|{_PH})"
DATE = rf"{_YEAR}年{_MONTH}月{_DAY}日"
DATE_LINE = re.compile(rf"^[（(]?({DATE})[）)]?$")

_START_DATE = re.compile(rf"自({DATE})起(?:开始)?(施行|实施|执行|生效|试行)")
_START_PUB = re.compile(r"自(?:印发|发布|公布|颁布|印发公布|公布公告|签发)之日起(?:开始)?(施行|实施|执行|生效|试行)")
_UNTIL = re.compile(rf"(?:有效期(?:限)?(?:至|到|截至|截止到?|截止至)|(?<=施行|实施|执行|试行)[，,]?(?:至|到))({DATE})止?")
_RANGE = re.compile(rf"(?:有效期限?|执行期限?|实施期限?|施行期限?|试行期)(?:为|是|：|:)?自?({DATE})起?(?:至|到|—|－|-|～|~)({DATE})止?")
_TERM = re.compile(r"(?:有效期限?|执行期限?|实施期限?|施行期限?|试行期)(?:为|是|：|:)?(?:暂定)?([0-9一二两三四五六七八九十]+)(?:个)?(年|月)")


def parse_date(text: str) -> dt.date | None:
    """A real date written in full (Arabic or Chinese numerals); None for placeholders or non-dates.

    >>> parse_date("2026年6月1日"), parse_date("二〇二六年六月一日"), parse_date("2026年X月X日")
    (datetime.date(2026, 6, 1), datetime.date(2026, 6, 1), None)
    """
    m = re.fullmatch(r"(\S{4})年(\S{1,3})月(\S{1,3})日", (text or "").strip())
    if not m:
        return None
    y_text = m.group(1)
    if y_text.isdigit():
        year = int(y_text)
    elif all(ch in _CN_DIGIT for ch in y_text):
        year = int("".join(str(_CN_DIGIT[ch]) for ch in y_text))
    else:
        return None
    try:
        month, day = chinese_to_int(m.group(2)), chinese_to_int(m.group(3))
        return dt.date(year, month, day)
    except ValueError:
        return None


def format_date(d: dt.date) -> str:
    """As written in Chinese documents, no zero padding.

    >>> format_date(dt.date(2029, 5, 31))
    '2029年5月31日'
    """
    return f"{d.year}年{d.month}月{d.day}日"


def end_of_term(start: dt.date, months: int) -> dt.date:
    """Last day of a term of ``months`` that starts on ``start``.

    >>> end_of_term(dt.date(2026, 6, 1), 36), end_of_term(dt.date(2026, 1, 1), 24)
    (datetime.date(2029, 5, 31), datetime.date(2027, 12, 31))
    """
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day) - dt.timedelta(days=1)


@dataclass(frozen=True)
class Validity:
    """What the text says about its dates; every string as written."""

    effective_from: str | None = None
    effective_until: str | None = None
    term_months: int | None = None
    starts_on_publication: bool = False
    trial: bool = False  # "自…起试行"
    text: str = ""  # the validity wording, e.g. "自发布之日起施行，有效期三年"


def read_validity(text: str) -> Validity:
    """The first validity statement in ``text`` (the joined body of a document).

    >>> v = read_validity("本办法自发布之日起施行，有效期三年。")
    >>> (v.starts_on_publication, v.term_months, v.text)
    (True, 36, '自发布之日起施行，有效期三年')
    >>> read_validity("本政策自2026年X月X日起施行，有效期至2028年X月X日。").effective_until
    '2028年X月X日'
    """
    start = _START_DATE.search(text)
    pub = _START_PUB.search(text)
    starts = [m for m in (start, pub) if m]
    first_start = min(starts, key=lambda m: m.start()) if starts else None
    ends: list[re.Match] = [m for rx in (_RANGE, _UNTIL, _TERM) for m in rx.finditer(text)]
    if first_start is not None:
        # the end that belongs to the start: the first one in the same sentence, after it
        sentence_end = _sentence_end(text, first_start.end())
        same = [m for m in ends if first_start.start() <= m.start() < sentence_end]
        ends = same or ends
    end = min(ends, key=lambda m: m.start()) if ends else None
    frm = until = None
    term = None
    if end is not None and end.re is _RANGE:
        frm, until = end.group(1), end.group(2)
    elif end is not None and end.re is _UNTIL:
        until = end.group(1)
    elif end is not None:
        term = _months(end.group(1), end.group(2))
    if first_start is not None and first_start.re is _START_DATE:
        frm = first_start.group(1)
    spans = [m for m in (first_start, end) if m is not None]
    wording = ""
    if spans:
        a, b = min(m.start() for m in spans), max(m.end() for m in spans)
        if b - a <= 80:
            wording = text[a:b]
        else:
            wording = "；".join(text[m.start():m.end()] for m in sorted(spans, key=lambda m: m.start()))
    trial = any(m.group(m.lastindex) == "试行" for m in starts)
    return Validity(frm, until, term, first_start is not None and first_start.re is _START_PUB, trial, wording)


def _sentence_end(text: str, pos: int) -> int:
    cut = text.find("。", pos)
    return len(text) if cut == -1 else cut


def _months(number: str, unit: str) -> int | None:
    try:
        n = chinese_to_int(number)
    except ValueError:
        return None
    return n * 12 if unit == "年" else n


def complete(doc):
    """``doc`` with ``effective_until`` computed from ``effective_from`` + ``term_months`` when the
    text gives only a term (and cleared again if a start date is no longer known)."""
    if not doc.term_months or (doc.effective_until and not doc.until_computed):
        return doc
    start = parse_date(doc.effective_from or "")
    if start is not None:
        return replace(doc, effective_until=format_date(end_of_term(start, doc.term_months)), until_computed=True)
    if doc.until_computed:
        return replace(doc, effective_until=None, until_computed=False)
    return doc


def with_dates(doc, *, effective_from: str | None = None, effective_until: str | None = None):
    """Apply dates given by an administrator (``add --from/--until``): ``--from`` is the start (for
    ``自发布之日起施行`` the publication date) and a relative term is counted from it."""
    changes: dict = {}
    if effective_from:
        changes["effective_from"] = effective_from
    if effective_until:
        changes.update(effective_until=effective_until, until_computed=False)
    return complete(replace(doc, **changes) if changes else doc)
