"""Policy file → ``Document`` (articles, clauses, departments). Pure text processing.

Owns reading ``.txt`` / ``.md`` / ``.docx`` and the three article layouts found in
Chinese policy documents:

* ``一、标题。正文……（责任单位：…）``   (articles inline, items are sentences)
* ``一、标题`` on its own line, items as ``（一）…`` paragraphs
* ``第一条 …`` articles (items are ``（一）`` paragraphs, or else sentences)

Clause ids are ``<article>.<item>``; the ``（责任单位：…）`` notes are not items: they
give the departments of the items before them, back to the previous note. Paragraphs
after the last article that start with ``本政策/本办法/本措施…`` (or follow a ``附则``
heading) are the final provisions, ids ``附则.1``, ``附则.2`` ….

Either a whole document parses or ``ParseError`` names the file and line: never a
half-parsed corpus. Does not know about amounts (``rules``) or indexing.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ParseError
from assistant.numerals import chinese_to_int
from assistant.types import FINAL_SECTION, Article, Clause, DocStatus, Document

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".docx", ".pdf")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DOCX_UNPACKED_BYTES = 40 * 1024 * 1024  # sum of a .docx's entries once unpacked (text compresses ~10x)
MAX_DOCX_ENTRIES = 2000

_CN_NUM = "零〇一二两三四五六七八九十百"
_ARTIFACT = re.compile(r"\[bookmark:[^\]]*\]|\{#[^}]*\}|<a\s+(?:name|id)=[^>]*>\s*</a>")
_ART_INLINE = re.compile(rf"^([{_CN_NUM}]+)、(.*)$")
_ART_TIAO = re.compile(rf"^第([{_CN_NUM}\d]+)条[\s\u3000]*(.*)$")
_ITEM = re.compile(rf"^[（(]([{_CN_NUM}\d]+)[）)][\s\u3000]*(.*)$")
_NOTE = re.compile(r"[（(](?:责任单位|责任部门|牵头单位|责任主体)[：:]([^）)]*)[）)]")
_STATUS_LINE = re.compile(r"^[（(](征求意见稿|送审稿|草案|试行|暂行|修订稿)[）)]$")
_FINAL_START = re.compile(r"^(本政策|本措施|本政策措施|本办法|本细则|本规定|本通知|本意见|本方案|本条例)")
_FINAL_HEADING = re.compile(r"^(?:第[一二三四五六七八九十]+章[\s\u3000]*)?附[\s\u3000]*则$")
_EFFECTIVE_FROM = re.compile(r"自([\dXx×Ｘ]{4}年[\dXx×Ｘ]{1,2}月[\dXx×Ｘ]{1,2}日)起(?:施行|实施|执行|生效)")
_EFFECTIVE_UNTIL = re.compile(r"有效期(?:至|到)([\dXx×Ｘ]{4}年[\dXx×Ｘ]{1,2}月[\dXx×Ｘ]{1,2}日)")
_DEPT_SPLIT = re.compile(r"[、，,；;\s]+")


@dataclass(frozen=True)
class _Line:
    no: int  # 1-based line (or paragraph) number in the source file
    text: str


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
    return [_Line(i, raw) for i, raw in enumerate(text.splitlines(), start=1)]


_PAGE_NUMBER = re.compile(r"^[\s\-—–－·]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*/\s*\d{1,4})?[\s\-—–－·]*$")
_STARTS_UNIT = re.compile(rf"^(?:[{_CN_NUM}]+、|第[{_CN_NUM}\d]+条|[（(][{_CN_NUM}\d]+[）)]|附\s*则$|[（(](?:征求意见稿|试行|暂行)[）)])")


def _pdf_lines(data: bytes, name: str) -> list[_Line]:
    """Text of a PDF (pypdf), page numbers dropped, and physical lines re-joined into paragraphs:
    PDFs wrap sentences at the page edge, so a line continues the previous one unless it starts
    a heading/item or the previous one ended a sentence. Line numbers refer to extracted lines."""
    import io

    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:  # pragma: no cover - pypdf is a core dependency
        raise ParseError(name, None, "未安装 pypdf，无法读取 PDF") from None
    try:
        reader = PdfReader(io.BytesIO(data))
        raw = [line for page in reader.pages for line in (page.extract_text() or "").splitlines()]
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ParseError(name, None, f"不是有效的 PDF 文件（{type(exc).__name__}）") from None
    if not any(line.strip() for line in raw):
        raise ParseError(name, None, "PDF 中没有可提取的文字（可能是扫描件，请提供文字版或 .docx）")
    out: list[_Line] = []
    for no, line in enumerate(raw, start=1):
        text = line.strip()
        if not text or _PAGE_NUMBER.match(text):
            continue
        prev = out[-1].text if out else ""
        if out and not _STARTS_UNIT.match(text) and not prev.endswith(("。", "：", ":", "）", ")")):
            out[-1] = _Line(out[-1].no, prev + text)
        else:
            out.append(_Line(no, text))
    return out


def _docx_lines(data: bytes, name: str) -> list[_Line]:
    import io
    import zipfile

    import docx  # python-docx; imported here so text-only users never pay for it
    from lxml import etree

    check_docx_archive(data, name)
    try:
        d = docx.Document(io.BytesIO(data))
        return [_Line(i, para.text) for i, para in enumerate(d.paragraphs, start=1)]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, EOFError, NotImplementedError, etree.LxmlError) as exc:
        raise ParseError(name, None, f"不是有效的 .docx 文件（{type(exc).__name__}）") from None


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


def _clean(line: _Line, name: str) -> str:
    text = _ARTIFACT.sub("", line.text)
    for ch in text:
        if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r":
            raise ParseError(name, line.no, f"含有控制字符 U+{ord(ch):04X}")
    text = text.replace("\u200b", "").replace("\ufeff", "")
    text = re.sub(r"^#{1,6}\s*", "", text.strip())  # markdown headings
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), text)
    return text.strip()


# ---------------------------------------------------------------- structure


@dataclass
class _ArticleDraft:
    number: int
    title: str
    line: int
    paragraphs: list[_Line]


def parse_lines(raw_lines: list[_Line], *, name: str, doc_id: str, status: DocStatus | None,
                content_hash: str, source_path: str, id_prefix: str = "") -> Document:
    """``id_prefix`` namespaces clause ids of a second and later document (``"doc2:3.4"``)."""
    lines = [_Line(ln.no, _clean(ln, name)) for ln in raw_lines]
    nonblank = [ln for ln in lines if ln.text]
    if not nonblank:
        raise ParseError(name, None, "文件为空")

    header: list[_Line] = []
    preamble: list[_Line] = []
    articles: list[_ArticleDraft] = []
    final: list[_Line] = []
    in_final = False
    style: str | None = None

    for ln in nonblank:
        text = ln.text
        if in_final:
            if _article_heading(text):
                raise ParseError(name, ln.no, "附则之后又出现了条款标题，请检查文件结构")
            final.append(ln)
            continue
        heading = _article_heading(text)
        if heading is not None:
            kind, number, title, body = heading
            if style is None:
                style = kind
            if kind == style:
                expected = len(articles) + 1
                if number != expected:
                    raise ParseError(name, ln.no, f"条款编号不连续：期望第{expected}条，实际为“{text[:12]}”")
                articles.append(_ArticleDraft(number, title, ln.no, [_Line(ln.no, body)] if body else []))
                continue
        if _FINAL_HEADING.match(text) and articles:
            in_final = True
            continue
        if not articles:
            (preamble if header_done(header, preamble, text) else header).append(ln)
            continue
        if _FINAL_START.match(text) and not _ITEM.match(text):
            in_final = True
            final.append(ln)
            continue
        articles[-1].paragraphs.append(ln)

    if not articles:
        first = preamble[0].no if preamble else nonblank[0].no
        raise ParseError(name, first, "未找到条款标题（应为“一、…”“第一条 …”等格式）")

    title, status_text = _title_and_status(header)
    if not title:
        raise ParseError(name, nonblank[0].no, "缺少文件标题")
    doc_status = status or (DocStatus.DRAFT if status_text in {"征求意见稿", "送审稿", "草案", "修订稿"} else DocStatus.IN_FORCE)

    clauses: list[Clause] = []
    built_articles: list[Article] = []
    for art in articles:
        items = _items(art, name)
        ids = []
        for item_no, (text, depts) in enumerate(items, start=1):
            cid = f"{id_prefix}{art.number}.{item_no}"
            ids.append(cid)
            clauses.append(Clause(cid, doc_id, art.number, art.title, item_no, text, depts))
        built_articles.append(Article(art.number, art.title, tuple(ids)))
    if final:
        body = "".join(ln.text for ln in final)
        segs = _split_sentences(body, name, final[0].no)
        ids = []
        for k, (kind, text) in enumerate([s for s in segs if s[0] == "sentence"], start=1):
            cid = f"{id_prefix}{FINAL_SECTION}.{k}"
            ids.append(cid)
            clauses.append(Clause(cid, doc_id, None, FINAL_SECTION, k, text, ()))
        built_articles.append(Article(None, FINAL_SECTION, tuple(ids)))

    full_text = "".join(ln.text for ln in nonblank)
    m_from = _EFFECTIVE_FROM.search(full_text)
    m_until = _EFFECTIVE_UNTIL.search(full_text)
    return Document(
        id=doc_id, title=title, status=doc_status, status_text=status_text,
        effective_from=m_from.group(1) if m_from else None,
        effective_until=m_until.group(1) if m_until else None,
        preamble="".join(ln.text for ln in preamble),
        articles=tuple(built_articles), clauses=tuple(clauses),
        source_path=source_path, content_hash=content_hash,
    )


def header_done(header: list[_Line], preamble: list[_Line], text: str) -> bool:
    """Before the first article: title lines, then a status line, then the preamble."""
    if preamble:
        return True
    if _STATUS_LINE.match(text):
        return False
    # A line that reads as prose (ends with a full stop) starts the preamble.
    return bool(header) and text.endswith(("。", "：", ":"))


def _article_heading(text: str) -> tuple[str, int, str, str] | None:
    """(style, number, title, inline body) if ``text`` starts an article."""
    m = _ART_INLINE.match(text)
    if m:
        number = _to_int(m.group(1))
        rest = m.group(2)
        if number is None:
            return None
        # The heading is the first sentence; the body follows on the same line.
        cut = rest.find("。")
        if cut == -1:
            return ("inline", number, rest.strip(), "")
        return ("inline", number, rest[:cut].strip(), rest[cut + 1:].strip())
    m = _ART_TIAO.match(text)
    if m:
        number = _to_int(m.group(1))
        if number is None:
            return None
        rest = m.group(2).strip()
        tm = re.match(r"^[【\[]([^】\]]+)[】\]]\s*(.*)$", rest)
        if tm:
            return ("tiao", number, tm.group(1).strip(), tm.group(2).strip())
        return ("tiao", number, "", rest)
    return None


def _to_int(s: str) -> int | None:
    try:
        return chinese_to_int(s)
    except ValueError:
        return None


def _items(art: _ArticleDraft, name: str) -> list[tuple[str, tuple[str, ...]]]:
    """The article's items with their departments."""
    paragraphs = art.paragraphs
    if not paragraphs:
        raise ParseError(name, art.line, f"第{art.number}条没有正文")
    if any(_ITEM.match(p.text) for p in paragraphs):
        return _numbered_items(art, name)
    body = "".join(p.text for p in paragraphs)
    segs = _split_sentences(body, name, art.line)
    items: list[tuple[str, tuple[str, ...]]] = []
    pending: list[str] = []
    for kind, text in segs:
        if kind == "note":
            depts = _departments(text)
            items.extend((t, depts) for t in pending)
            pending = []
        else:
            pending.append(text)
    items.extend((t, ()) for t in pending)
    if not items:
        raise ParseError(name, art.line, f"第{art.number}条没有可引用的条目")
    return items


