"""Policy file → ``Document`` (articles, clauses, departments, dates). Pure text processing.

Reads ``.txt`` / ``.md`` (``#`` headings, ``|`` tables), ``.docx`` (``docx_reader``: Word's automatic
numbering and tables) and text ``.pdf`` (``pdf_reader``: page numbers, wrapped lines) into lines, then
finds the structure by its form, never by policy-specific words:

* ``一、标题。正文……（责任单位：…）`` — inline articles, the items are the sentences;
* ``一、标题`` or ``第一条 …`` then items ``（一）…``; in an article without ``（一）`` items, ``1.`` /
  ``1、`` / ``（1）`` items (deeper numbering stays inside its item). Text before the first item is the
  article's lead-in (``申报程序如下：``): context for every item, not an item itself;
* ``第一章 总则`` chapters over ``第一条`` articles, numbers running on; articles of a ``第X章 附则``
  chapter keep their numbers and are marked final;
* an article without a title gets its first phrase as title (``title_derived``).

Clause ids are ``<article>.<item>``. ``（责任单位：…）`` notes are not items: they give the departments of
the items before them, back to the previous note. A department acting in an item's text ("由区人才办
会同区财政局审核") belongs to that item; one in the lead-in or an article-level sentence (``以上…``) to
every item of the article (see ``departments``). Free paragraphs after the last article that start
``本政策/本办法…`` (or follow a bare ``附则`` heading) are the final provisions ``附则.1`` …; a signature
block (issuer, date) at the end is metadata. Dates and validity are read by ``dates``.

Either a whole document parses or ``ParseError`` names the file and line: never a half-parsed corpus.
Does not know about amounts (``rules``) or indexing.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant import dates as dates_mod
from assistant import departments as dept_mod
from assistant.errors import ParseError
from assistant.numerals import chinese_to_int, int_to_chinese
from assistant.types import FINAL_SECTION, Article, Clause, DocStatus, Document, Table

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".docx", ".pdf")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DOCX_UNPACKED_BYTES = 40 * 1024 * 1024  # sum of a .docx's entries once unpacked (text compresses ~10x)
MAX_DOCX_ENTRIES = 2000

_CN_NUM = "零〇一二两三四五六七八九十百"
_ARTIFACT = re.compile(r"\[bookmark:[^\]]*\]|\{#[^}]*\}|<a\s+(?:name|id)=[^>]*>\s*</a>")
_ART_INLINE = re.compile(rf"^([{_CN_NUM}]+)(?:、|[．.](?!\d))[\s\u3000]*(.*)$")
_ART_TIAO = re.compile(rf"^第([{_CN_NUM}\d]+)条[\s\u3000]*(.*)$")
_CHAPTER = re.compile(rf"^第([{_CN_NUM}\d]+)([章节])(?:[\s\u3000]+(.*)|([^\s\u3000，。；：].{{0,20}})?)$")
_TIAO_TITLE = re.compile(r"^(?:[【\[［]([^】\]］]*)[】\]］]|[（(]([^）)：:，,。\d]{2,12})[）)])[\s\u3000]*(.*)$")
_STATUS_WORDS = "征求意见稿|送审稿|修订草案|草案|试行|暂行|修订稿|讨论稿"
_DRAFT_WORDS = {"征求意见稿", "送审稿", "修订草案", "草案", "修订稿", "讨论稿"}
_STATUS_LINE = re.compile(rf"^[（(]({_STATUS_WORDS})[）)]$|^(征求意见稿|送审稿|讨论稿)$")
_STATUS_SUFFIX = re.compile(rf"[（(]({_STATUS_WORDS})[）)]$")
_FINAL_START = re.compile(r"^(本政策|本措施|本政策措施|本办法|本细则|本规定|本通知|本意见|本方案|本条例|本规则|本实施办法)")
_FINAL_TITLE = re.compile(r"^附[\s\u3000]*则$")
_DOC_NUMBER = re.compile(r"^[\u4e00-\u9fff]{1,12}[〔\[［【(（]\d{4}[〕\]］】)）]\s*\d+\s*号$")
_ISSUER = re.compile(r"^[\u4e00-\u9fff（）()]{2,40}(?:人民政府|政府|办公室|办公厅|委员会|管委会|领导小组|局|办|委|厅|部|中心|集团)$")
_LETTERHEAD = re.compile(r"^[\u4e00-\u9fff（）()]{2,40}文件$")  # 红头: "江陵市滨湖区人民政府文件"
_PUBLIC_NOTE = re.compile(r"^[（(]此件[^）)]{0,12}[）)]$")
_TRAILER = re.compile(r"^(?:抄送|主送|抄报)[：:]|.*\d{4}年\d{1,2}月\d{1,2}日印发$")
_NOTICE_TITLE = re.compile(r"^(?:[\u4e00-\u9fa5（）()]{2,40}?)?关于印发《(.+)》的通知$")  # the issuer may lead: "某区人民政府办公室关于印发《…》的通知"
_ARTICLE_LEVEL = re.compile(r"^(?:上述|以上|前款|前述|上列|本条)")
_TITLE_CUT = re.compile(r"[，。；：:,;！？!?（(“]")

# Item numbering forms, highest level first. "一、" items exist only inside 第X条 articles.
_ITEM_FORMS: tuple[tuple[str, re.Pattern], ...] = (
    ("一、", re.compile(rf"^([{_CN_NUM}]+)(?:、|[．.](?!\d))[\s\u3000]*(.*)$")),
    ("（一）", re.compile(rf"^[（(]([{_CN_NUM}]+)[）)][\s\u3000]*(.*)$")),
    ("1.", re.compile(r"^(\d{1,2})(?:[.．](?!\d)|、)[\s\u3000]*(.*)$")),
    ("（1）", re.compile(r"^[（(](\d{1,2})[）)][\s\u3000]*(.*)$")),
    ("①", re.compile(r"^([①-⑳])[\s\u3000]*(.*)$")),
)


@dataclass(frozen=True)
class _Line:
    no: int  # 1-based line (or paragraph / table) number in the source file
    text: str
    table: Table | None = None  # a table block (its rows); ``text`` is then empty


def parse_file(path: str | Path, *, doc_id: str | None = None, status: DocStatus | None = None,
               id_prefix: str = "") -> Document:
    """Parse one policy file. ``status`` overrides what the text says (e.g. superseded)."""
    p = Path(path)
    name = p.name
    if p.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ParseError(name, None, f"不支持的文件类型“{p.suffix or '无扩展名'}”，支持 {'、'.join(SUPPORTED_SUFFIXES)}")
    if not p.is_file():
        raise ParseError(name, None, "文件不存在")
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ParseError(name, None, f"文件过大（{size} 字节，上限 {MAX_FILE_BYTES} 字节）")
    data = p.read_bytes()
    if p.suffix.lower() == ".docx":
        lines = _docx_lines(data, name)
    elif p.suffix.lower() == ".pdf":
        lines = _pdf_lines(data, name)
    else:
        lines = _text_lines(data, name)
    return parse_lines(lines, name=name, doc_id=doc_id or p.stem, status=status,
                       content_hash=hashlib.sha256(data).hexdigest(), source_path=str(p), id_prefix=id_prefix)


def parse_text(text: str, *, name: str = "<text>", doc_id: str = "doc", status: DocStatus | None = None,
               id_prefix: str = "") -> Document:
    """Parse policy text given as a string (tests, uploads)."""
    lines = _text_lines(text.encode("utf-8"), name)
    return parse_lines(lines, name=name, doc_id=doc_id, status=status,
                       content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(), source_path=name, id_prefix=id_prefix)


# ---------------------------------------------------------------- reading


def _text_lines(data: bytes, name: str) -> list[_Line]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ParseError(name, line, "不是有效的 UTF-8 文本，请将文件另存为 UTF-8 编码") from None
    return _markdown_tables([_Line(i, raw) for i, raw in enumerate(text.splitlines(), start=1)])


_MD_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_MD_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _markdown_tables(lines: list[_Line]) -> list[_Line]:
    """``| a | b |`` rows with a ``|---|`` separator under the header become one table line."""
    out: list[_Line] = []
    i = 0
    while i < len(lines):
        if (i + 1 < len(lines) and _MD_ROW.match(lines[i].text) and _MD_SEPARATOR.match(lines[i + 1].text)):
            rows = [_md_cells(lines[i].text)]
            j = i + 2
            while j < len(lines) and _MD_ROW.match(lines[j].text):
                rows.append(_md_cells(lines[j].text))
                j += 1
            width = max(len(r) for r in rows)
            out.append(_Line(lines[i].no, "", tuple(tuple(r + [""] * (width - len(r))) for r in rows)))
            i = j
            continue
        out.append(lines[i])
        i += 1
    return out


def _md_cells(row: str) -> list[str]:
    inner = _MD_ROW.match(row).group(1)
    return [c.strip() for c in re.split(r"(?<!\\)\|", inner)]


def _pdf_lines(data: bytes, name: str) -> list[_Line]:
    from assistant.pdf_reader import pdf_lines

    try:
        return [_Line(no, text) for no, text in pdf_lines(data)]
    except ValueError as exc:
        raise ParseError(name, None, str(exc)) from None


def check_docx_archive(data: bytes, name: str) -> None:
    """Refuse a .docx before python-docx unpacks it: a decompression bomb (entries that unpack
    to more than ``MAX_DOCX_UNPACKED_BYTES`` in all) or XML with a DTD (entity expansion).

    Sizes are the ones the archive declares; zipfile never inflates an entry past its declared
    size (a lying header ends in a CRC error), so the sum bounds what reading can allocate."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            if len(infos) > MAX_DOCX_ENTRIES:
                raise ParseError(name, None, f"不是有效的 .docx 文件（压缩包内文件过多：{len(infos)} 个）")
            unpacked = sum(i.file_size for i in infos)
            if unpacked > MAX_DOCX_UNPACKED_BYTES:
                raise ParseError(name, None, f"文件解压后过大（{unpacked // 1024 // 1024} MB，上限 {MAX_DOCX_UNPACKED_BYTES // 1024 // 1024} MB）")
            for info in infos:
                if info.filename.lower().endswith((".xml", ".rels")):
                    with z.open(info) as f:
                        head = f.read(4096)
                    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
                        raise ParseError(name, None, f"不是有效的 .docx 文件（{info.filename} 含有 DTD 声明）")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, ValueError) as exc:
        raise ParseError(name, None, f"不是有效的 .docx 文件（{type(exc).__name__}）") from None


