"""Text PDF → paragraph lines (the only module that imports pypdf).

A PDF has no paragraphs, only positioned lines. This module drops what the page adds (page numbers
such as ``—1—``, ``- 2 -``, ``第 3 页``, ``3/10``; running headers and footers repeated on every page)
and joins the lines a paragraph was wrapped into, also across page breaks. A line starts a new
paragraph when it starts a heading or item (``第五条``, ``（一）``, ``1.``), is indented (首行缩进) or
centred, follows a blank line, or — in a document without indentation — follows a sentence end.

Text comes from pypdf's layout mode (indentation survives as leading spaces). Spaces that the
extraction puts between CJK characters of justified text are removed, and CJK radicals that some
fonts map glyphs to (``⼈``, ``⻓``) become the ideographs they stand for. Does not know articles or
clauses: ``parser`` reads the lines.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

_PAGE_NUMBER = re.compile(
    r"^[\s\-—–－·•_]*(?:第\s*)?\d{1,4}\s*(?:页)?(?:\s*[/／]\s*\d{1,4})?(?:\s*[,，、]?\s*共\s*\d{1,4}\s*页)?[\s\-—–－·•_]*$"
    r"|^(?:page|Page|PAGE)\s*\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$")
_TERMINAL = ("。", "！", "？", "；", "：", ":", "）", ")", "】")

# CJK radicals (U+2E80–U+2EF3) that fonts use for ordinary simplified characters; the Kangxi radicals
# (U+2F00–U+2FD5) and compatibility ideographs are handled by NFKC. From Unicode's EquivalentUnifiedIdeograph.
_RADICALS = dict(zip(
    "⺁⺅⺆⺌⺒⺓⺔⺖⺘⺙⺛⺜⺝⺟⺠⺡⺢⺣⺤⺦⺨⺩⺪⺫⺬⺭⺮⺯⺰⺱⺲⺹⺺⺻⺼⺾⺿⻀⻁⻂⻃⻄⻅⻆⻇⻈⻉⻊⻋⻌⻍⻎⻏⻐⻑⻒⻓⻔⻕⻖⻗⻘⻙⻚⻛⻜⻝⻞⻟⻠⻡⻢⻣⻤⻥⻦⻧⻨⻩⻪⻫⻬⻭⻮⻯⻰⻱⻲⻳",
    "厂亻冂⺌巳幺彑忄扌攵旡日月母民氵氺灬爫丬犭王疋罒示礻竹糸纟罓罒耂肀聿月艹艹艹虎衤西西见角角讠贝足车辶辶辶阝钅長镸长门阝阝雨青韦页风飞食飠飠饣首马骨鬼鱼鸟卤麦黄黾斉齐歯齿竜龙龜亀龟",
))
# Kangxi radicals whose NFKC form is the traditional character, where Simplified Chinese fonts draw the simplified one
_RADICALS.update({"⼾": "户", "⾭": "青", "⿈": "黄"})


@dataclass
class _PageLine:
    page: int
    no: int  # 1-based, over all extracted lines of the document
    indent: int
    text: str
    blank_before: bool


def pdf_lines(data: bytes) -> list[tuple[int, str]]:
    """``(line number, paragraph text)`` pairs. Raises ``ValueError`` with a Chinese reason for an
    unreadable or text-less PDF (``parser`` turns it into ``ParseError``)."""
    import logging

    from pypdf import PdfReader

    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.CRITICAL)  # pypdf logs repairs of damaged files; the user gets one line from us
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [_page_text(page) for page in reader.pages]
    except Exception as exc:  # noqa: BLE001 - untrusted bytes: pypdf raises many types on garbage
        raise ValueError(f"不是有效的 PDF 文件（{type(exc).__name__}）") from None
    finally:
        log.setLevel(level)
    if not any(t.strip() for t in pages):
        raise ValueError("PDF 中没有可提取的文字（可能是扫描件，请提供文字版或 .docx）")
    lines = _page_lines(pages)
    return _join(lines)


def _page_text(page) -> str:
    try:
        text = page.extract_text(extraction_mode="layout")
    except Exception:  # noqa: BLE001 - layout mode is stricter than plain mode; fall back
        text = ""
    return text if text.strip() else (page.extract_text() or "")


def normalize(text: str) -> str:
    """CJK radicals → ideographs; drop extraction spaces except between two ASCII words.

    >>> normalize("房 补 贴 ， 最 ⻓ 不 超 过 36 个 ⽉ ， A 类 ⼈ 才  each  month")
    '房补贴，最长不超过36个月，A类人才each month'
    """
    out = []
    for ch in text:
        if ch in _RADICALS:
            ch = _RADICALS[ch]
        elif "\u2f00" <= ch <= "\u2fdf" or "\uf900" <= ch <= "\ufaff":
            ch = unicodedata.normalize("NFKC", ch)
        out.append(ch)
    s = "".join(out)
    s = re.sub(r"[ \t\u00a0]+", " ", s.strip())
    return re.sub(r" (?![A-Za-z0-9])|(?<![A-Za-z0-9]) ", "", s)


def _page_lines(pages: list[str]) -> list[_PageLine]:
    per_page: list[list[_PageLine]] = []
    no = 0
    for p, text in enumerate(pages, start=1):
        lines: list[_PageLine] = []
        blank = False
        for raw in text.splitlines():
            no += 1
            if not raw.strip():
                blank = True
                continue
            expanded = raw.replace("\u3000", "  ").expandtabs(4)
            indent = len(expanded) - len(expanded.lstrip(" "))
            lines.append(_PageLine(p, no, indent, normalize(raw), blank))
            blank = False
        per_page.append(_strip_page_numbers(lines))
    _strip_running_lines(per_page)
    return [ln for page in per_page for ln in page]


def _strip_page_numbers(lines: list[_PageLine]) -> list[_PageLine]:
    """Page numbers sit in the first or last two lines of a page."""
    edge = {id(ln) for ln in lines[:2] + lines[-2:]}
    return [ln for ln in lines if not (id(ln) in edge and _PAGE_NUMBER.match(ln.text))]


def _strip_running_lines(pages: list[list[_PageLine]]) -> None:
    """Drop a first (or last) line that repeats on most pages, page numbers aside (running header/footer).
    On the first page the top line is kept when what follows it is already body text: then it is the
    title, which a running header may repeat."""
    if len(pages) < 2:
        return

    def key(ln: _PageLine) -> str:
        return re.sub(r"\d+", "#", ln.text.replace(" ", ""))

    for pos in (0, -1):
        keys = [key(page[pos]) for page in pages if page]
        for k in {k for k in keys if keys.count(k) >= max(2, len(pages) // 2)}:
            for i, page in enumerate(pages):
                if not page or key(page[pos]) != k:
                    continue
                if i == 0 and pos == 0 and len(page) > 1 and (_STARTS_UNIT.match(page[1].text) or page[1].text.endswith("。")):
                    continue
                page.pop(pos)


_STARTS_UNIT = re.compile(
    r"^(?:[零〇一二两三四五六七八九十百]+、|第[零〇一二两三四五六七八九十百\d]+[条章节]|[（(][零〇一二两三四五六七八九十百\d]+[）)]|"
    r"\d{1,2}[.．、](?!\d)|[①-⑳]|附\s*则$|[（(](?:征求意见稿|送审稿|草案|试行|暂行|修订稿)[）)]$|[（(][^）)]{0,12}(?:单位|部门)[：:])")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _join(lines: list[_PageLine]) -> list[tuple[int, str]]:
    bases: dict[int, int] = {}
    for ln in lines:
        bases[ln.page] = min(bases.get(ln.page, ln.indent), ln.indent)
    full: dict[int, int] = {}  # the width of a full line on each page
    for ln in lines:
        if ln.indent <= bases[ln.page] + 4:
            full[ln.page] = max(full.get(ln.page, 0), ln.indent + _width(ln.text))
    # paragraphs marked by a first-line indent (a few spaces), not just a centred title
    indented_doc = sum(1 for ln in lines if bases[ln.page] < ln.indent <= bases[ln.page] + 4) >= 2
    out: list[tuple[int, str]] = []
    prev: _PageLine | None = None
    for ln in lines:
        base = bases[ln.page]
        if prev is None:
            out.append((ln.no, ln.text))
            prev = ln
            continue
        prev_base = bases[prev.page]
        new = (
            _STARTS_UNIT.match(ln.text) is not None
            or ln.indent > base  # first-line indent or centred
            or prev.indent > prev_base + 4  # after a centred line (title)
            or (ln.blank_before and ln.page == prev.page)
            or prev.indent + _width(prev.text) < 0.7 * full.get(prev.page, 0)  # the previous line stopped short
            or (not indented_doc and prev.text.endswith(_TERMINAL))
        )
        if new:
            out.append((ln.no, ln.text))
        else:
            out[-1] = (out[-1][0], out[-1][1] + ln.text)
        prev = ln
    return out
