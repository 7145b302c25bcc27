# -*- coding: utf-8 -*-
"""Build logistics.txt, clauses.txt and logistics.pdf from doc.py.
Run with /work/main/.venv/bin/python (reportlab + fontTools)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from doc import TITLE, DOCNO, ISSUE, CHAPTERS, clauses  # noqa: E402

FONT_DIR = os.path.join(HERE, "_font")


# ---------------------------------------------------------------- text
def build_txt():
    lines = [TITLE, DOCNO, ISSUE, ""]
    for chap, arts in CHAPTERS:
        lines.append(chap)
        lines.append("")
        for num, kind, content in arts:
            if kind == "i":
                lines.append(f"{num}  {content['lead']}")
                lines.extend(content["items"])
                if content["note"]:
                    lines.append(content["note"])
            else:
                first = True
                for para in content:
                    if isinstance(para, tuple):
                        _, cap, head, rows = para
                        lines.append(cap)
                        lines.append(" | ".join(head))
                        for r in rows:
                            lines.append(" | ".join(r))
                        continue
                    lines.append((f"{num}  " if first else "") + para)
                    first = False
            lines.append("")
    text = "\n".join(lines).rstrip() + "\n"
    with open(os.path.join(HERE, "logistics.txt"), "w", encoding="utf-8") as f:
        f.write(text)
    return text


def build_clauses():
    with open(os.path.join(HERE, "clauses.txt"), "w", encoding="utf-8") as f:
        for cid, t in clauses():
            f.write(f"r5-logistics:{cid}\t{t[:20]}\n")


# ---------------------------------------------------------------- font
def make_ttf(src, index, out, chars):
    """Subset a CFF-based Noto Sans CJK face and convert it to TrueType outlines
    (reportlab cannot embed CFF outlines)."""
    from fontTools.ttLib import TTCollection, newTable
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    font = TTCollection(src).fonts[index]
    opts = subset.Options()
    opts.layout_features = []
    opts.name_IDs = ["*"]
    opts.notdef_outline = True
    opts.drop_tables += ["VORG", "vhea", "vmtx", "GSUB", "GPOS", "GDEF", "BASE"]
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=[ord(c) for c in chars])
    sub.subset(font)

    order = font.getGlyphOrder()
    gs = font.getGlyphSet()
    glyphs = {}
    for name in order:
        tp = TTGlyphPen(gs)
        gs[name].draw(Cu2QuPen(tp, 1.0, reverse_direction=True))
        glyphs[name] = tp.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, g in glyphs.items():
        adv, _ = hmtx.metrics[name]
        hmtx.metrics[name] = (adv, getattr(g, "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for a in ("maxZones",):
        setattr(maxp, a, 1)
    for a in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
              "maxStackElements", "maxSizeOfInstructions", "maxComponentElements",
              "maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours",
              "maxComponentDepth"):
        setattr(maxp, a, 0)
    maxp.numGlyphs = len(order)
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\000\001\000\000"
    font.save(out)


# ---------------------------------------------------------------- pdf
def build_pdf(text):
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
    from reportlab.platypus import (SimpleDocTemplate, Paragraph, Spacer, Table,
                                    TableStyle, KeepTogether)
    from reportlab.lib import colors
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    os.makedirs(FONT_DIR, exist_ok=True)
    chars = set(text) | set("— 0123456789表类别条件奖励标准") | set(
        "".join(chr(c) for c in range(0x20, 0x7f)))
    chars.discard("\n")
    reg = os.path.join(FONT_DIR, "NotoSansSC-Regular-sub.ttf")
    bold = os.path.join(FONT_DIR, "NotoSansSC-Bold-sub.ttf")
    make_ttf("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2, reg, chars)
    make_ttf("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2, bold, chars)
    pdfmetrics.registerFont(TTFont("NotoSC", reg))
    pdfmetrics.registerFont(TTFont("NotoSC-Bold", bold))

    base = dict(fontName="NotoSC", fontSize=12, leading=22, wordWrap="CJK")
    st_title = ParagraphStyle("t", fontName="NotoSC-Bold", fontSize=18, leading=28,
                              alignment=TA_CENTER, wordWrap="CJK", spaceAfter=6)
    st_sub = ParagraphStyle("s", alignment=TA_CENTER, **base)
    st_chap = ParagraphStyle("c", fontName="NotoSC-Bold", fontSize=14, leading=24,
                             alignment=TA_CENTER, spaceBefore=10, spaceAfter=6,
                             wordWrap="CJK")
    st_body = ParagraphStyle("b", firstLineIndent=24, alignment=TA_JUSTIFY,
                             spaceAfter=3, **base)
    st_cell = ParagraphStyle("cell", fontName="NotoSC", fontSize=10.5, leading=16,
                             wordWrap="CJK")
    st_cellh = ParagraphStyle("cellh", fontName="NotoSC-Bold", fontSize=10.5,
                              leading=16, alignment=TA_CENTER, wordWrap="CJK")
    st_cap = ParagraphStyle("cap", fontName="NotoSC-Bold", fontSize=11, leading=18,
                            alignment=TA_CENTER, spaceBefore=4, spaceAfter=4,
                            wordWrap="CJK")

    story = [Paragraph(TITLE, st_title), Paragraph(DOCNO, st_sub),
             Paragraph(ISSUE, st_sub), Spacer(1, 10)]
    for chap, arts in CHAPTERS:
        story.append(Paragraph(chap, st_chap))
        for num, kind, content in arts:
            lab = f'<font name="NotoSC-Bold">{num}</font>\u3000'
            if kind == "i":
                story.append(Paragraph(lab + content["lead"], st_body))
                for it in content["items"]:
                    story.append(Paragraph(it, st_body))
                if content["note"]:
                    story.append(Paragraph(content["note"], st_body))
            else:
                first = True
                for para in content:
                    if isinstance(para, tuple):
                        _, cap, head, rows = para
                        data = [[Paragraph(h, st_cellh) for h in head]]
                        for r in rows:
                            data.append([Paragraph(r[0], st_cell), Paragraph(r[1], st_cell),
                                         Paragraph(r[2], st_cell)])
                        tb = Table(data, colWidths=[32 * mm, 105 * mm, 25 * mm],
                                   repeatRows=1)
                        tb.setStyle(TableStyle([
                            ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                            ("TOPPADDING", (0, 0), (-1, -1), 3),
                            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                        ]))
                        story.append(KeepTogether([Paragraph(cap, st_cap), tb]))
                        story.append(Spacer(1, 6))
                        continue
                    story.append(Paragraph((lab if first else "") + para, st_body))
                    first = False

    def footer(canv, doc):
        canv.saveState()
        canv.setFont("NotoSC", 11)
        canv.drawCentredString(A4[0] / 2, 14 * mm, f"— {doc.page} —")
        canv.restoreState()

    from reportlab.platypus import BaseDocTemplate, PageTemplate, Frame
    out = os.path.join(HERE, "logistics.pdf")
    doc = BaseDocTemplate(out, pagesize=A4, leftMargin=26 * mm, rightMargin=24 * mm,
                          topMargin=30 * mm, bottomMargin=28 * mm, title=TITLE,
                          author="澄川市人民政府")
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    # page number drawn at the end of each page (after the body text)
    doc.addPageTemplates([PageTemplate(id="p", frames=[frame], onPageEnd=footer)])
    doc.build(story)
    return out


if __name__ == "__main__":
    t = build_txt()
    build_clauses()
    print(build_pdf(t))