def _docx_lines(data: bytes, name: str) -> list[_Line]:
    import zipfile

    from lxml import etree

    from assistant.docx_reader import docx_blocks

    check_docx_archive(data, name)
    try:
        return [_Line(b.no, b.text, b.table) for b in docx_blocks(data)]
    except ValueError as exc:
        reason = str(exc)
        raise ParseError(name, None, reason if reason.startswith("不是有效的 .docx") else f"不是有效的 .docx 文件（{reason}）") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, EOFError, NotImplementedError, etree.LxmlError) as exc:
        raise ParseError(name, None, f"不是有效的 .docx 文件（{type(exc).__name__}）") from None


def _clean_text(text: str, name: str, no: int) -> str:
    text = _ARTIFACT.sub("", text)
    for ch in text:
        if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r":
            raise ParseError(name, no, f"含有控制字符 U+{ord(ch):04X}")
    text = text.replace("\u200b", "").replace("\ufeff", "")
    text = re.sub(r"^#{1,6}\s*", "", text.strip())  # markdown headings
    text = _ENCLOSED.sub(_unenclose, text)
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), text)
    return text.strip()


_ENCLOSED = re.compile(r"^([㈠-㈩⑴-⒇⒈-⒛])")


def _unenclose(m: re.Match) -> str:
    """㈠ → （一）, ⑴ → （1）, ⒈ → 1.: one-character item numbers written the long way."""
    ch = m.group(1)
    if "㈠" <= ch <= "㈩":
        return f"（{int_to_chinese(ord(ch) - ord('㈠') + 1)}）"
    if "⑴" <= ch <= "⒇":
        return f"（{ord(ch) - ord('⑴') + 1}）"
    return f"{ord(ch) - ord('⒈') + 1}."


