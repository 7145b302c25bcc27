"""Word ``.docx`` → blocks of text in body order: paragraphs with their displayed numbers, and tables.

Word's automatic numbering is not in the text: a paragraph carries ``w:numPr`` (numId, ilvl), directly
or through its paragraph style, and ``numbering.xml`` defines each level's format (``chineseCounting``,
``decimal``, ``ideographDigital`` …) and text (``%1、``, ``（%1）``, ``第%1条``). This module keeps the
counters the way Word does (per abstract list, deeper levels restart, ``startOverride`` restarts a list
instance) and puts the displayed number in front of the paragraph text, so ``parser`` sees ``一、…`` or
``（一）…`` as a reader of the document does.

Tables become rows of cell texts (merged cells resolved: a vertically merged cell repeats its text, a
horizontally merged one is kept once). Tracked deletions, field codes and text boxes are left out.
Reads the XML with lxml directly; raises ``ValueError`` with a Chinese reason on a broken file.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from assistant.numerals import int_to_chinese

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
Table = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Block:
    no: int  # 1-based position in the body (paragraphs and tables)
    text: str
    table: Table | None = None


def docx_blocks(data: bytes) -> list[Block]:
    from lxml import etree

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        document = zf.read("word/document.xml")
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValueError(f"不是有效的 .docx 文件（{type(exc).__name__}）") from None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)

    def xml(part: str):
        try:
            raw = zf.read(part)
        except KeyError:
            return None
        try:
            return etree.fromstring(raw, parser)
        except etree.XMLSyntaxError:
            raise ValueError(f"{part} 不是有效的 XML") from None

    try:
        root = etree.fromstring(document, parser)
    except etree.XMLSyntaxError:
        raise ValueError("word/document.xml 不是有效的 XML") from None
    body = root.find(f"{W}body")
    if body is None:
        raise ValueError("word/document.xml 中没有正文")
    numbering = _Numbering(xml("word/numbering.xml"), xml("word/styles.xml"))
    blocks: list[Block] = []
    for el in _body_elements(body):
        no = len(blocks) + 1
        if el.tag == f"{W}p":
            label = numbering.label(el)
            pieces = _paragraph_text(el).split("\n")
            if label:  # an empty numbered paragraph still shows its number: the parser reports it as empty
                pieces[0] = label + pieces[0].lstrip()
            blocks.extend(Block(no, piece) for piece in pieces)
        elif el.tag == f"{W}tbl":
            rows = _table_rows(el)
            if len(rows) == 1 and len(rows[0]) == 1:  # a one-cell box: it is a paragraph
                blocks.append(Block(no, rows[0][0]))
            elif rows:
                blocks.append(Block(no, "", rows))
    return blocks


def _body_elements(parent):
    for el in parent:
        if el.tag in (f"{W}p", f"{W}tbl"):
            yield el
        elif el.tag in (f"{W}sdt", f"{W}customXml", f"{W}sdtContent"):
            yield from _body_elements(el.find(f"{W}sdtContent") if el.tag == f"{W}sdt" else el)


_SKIP = {f"{W}del", f"{W}moveFrom", f"{W}txbxContent", f"{W}instrText", f"{W}delText", f"{W}footnoteReference",
         f"{W}endnoteReference", f"{W}commentReference", "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"}


def _paragraph_text(p) -> str:
    out: list[str] = []

    def walk(el) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP:
                continue
            if tag == f"{W}t":
                out.append(child.text or "")
            elif tag == f"{W}tab":
                out.append("\t")
            elif tag in (f"{W}br", f"{W}cr"):
                out.append("\n")
            elif tag == f"{W}noBreakHyphen":
                out.append("-")
            elif tag == f"{W}pPr":
                continue
            else:
                walk(child)

    walk(p)
    return "".join(out)


def _table_rows(tbl) -> Table:
    rows: list[tuple[str, ...]] = []
    above: dict[int, str] = {}
    for tr in tbl.iter(f"{W}tr"):
        if tr.getparent() is not tbl:  # nested tables are read as part of their cell
            continue
        cells: list[str] = []
        for tc in tr.findall(f"{W}tc"):
            props = tc.find(f"{W}tcPr")
            span, vmerge = 1, None
            if props is not None:
                gs = props.find(f"{W}gridSpan")
                if gs is not None:
                    span = max(1, _int(gs.get(f"{W}val"), 1))
                vm = props.find(f"{W}vMerge")
                if vm is not None:
                    vmerge = vm.get(f"{W}val") or "continue"
            col = len(cells)
            text = "".join(_paragraph_text(p) for p in tc.iter(f"{W}p")).replace("\n", "").strip()
            if vmerge == "continue":
                text = above.get(col, "")
            cells.append(text)
            cells.extend([""] * (span - 1))
        for col, text in enumerate(cells):
            above[col] = text
        if any(cells):
            rows.append(tuple(cells))
    return tuple(rows)


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# ---------------------------------------------------------------- numbering


@dataclass
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = ""
    restart: int | None = None  # lvlRestart: restart after this (1-based) level; 0 = never; None = after any higher
    legal: bool = False  # isLgl: show higher levels as Arabic numbers
    style: str | None = None  # pStyle linked to this level
    suffix: str = "tab"


@dataclass
class _ListState:
    counters: list[int | None] = field(default_factory=lambda: [None] * 9)


class _Numbering:
    def __init__(self, numbering, styles) -> None:
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.nums: dict[str, tuple[str, dict[int, int], dict[int, _Level]]] = {}
        self.style_num: dict[str, tuple[str | None, int | None, str | None]] = {}
        self.state: dict[str, _ListState] = {}
        self.used: set[str] = set()
        links: dict[str, str] = {}  # abstractNum → numbering style whose list it uses (numStyleLink)
        if numbering is not None:
            for an in numbering.findall(f"{W}abstractNum"):
                aid = an.get(f"{W}abstractNumId")
                self.abstract[aid] = {lv: d for lv, d in (self._level(x) for x in an.findall(f"{W}lvl"))}
                if _val(an, "numStyleLink"):
                    links[aid] = _val(an, "numStyleLink")
            for num in numbering.findall(f"{W}num"):
                ref = num.find(f"{W}abstractNumId")
                starts: dict[int, int] = {}
                levels: dict[int, _Level] = {}
                for ov in num.findall(f"{W}lvlOverride"):
                    ilvl = _int(ov.get(f"{W}ilvl"), 0)
                    so = ov.find(f"{W}startOverride")
                    if so is not None:
                        starts[ilvl] = _int(so.get(f"{W}val"), 1)
                    lvl = ov.find(f"{W}lvl")
                    if lvl is not None:
                        levels[ilvl] = self._level(lvl)[1]
                        starts.setdefault(ilvl, levels[ilvl].start)
                if ref is not None:
                    self.nums[num.get(f"{W}numId")] = (ref.get(f"{W}val"), starts, levels)
        if styles is not None:
            for st in styles.findall(f"{W}style"):
                if st.get(f"{W}type") not in (None, "paragraph"):
                    continue
                num_id = ilvl = None
                ppr = st.find(f"{W}pPr")
                if ppr is not None and ppr.find(f"{W}numPr") is not None:
                    npr = ppr.find(f"{W}numPr")
                    num_id = _val(npr, "numId")
                    ilvl = _int(_val(npr, "ilvl"), 0) if _val(npr, "ilvl") is not None else None
                based = st.find(f"{W}basedOn")
                self.style_num[st.get(f"{W}styleId")] = (num_id, ilvl, based.get(f"{W}val") if based is not None else None)
            for st in styles.findall(f"{W}style"):  # numbering styles a numStyleLink points to
                if st.get(f"{W}type") == "numbering":
                    ppr = st.find(f"{W}pPr")
                    npr = ppr.find(f"{W}numPr") if ppr is not None else None
                    if npr is not None and _val(npr, "numId") is not None:
                        self.style_num.setdefault(st.get(f"{W}styleId"), (_val(npr, "numId"), None, None))
        for aid, style_id in links.items():  # the abstract list defers its levels to the style's list
            target = self.nums.get(self.style_num.get(style_id, (None, None, None))[0] or "")
            if target and not self.abstract.get(aid) and target[0] != aid:
                self.abstract[aid] = self.abstract.get(target[0], {})

    @staticmethod
    def _level(lvl) -> tuple[int, _Level]:
        d = _Level()
        d.start = _int(_val(lvl, "start"), 1)
        d.fmt = _val(lvl, "numFmt") or "decimal"
        d.text = _val(lvl, "lvlText") or ""
        restart = _val(lvl, "lvlRestart")
        d.restart = _int(restart, 0) if restart is not None else None
        d.legal = lvl.find(f"{W}isLgl") is not None
        d.style = _val(lvl, "pStyle")
        d.suffix = _val(lvl, "suff") or "tab"
        return _int(lvl.get(f"{W}ilvl"), 0), d

    def _resolve(self, p) -> tuple[str, int] | None:
        ppr = p.find(f"{W}pPr")
        style = None
        num_id = ilvl = None
        if ppr is not None:
            ps = ppr.find(f"{W}pStyle")
            style = ps.get(f"{W}val") if ps is not None else None
            npr = ppr.find(f"{W}numPr")
            if npr is not None:
                num_id = _val(npr, "numId")
                if _val(npr, "ilvl") is not None:
                    ilvl = _int(_val(npr, "ilvl"), 0)
        seen = set()
        s = style
        while num_id is None and s and s not in seen:  # numbering inherited from the paragraph style chain
            seen.add(s)
            s_num, s_ilvl, based = self.style_num.get(s, (None, None, None))
            if s_num is not None:
                num_id = s_num
                ilvl = s_ilvl if ilvl is None else ilvl
            s = based
        if num_id is None or num_id == "0" or num_id not in self.nums:
            return None
        if ilvl is None:
            abstract = self.abstract.get(self.nums[num_id][0], {})
            ilvl = next((k for k, lv in abstract.items() if style and lv.style == style), 0)
        return num_id, max(0, min(8, ilvl))

    def label(self, p) -> str:
        """The displayed number of paragraph ``p`` ("一、", "（二）", "第三条 "), advancing the counters."""
        found = self._resolve(p)
        if found is None:
            return ""
        num_id, ilvl = found
        abstract_id, starts, overrides = self.nums[num_id]
        levels = dict(self.abstract.get(abstract_id, {}))
        levels.update(overrides)
        state = self.state.setdefault(abstract_id, _ListState())
        if num_id not in self.used:
            self.used.add(num_id)
            for lv, start in starts.items():  # a list instance with startOverride restarts at its first use
                state.counters[lv] = start - 1
                for deeper in range(lv + 1, 9):
                    state.counters[deeper] = None
        lvl = levels.get(ilvl)
        if lvl is None:
            return ""
        current = state.counters[ilvl]
        state.counters[ilvl] = lvl.start if current is None else current + 1
        for deeper in range(ilvl + 1, 9):
            d = levels.get(deeper)
            if d is None or d.restart is None or (d.restart != 0 and ilvl < d.restart):
                state.counters[deeper] = None
        if lvl.fmt in ("bullet", "none"):
            return ""

        def number(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            kl = levels.get(k, _Level())
            value = state.counters[k]
            value = kl.start if value is None else value
            return format_number(value, "decimal" if lvl.legal and k != ilvl else kl.fmt)

        text = re.sub(r"%([1-9])", number, lvl.text)
        if text and lvl.suffix != "nothing" and not re.search(r"[、．.)）:：]$", text):
            text += " "
        return text


def _val(el, tag: str) -> str | None:
    child = el.find(f"{W}{tag}")
    return child.get(f"{W}val") if child is not None else None


_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_IDEOGRAPH_DIGITS = "〇一二三四五六七八九"
_LEGAL = "零壹贰叁肆伍陆柒捌玖"
_TRADITIONAL = "甲乙丙丁戊己庚辛壬癸"
_ZODIAC = "子丑寅卯辰巳午未申酉戌亥"


def format_number(n: int, fmt: str) -> str:
    """One counter value in a Word number format.

    >>> [format_number(12, f) for f in ("decimal", "chineseCounting", "ideographDigital", "chineseLegalSimplified")]
    ['12', '十二', '一二', '壹拾贰']
    """
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting",
               "taiwaneseCountingThousand", "koreanCounting"):
        return int_to_chinese(n) if 0 <= n < 1000 else str(n)
    if fmt in ("ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand"):
        return "".join(_IDEOGRAPH_DIGITS[int(d)] for d in str(n))
    if fmt in ("chineseLegalSimplified", "ideographLegalTraditional"):
        return _legal(n)
    if fmt == "ideographTraditional" and 1 <= n <= 10:
        return _TRADITIONAL[n - 1]
    if fmt == "ideographZodiac" and 1 <= n <= 12:
        return _ZODIAC[n - 1]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 20:
        return _CIRCLED[n - 1]
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return "".join(chr(0xFF10 + int(d)) for d in str(n))
    if fmt in ("lowerLetter", "upperLetter") and n >= 1:
        letter = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman") and 1 <= n < 4000:
        roman = _roman(n)
        return roman.lower() if fmt == "lowerRoman" else roman
    return str(n)


def _legal(n: int) -> str:
    plain = int_to_chinese(n) if 0 <= n < 1000 else str(n)
    table = dict(zip("零一二三四五六七八九十百", "零壹贰叁肆伍陆柒捌玖拾佰"))
    out = "".join(table.get(ch, ch) for ch in plain)
    return ("壹" + out) if out.startswith("拾") else out


def _roman(n: int) -> str:
    out = []
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
                       (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out.append(sym)
            n -= value
    return "".join(out)