def _numbered_items(art: _ArticleDraft, name: str) -> list[tuple[str, tuple[str, ...]]]:
    groups: list[tuple[int, list[str]]] = []
    for p in art.paragraphs:
        m = _ITEM.match(p.text)
        if m:
            n = _to_int(m.group(1))
            if n != len(groups) + 1:
                raise ParseError(name, p.no, f"第{art.number}条的项编号不连续：期望（{len(groups) + 1}），实际为“{p.text[:8]}”")
            groups.append((p.no, [p.text]))
        elif not groups:
            # text between the heading and the first （一） has no item to belong to: refuse rather than guess
            raise ParseError(name, p.no, f"第{art.number}条在（一）之前有无法归属的文字")
        else:
            groups[-1][1].append(p.text)
    items = []
    for _, parts in groups:
        text = "".join(parts)
        notes = _NOTE.findall(text)
        depts: tuple[str, ...] = ()
        for n in notes:
            depts += tuple(d for d in _departments_raw(n) if d not in depts)
        items.append((_NOTE.sub("", text).strip(), depts))
    return items


def _split_sentences(body: str, name: str, line: int) -> list[tuple[str, str]]:
    """Split into ("sentence", text) ending in 。 and ("note", departments text), quote-aware."""
    out: list[tuple[str, str]] = []
    buf: list[str] = []
    depth = 0
    i = 0
    while i < len(body):
        if depth == 0:
            m = _NOTE.match(body, i)
            if m:
                if "".join(buf).strip():
                    out.append(("sentence", "".join(buf).strip()))
                buf = []
                out.append(("note", m.group(1)))
                i = m.end()
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


def _departments(note: str) -> tuple[str, ...]:
    return tuple(_departments_raw(note))


def _departments_raw(note: str) -> list[str]:
    return [d for d in _DEPT_SPLIT.split(note.strip()) if d]


def _title_and_status(header: list[_Line]) -> tuple[str, str]:
    status = ""
    parts: list[str] = []
    for ln in header:
        m = _STATUS_LINE.match(ln.text)
        if m:
            status = m.group(1)
            continue
        t = ln.text
        m2 = re.search(r"[（(](征求意见稿|送审稿|草案|试行|暂行|修订稿)[）)]$", t)
        if m2:
            status = m2.group(1)
            t = t[: m2.start()]
        parts.append(t.strip("《》 "))
    return "".join(parts), status