def _clean(line: _Line, name: str) -> _Line:
    if line.table is not None:
        rows = tuple(tuple(_clean_text(c, name, line.no) for c in row) for row in line.table)
        return _Line(line.no, "", tuple(r for r in rows if any(r)))
    return _Line(line.no, _clean_text(line.text, name, line.no))


def render_table(rows: Table) -> str:
    """A table as sentences, one per row: ``header：cell；…。``.

    >>> render_table((("人才类别", "安家补贴"), ("A类", "100万元"), ("B类", "50万元")))
    '人才类别：A类；安家补贴：100万元。人才类别：B类；安家补贴：50万元。'
    """
    if not rows:
        return ""
    header = rows[0]
    if len(rows) == 1:
        return "；".join(c for c in header if c) + "。"
    out = []
    for row in rows[1:]:
        parts = [f"{h}：{c}" if h and h != c else c for h, c in zip(header, row) if c]
        if parts:
            out.append("；".join(p.rstrip("。；;") for p in parts) + "。")
    return "".join(out)


def _split_caption(rows: Table) -> tuple[str, Table]:
    """A first row with one text across the whole width is the table's caption, not its header."""
    if len(rows) > 2 and len(rows[0]) > 1 and len({c for c in rows[0] if c}) == 1:
        return next(c for c in rows[0] if c), rows[1:]
    return "", rows


# ---------------------------------------------------------------- structure


@dataclass
class _ArticleDraft:
    number: int
    title: str
    line: int
    paragraphs: list[_Line]
    chapter: str = ""
    final: bool = False


@dataclass
class _Item:
    number: int
    line: int
    parts: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    note_depts: list[str] = field(default_factory=list)
    body_depts: list[str] = field(default_factory=list)
    text: str = ""
    marker: str = ""  # the item number as written: "（三）", "2."


def parse_lines(raw_lines: list[_Line], *, name: str, doc_id: str, status: DocStatus | None,
                content_hash: str, source_path: str, id_prefix: str = "") -> Document:
    """``id_prefix`` namespaces clause ids of a second and later document (``"doc2:3.4"``)."""
    lines = [ln for ln in (_clean(ln, name) for ln in raw_lines) if ln.text or ln.table]
    if not lines:
        raise ParseError(name, None, "文件为空")
    lines, issuer, issued = _strip_signature(lines)

    style = _style(lines)
    pre, articles, final = _outline(lines, style, name)

    if not articles:
        prose = [ln.no for ln in pre[1:] if ln.text.endswith(("。", "：", ":"))]  # the preamble, not the title
        first = prose[0] if prose else (pre[0].no if pre else lines[0].no)
        raise ParseError(name, first, "未找到条款标题（应为“一、…”“第一条 …”等格式）")

    title, status_text, preamble, header_date = _header(pre)
    if not title:
        raise ParseError(name, lines[0].no, "缺少文件标题")
    issued = issued or header_date
    places = dept_mod.places(title, issuer)

    clauses: list[Clause] = []
    built: list[Article] = []
    last_item = 0
    for art in articles:
        article, items, last_item = _build_article(art, name, places, style, last_item)
        for it in items:
            clauses.append(Clause(f"{id_prefix}{art.number}.{it.number}", doc_id, art.number, article.title, it.number,
                                  it.text, tuple(it.note_depts), lead=article.lead, tables=tuple(it.tables), final=article.final))
        built.append(replace(article, clause_ids=tuple(f"{id_prefix}{art.number}.{it.number}" for it in items)))
    if style == "tiao" and not any(a.final for a in built):
        built, clauses = _mark_trailing_final(built, clauses)
    if final:
        ids = []
        for k, it in enumerate(_sentence_items(final, places), start=1):
            cid = f"{id_prefix}{FINAL_SECTION}.{k}"
            ids.append(cid)
            clauses.append(Clause(cid, doc_id, None, FINAL_SECTION, k, it.text, (), tables=tuple(it.tables)))
        built.append(Article(None, FINAL_SECTION, tuple(ids), final=True))

    full_text = "".join(ln.text for ln in lines if ln.table is None)
    # the final provisions say when the policy applies; elsewhere a date may belong to another document
    final_text = "".join(c.text for c in clauses if c.is_final_provision)
    validity = dates_mod.read_validity(final_text)
    if not validity.text:
        validity = dates_mod.read_validity(full_text)
    doc_status = status or (DocStatus.DRAFT if status_text in _DRAFT_WORDS else DocStatus.IN_FORCE)
    trial = status_text if status_text in ("试行", "暂行") else ""
    if not trial:
        trial = "暂行" if "暂行" in title else "试行" if ("试行" in title or validity.trial) else ""
    all_depts = [d for c in clauses for d in c.departments]
    level, region = dept_mod.jurisdiction(title, full_text, all_depts, issuer)
    effective_from = validity.effective_from
    if (effective_from is None and validity.starts_on_publication and doc_status is not DocStatus.DRAFT
            and dates_mod.parse_date(issued or "")):
        effective_from = issued  # 自印发之日起施行: the date the document was signed (a draft's date is not that)
    doc = Document(
        id=doc_id, title=title, status=doc_status, status_text=status_text,
        effective_from=effective_from, effective_until=validity.effective_until,
        preamble=preamble, articles=tuple(built), clauses=tuple(clauses),
        source_path=source_path, content_hash=content_hash,
        level=level, region=region, trial=trial, validity=validity.text, term_months=validity.term_months,
        starts_on_publication=validity.starts_on_publication, issued=issued, issuer=issuer,
    )
    return dates_mod.complete(doc)


def _outline(lines: list[_Line], style: str, name: str) -> tuple[list[_Line], list[_ArticleDraft], list[_Line]]:
    """Sort the lines into (before the first article, articles with their paragraphs, free final
    provisions), following chapters (第X章, or 一、 part headings over 第X条 articles) and 附则."""
    heading_at = [i for i, ln in enumerate(lines) if ln.table is None and _article_heading(ln.text, style)]
    last_heading = heading_at[-1] if heading_at else -1

    pre: list[_Line] = []
    articles: list[_ArticleDraft] = []
    final: list[_Line] = []
    in_free_final = False
    chapter, chapter_no, part_no = "", 0, 0
    final_chapter_from: int | None = None  # number of articles when a 附则 chapter began
    chapter_start: tuple[int, int, int] | None = None  # (line, articles, final lines) at the last 第X章

    def close_chapter() -> None:
        if chapter_start and chapter_start[1] == len(articles) and chapter_start[2] == len(final):
            raise ParseError(name, chapter_start[0], f"{chapter}没有条款")

    for i, ln in enumerate(lines):
        text = ln.text
        if in_free_final:
            if ln.table is None and _article_heading(text, style):
                raise ParseError(name, ln.no, "附则之后又出现了条款标题，请检查文件结构")
            final.append(ln)
            continue
        if ln.table is None:
            ch = _CHAPTER.match(text)
            if ch and not _article_heading(text, style):
                n = _to_int(ch.group(1))
                title = (ch.group(3) or ch.group(4) or "").strip()
                if ch.group(2) == "章":
                    close_chapter()
                    if n != chapter_no + 1:
                        raise ParseError(name, ln.no, f"章编号不连续：期望第{int_to_chinese(chapter_no + 1)}章，实际为“{text[:12]}”")
                    chapter_no = n
                    chapter = f"第{ch.group(1)}章 {title}".strip()
                    chapter_start = (ln.no, len(articles), len(final))
                else:
                    chapter = f"{chapter.split(' 第')[0]} 第{ch.group(1)}节 {title}".strip()
                if _FINAL_TITLE.match(title):
                    final_chapter_from = len(articles)
                continue
            if style == "tiao" and _is_part_heading(lines, i, part_no):
                close_chapter()
                part_no += 1
                chapter = text
                chapter_start = (ln.no, len(articles), len(final))
                if _FINAL_TITLE.match(_ART_INLINE.match(text).group(2)):
                    final_chapter_from = len(articles)
                continue
            heading = _article_heading(text, style)
            if heading is not None:
                number, title, body = heading
                expected = len(articles) + 1
                if number != expected:
                    raise ParseError(name, ln.no, f"条款编号不连续：期望第{int_to_chinese(expected)}条，实际为“{text[:12]}”")
                articles.append(_ArticleDraft(number, title, ln.no, [_Line(ln.no, body)] if body else [], chapter,
                                              final_chapter_from is not None))
                continue
            if _FINAL_TITLE.match(text) and articles:
                final_chapter_from = len(articles)
                continue
        if not articles:
            pre.append(ln)
            continue
        if final_chapter_from is not None and final_chapter_from == len(articles):
            in_free_final = True  # a 附则 heading followed by free text, not by articles
            final.append(ln)
            continue
        if (i > last_heading and ln.table is None and _FINAL_START.match(text) and not _item_match(text)
                and articles[-1].paragraphs and _ends_sentence(articles[-1].paragraphs[-1])):
            in_free_final = True
            final.append(ln)
            continue
        articles[-1].paragraphs.append(ln)
    close_chapter()

    return pre, articles, final


def _style(lines: list[_Line]) -> str:
    """"tiao" when the articles are 第一条, 第二条 … (then 一、 lines are items or part headings), else "inline"."""
    numbers = [_to_int(m.group(1)) for ln in lines if ln.table is None and (m := _ART_TIAO.match(ln.text))]
    if 1 in numbers and (2 in numbers or not any(_ART_INLINE.match(ln.text) for ln in lines if ln.table is None)):
        return "tiao"
    return "inline"


def _is_part_heading(lines: list[_Line], i: int, part_no: int) -> bool:
    """In a 第X条 document, "一、总则" directly above a 第X条 line is a part heading (like a chapter)."""
    m = _ART_INLINE.match(lines[i].text)
    if not m or _to_int(m.group(1)) != part_no + 1 or len(lines[i].text) > 24 or lines[i].text.endswith(("。", "；", "：", "，")):
        return False
    if i > 0 and lines[i - 1].text.endswith(("：", ":")):  # "第二条 奖励标准：" + "一、博士10万元": an item
        return False
    nxt = lines[i + 1] if i + 1 < len(lines) else None
    return nxt is not None and nxt.table is None and _ART_TIAO.match(nxt.text) is not None


def _article_heading(text: str, style: str) -> tuple[int, str, str] | None:
    """(number, title, inline body) if ``text`` starts an article in this document's style."""
    if style == "inline":
        m = _ART_INLINE.match(text)
        if not m:
            return None
        number = _to_int(m.group(1))
        if number is None:
            return None
        rest = m.group(2).strip()
        cut = rest.find("。")
        title, body = (rest, "") if cut == -1 else (rest[:cut].strip(), rest[cut + 1:].strip())
        if not _reads_as_title(title):  # "一、对新引进的博士，给予……" has no title: the line is body
            return number, "", rest
        return number, title, body
    m = _ART_TIAO.match(text)
    if not m:
        return None
    number = _to_int(m.group(1))
    if number is None:
        return None
    rest = m.group(2).strip()
    tm = _TIAO_TITLE.match(rest)
    if tm and not (tm.group(2) and re.fullmatch(rf"[{_CN_NUM}]+", tm.group(2))):  # 第二条（一）… is an item
        return number, (tm.group(1) if tm.group(1) is not None else tm.group(2)).strip(), tm.group(3).strip()
    return number, "", rest


def _ends_sentence(line: _Line) -> bool:
    """A hard-wrapped line that happens to begin "本办法…" continues its sentence; final provisions
    begin after a finished one."""
    return line.table is not None or line.text.endswith(("。", "；", "）", ")", "！", "？", "：", ":"))


def _reads_as_title(text: str) -> bool:
    return bool(text) and len(text) <= 25 and not re.search(r"[，,；;：:\d]", text)


def _to_int(s: str) -> int | None:
    if len(s) == 1 and "①" <= s <= "⑳":
        return ord(s) - ord("①") + 1
    try:
        return chinese_to_int(s)
    except ValueError:
        return None


def _item_match(text: str) -> bool:
    return any(rx.match(text) for form, rx in _ITEM_FORMS if form != "一、")


# ---------------------------------------------------------------- header and signature


def _header(pre: list[_Line]) -> tuple[str, str, str, str | None]:
    """(title, status word, preamble, date) from the lines before the first article: title lines, a status
    line, then the preamble; document numbers (滨政发〔2026〕3号) and date lines are metadata."""
    status = ""
    parts: list[str] = []
    preamble: list[str] = []
    issued = None
    for ln in pre:
        t = ln.text
        if ln.table is not None:
            preamble.append(render_table(ln.table))
            continue
        dm = dates_mod.DATE_LINE.match(t)
        if dm:
            issued = issued or dm.group(1)
            continue
        if preamble:
            preamble.append(t)
            continue
        sm = _STATUS_LINE.match(t)
        if sm:
            status = sm.group(1) or sm.group(2)
            continue
        if _DOC_NUMBER.match(t) or (not parts and _LETTERHEAD.match(t)):
            continue
        if parts and re.fullmatch(r"[（(][^）)]*[）)]", t):  # "（2026年5月8日区政府常务会议通过）"
            inner = re.search(dates_mod.DATE, t)
            issued = issued or (inner.group() if inner else None)
            continue
        if parts and (t.endswith(("。", "：", ":")) or len(t) > 60):
            preamble.append(t)
            continue
        m2 = _STATUS_SUFFIX.search(t)
        if m2:
            status = m2.group(1)
            t = t[: m2.start()]
        parts.append(t.strip("《》 "))
    title = "".join(parts)
    notice = _NOTICE_TITLE.match(title)
    if notice:  # 关于印发《X（试行）》的通知: the policy is X
        title = notice.group(1)
        m3 = _STATUS_SUFFIX.search(title)
        if m3:
            status = status or m3.group(1)
            title = title[: m3.start()]
    return title, status, "".join(preamble), issued


def _strip_signature(lines: list[_Line]) -> tuple[list[_Line], str, str | None]:
    """Remove the signature block at the end (issuer, date, 此件公开发布, 抄送/印发 lines)."""
    issuer_lines: list[str] = []
    issued = None
    end = len(lines)
    while end > 1:
        ln = lines[end - 1]
        t = ln.text
        if ln.table is not None:
            break
        dm = dates_mod.DATE_LINE.match(t)
        both = re.match(rf"^(.+?)[\s\u3000]+({dates_mod.DATE})$", t)  # "江陵市滨湖区人民政府　2026年6月1日"
        if dm:
            issued = issued or dm.group(1)
        elif _PUBLIC_NOTE.match(t) or _TRAILER.match(t):
            pass
        elif both and _is_issuer(both.group(1).strip()):
            issuer_lines.insert(0, both.group(1).strip())
            issued = issued or both.group(2)
        elif _is_issuer(t):
            issuer_lines.insert(0, t)
        else:
            break
        end -= 1
    return lines[:end], "、".join(issuer_lines), issued


def _is_issuer(text: str) -> bool:
    return bool(_ISSUER.match(text)) and not _item_match(text) and not _ART_TIAO.match(text) and not _ART_INLINE.match(text)


# ---------------------------------------------------------------- articles and items


def _build_article(art: _ArticleDraft, name: str, places: tuple[str, ...], style: str,
                   last_item: int) -> tuple[Article, list[_Item], int]:
    """The article (title, lead-in, article-level departments) and its items; ``last_item`` is the
    previous article's last item number, which numbered items may run on from."""
    label = f"第{int_to_chinese(art.number)}条"
    if not art.paragraphs:
        raise ParseError(name, art.line, f"{label}没有正文")
    first = art.paragraphs[0]
    if (not art.title and style == "tiao" and len(art.paragraphs) > 1 and first.no == art.line and first.table is None
            and len(first.text) <= 12 and _reads_as_title(first.text) and not _item_match(first.text)):
        art = replace(art, title=first.text, paragraphs=art.paragraphs[1:])  # "第一条　立法目的" + body below
    paragraphs = _split_inline_items(art.paragraphs)
    form = _item_form(paragraphs, style)
    article_depts: list[str] = []
    lead = ""
    if form is None:
        items = _sentence_items(paragraphs, places)
        first_text = items[0].text if items else ""
        # a sentence whose subject is a department ("由区人才办会同区财政局审核后拨付。") says who
        # administers the whole article: its departments go to every item
        article_depts = _dedupe([d for it in items if dept_mod.leads_with_department(it.text, places) for d in it.body_depts])
    else:
        lead, article_depts, items = _numbered_items(paragraphs, form, name, places, label, last_item)
        first_text = lead or (items[0].text if items else "")
    if not items:
        raise ParseError(name, art.line, f"{label}没有可引用的条目")
    title, derived = art.title, False
    if not title:
        title, derived = _derive_title(first_text) or label, True
    for it in items:
        it.note_depts = _dedupe(it.note_depts + it.body_depts + article_depts)
    article = Article(art.number, title, (), lead=lead, title_derived=derived, chapter=art.chapter, final=art.final,
                      departments=tuple(article_depts))
    return article, items, (items[-1].number if form is not None else 0)


def _derive_title(text: str) -> str:
    """The first phrase of an article, at most 16 characters.

    >>> _derive_title("对新引进的博士研究生，给予每人10万元安家补贴。"), _derive_title("申报程序如下：")
    ('对新引进的博士研究生', '申报程序如下')
    """
    first = _TITLE_CUT.split(text.strip(), maxsplit=1)[0].strip()
    return first if len(first) <= 16 else first[:15] + "…"


def _item_form(paragraphs: list[_Line], style: str) -> tuple[str, re.Pattern] | None:
    """The highest numbering form that starts a paragraph of the article; deeper ones stay inside items."""
    for form, rx in _ITEM_FORMS:
        if form == "一、" and style != "tiao":
            continue
        if any(p.table is None and rx.match(p.text) for p in paragraphs):
            return form, rx
    return None


_INLINE_ITEM = re.compile(rf"(?:^|(?<=[：:；;。\s]))[（(]([{_CN_NUM}]+|\d{{1,2}})[）)]")


def _split_inline_items(paragraphs: list[_Line]) -> list[_Line]:
    """"申报程序如下：（一）企业申请；（二）区人才办审核。" on one line → the lead and one line per item,
    when the markers run （一）（二）… from one after a colon, semicolon or full stop."""
    out: list[_Line] = []
    for p in paragraphs:
        if p.table is not None:
            out.append(p)
            continue
        marks = [m for m in _INLINE_ITEM.finditer(p.text)]
        run: list[re.Match] = []
        for m in marks:
            if _to_int(m.group(1)) == len(run) + 1 and (not run or _same_kind(run[0].group(1), m.group(1))):
                run.append(m)
        if len(run) < 2:
            out.append(p)
            continue
        cuts = [m.start() for m in run]
        if cuts[0] > 0:
            out.append(_Line(p.no, p.text[: cuts[0]].strip()))
        for a, b in zip(cuts, cuts[1:] + [len(p.text)]):
            out.append(_Line(p.no, p.text[a:b].strip()))
    return out


def _same_kind(a: str, b: str) -> bool:
    return a.isdigit() == b.isdigit()


def _numbered_items(paragraphs: list[_Line], form: tuple[str, re.Pattern], name: str, places: tuple[str, ...],
                    label: str, last_item: int) -> tuple[str, list[str], list[_Item]]:
    """(lead-in, article-level departments, items) of an article with numbered items."""
    kind, rx = form
    lead_parts: list[str] = []
    article_depts: list[str] = []
    items: list[_Item] = []
    for p in paragraphs:
        if p.table is not None:
            caption, rows = _split_caption(p.table)
            rendered = (caption.rstrip("：:") + "：" if caption else "") + render_table(rows)
            if items:
                items[-1].parts.append(rendered)
                items[-1].tables.append(rows)
            else:
                lead_parts.append(rendered)
            continue
        m = rx.match(p.text)
        if m:
            n = _to_int(m.group(1))
            expected = items[-1].number + 1 if items else 1
            if n != expected and not (not items and last_item and n == last_item + 1):
                shown = f"（{int_to_chinese(expected)}）" if kind == "（一）" else str(expected)
                raise ParseError(name, p.no, f"{label}的项编号不连续：期望{shown}，实际为“{p.text[:8]}”")
            items.append(_Item(n, p.no, [m.group(2)], marker=p.text[: m.start(2)].strip()))
        elif not items:
            lead_parts.append(p.text)
        else:
            if _ARTICLE_LEVEL.match(p.text) or dept_mod.leads_with_department(p.text, places):
                # "以上补贴由区财政局拨付" / "由县工信局会同县财政局认定。" after the items: about every item
                article_depts += dept_mod.body_departments(_strip_notes(p.text), places)
                article_depts += [d for _, _, inner in dept_mod.find_notes(p.text) for d in dept_mod.note_departments(inner)]
            items[-1].parts.append(p.text)

    lead_raw = "".join(lead_parts)
    lead = _strip_notes(lead_raw).strip()
    article_depts = [d for _, _, inner in dept_mod.find_notes(lead_raw) for d in dept_mod.note_departments(inner)] \
        + dept_mod.body_departments(lead, places) + article_depts
    pending: list[_Item] = []
    for it in items:
        raw = "".join(it.parts)
        notes = dept_mod.find_notes(raw)
        it.text = _strip_notes(raw).strip()
        if not it.text:
            raise ParseError(name, it.line, f"{label}的“{it.marker}”项没有内容")
        it.body_depts = dept_mod.body_departments(it.text, places)
        pending.append(it)
        if notes:
            depts = [d for _, _, inner in notes for d in dept_mod.note_departments(inner)]
            for earlier in pending:  # a note names the departments of the items back to the previous note
                earlier.note_depts = _dedupe(earlier.note_depts + depts)
            pending = []
    return lead, _dedupe(article_depts), items


def _strip_notes(text: str) -> str:
    for start, end, _ in reversed(dept_mod.find_notes(text)):
        text = text[:start] + text[end:]
    return text


def _sentence_items(paragraphs: list[_Line], places: tuple[str, ...]) -> list[_Item]:
    """Items of an article without numbered items: its sentences. A table belongs to the sentence before it."""
    items: list[_Item] = []
    pending: list[_Item] = []
    buf: list[str] = []

    def flush() -> None:
        nonlocal pending
        for kind, text in _split_sentences("".join(buf)):
            if kind == "note":
                depts = dept_mod.note_departments(text)
                for it in pending:
                    it.note_depts = _dedupe(it.note_depts + depts)
                pending = []
            else:
                it = _Item(len(items) + 1, 0, [text], text=text, body_depts=dept_mod.body_departments(text, places))
                items.append(it)
                pending.append(it)
        buf.clear()

    in_table = False  # a table a PDF gave as lines of text ("表 新引进…标准", then its cells)
    for p in paragraphs:
        if p.table is None:
            before = "".join(buf) or (items[-1].text if items else "")
            if _TABLE_CAPTION.match(p.text) and _REFERS_TO_TABLE.search(before):
                flush()
                in_table = bool(items)
            elif in_table and "。" in p.text:
                in_table = False
            if in_table:
                items[-1].text += p.text  # belongs to the sentence that points to it, as a docx table does
                continue
            buf.append(p.text)
            continue
        flush()
        in_table = False  # the caption line was this table's
        caption, rows = _split_caption(p.table)
        rendered = (caption.rstrip("：:") + "：" if caption else "") + render_table(rows)
        if items:
            items[-1].text += rendered
            items[-1].tables.append(rows)
        else:
            it = _Item(1, p.no, [rendered], [rows], text=rendered)
            items.append(it)
            pending.append(it)
    flush()
    return items


# a table's caption line: 表 / 附表 / 表1 and a short title, no sentence
_TABLE_CAPTION = re.compile(r"^(?:附)?表\s*[0-9０-９一二三四五六七八九十]*[\s:：、．.-]*[^。；;]{2,40}$")
_REFERS_TO_TABLE = re.compile(r"(?:下|如下|以下|附|见)表")


def _split_sentences(body: str) -> list[tuple[str, str]]:
    """Split into ("sentence", text) ending in 。 and ("note", note inside), quote-aware."""
    notes = {start: (end, inner) for start, end, inner in dept_mod.find_notes(body)}
    out: list[tuple[str, str]] = []
    buf: list[str] = []
    depth = 0
    i = 0
    while i < len(body):
        if depth == 0 and i in notes:
            if "".join(buf).strip():
                out.append(("sentence", "".join(buf).strip()))
            buf = []
            end, inner = notes[i]
            out.append(("note", inner))
            i = end
            continue
        ch = body[i]
        buf.append(ch)
        if ch in "（(“‘《「":
            depth += 1
        elif ch in "）)”’》」":
            depth = max(0, depth - 1)
        elif ch == "。" and depth == 0:
            out.append(("sentence", "".join(buf).strip()))
            buf = []
        i += 1
    if "".join(buf).strip():
        out.append(("sentence", "".join(buf).strip()))
    return out


def _mark_trailing_final(articles: list[Article], clauses: list[Clause]) -> tuple[list[Article], list[Clause]]:
    """Without a 附则 chapter, the last 第X条 articles that start "本办法…" are the final provisions."""
    texts = {c.id: c.text for c in clauses}
    final_ids: set[str] = set()
    out = list(articles)
    for k in range(len(out) - 1, 0, -1):
        a = out[k]
        first = a.lead or (texts[a.clause_ids[0]] if a.clause_ids else "")
        if not _FINAL_START.match(first):
            break
        out[k] = replace(a, final=True)
        final_ids.update(a.clause_ids)
    return out, [replace(c, final=True) if c.id in final_ids else c for c in clauses]


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))
