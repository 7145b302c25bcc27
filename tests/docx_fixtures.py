"""Realistic fictional policies as .docx built at test time: python-docx for the body, raw
``numbering.xml`` for Word's automatic numbering (the numbers are not in the text), styles that carry
numbering, lvlOverride/startOverride restarts, merged table cells.

Each builder writes a file and returns its path. What Word would display is given in the docstrings;
the tests check that the parser sees exactly that.
"""

from __future__ import annotations

from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def lvl(ilvl: int, fmt: str, text: str, *, start: int = 1, restart: int | None = None, style: str | None = None,
        suff: str | None = None, legal: bool = False) -> str:
    parts = [f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>']
    if restart is not None:
        parts.append(f'<w:lvlRestart w:val="{restart}"/>')
    if style:
        parts.append(f'<w:pStyle w:val="{style}"/>')
    if legal:
        parts.append("<w:isLgl/>")
    if suff:
        parts.append(f'<w:suff w:val="{suff}"/>')
    parts.append(f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/></w:lvl>')
    return "".join(parts)


def set_numbering(document, abstracts: dict[int, list[str]], nums: dict[int, tuple[int, dict[int, int]]]) -> None:
    """Replace the template's numbering definitions: ``abstracts`` id → levels, ``nums`` id → (abstract, {ilvl: startOverride})."""
    numbering = document.part.numbering_part.element
    for child in list(numbering):
        numbering.remove(child)
    for aid, levels in abstracts.items():
        numbering.append(parse_xml(f'<w:abstractNum {W_NS} w:abstractNumId="{aid}"><w:multiLevelType w:val="multilevel"/>'
                                   + "".join(levels) + "</w:abstractNum>"))
    for nid, (aid, overrides) in nums.items():
        ov = "".join(f'<w:lvlOverride w:ilvl="{k}"><w:startOverride w:val="{v}"/></w:lvlOverride>' for k, v in overrides.items())
        numbering.append(parse_xml(f'<w:num {W_NS} w:numId="{nid}"><w:abstractNumId w:val="{aid}"/>{ov}</w:num>'))


def numbered(document, text: str, num_id: int | None = None, ilvl: int | None = None, style: str | None = None):
    p = document.add_paragraph(text, style=style)
    if num_id is not None:
        ilvl_xml = f'<w:ilvl w:val="{ilvl}"/>' if ilvl is not None else ""
        p._p.get_or_add_pPr().append(parse_xml(f'<w:numPr {W_NS}>{ilvl_xml}<w:numId w:val="{num_id}"/></w:numPr>'))
    return p


def numbered_style(document, style_id: str, num_id: int, ilvl: int | None = None):
    style = document.styles.add_style(style_id, WD_STYLE_TYPE.PARAGRAPH)
    ilvl_xml = f'<w:ilvl w:val="{ilvl}"/>' if ilvl is not None else ""
    style.element.get_or_add_pPr().append(parse_xml(f'<w:numPr {W_NS}>{ilvl_xml}<w:numId w:val="{num_id}"/></w:numPr>'))
    return style


def table(document, rows: list[list[str]], *, vmerge: list[tuple[int, int, int]] = ()):
    """``vmerge`` (col, first row, last row): cells merged vertically, text only in the first."""
    t = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            t.cell(r, c).text = value
    for col, a, b in vmerge:
        t.cell(a, col).merge(t.cell(b, col))
    return t


def yunzhou_sme_docx(path: Path) -> Path:
    """云州市专精特新中小企业梯度培育若干措施（征求意见稿）, Word-numbered ``一、`` / ``（一）`` / ``1.``.

    Word shows::

        一、支持企业梯度成长            (style ArticleHeading carries numId 1, level 0)
        （一）对首次认定的…按下表标准给予一次性奖励：   (numId 1, level 1)
        [table: 层级 | 类型 | 奖励金额, 国家级 merged over two rows]
        （二）…（责任单位：市经信局、市财政局）
        二、强化创新能力
        （一）…  (level 1 restarts under the new level-0 paragraph)
            1. … 2. …  (level 2: deeper numbering inside item （一）)
        （二）…
        三、加大融资支持   (a sentence article)
        四、优化服务保障
        1. … 2. …  (numId 2: decimal list)
        五、加强组织实施
        1. … 2. …  (numId 3: same abstract list, startOverride 1 → restarts at 1)
    """
    d = docx.Document()
    set_numbering(d, {
        1: [lvl(0, "chineseCounting", "%1、", style="ArticleHeading"), lvl(1, "chineseCounting", "（%2）"),
            lvl(2, "decimal", "%3.")],
        2: [lvl(0, "decimal", "%1.")],
    }, {1: (1, {}), 2: (2, {}), 3: (2, {0: 1})})
    numbered_style(d, "ArticleHeading", 1)
    d.add_paragraph("云州市专精特新中小企业梯度培育若干措施")
    d.add_paragraph("（征求意见稿）")
    d.add_paragraph("为加快构建优质中小企业梯度培育体系，推动中小企业走专精特新发展道路，结合我市实际，制定本措施。")
    numbered(d, "支持企业梯度成长", style="ArticleHeading")
    numbered(d, "对首次认定的专精特新企业，按下表标准给予一次性奖励：", 1, 1)
    table(d, [["层级", "类型", "奖励金额"],
              ["国家级", "专精特新“小巨人”企业", "100万元"],
              ["", "制造业单项冠军企业", "150万元"],
              ["省级", "专精特新中小企业", "30万元"]], vmerge=[(0, 1, 2)])
    numbered(d, "对通过复核的国家级专精特新“小巨人”企业，再给予20万元奖励。（责任单位：市经信局、市财政局）", 1, 1)
    numbered(d, "强化创新能力", style="ArticleHeading")
    numbered(d, "支持专精特新企业建设研发机构：", 1, 1)
    numbered(d, "新认定为国家级企业技术中心的，给予200万元奖励；", 1, 2)
    numbered(d, "新认定为省级企业技术中心的，给予50万元奖励。", 1, 2)
    numbered(d, "对专精特新企业牵头承担市级以上科技项目的，按项目实际研发投入的10%给予补助，最高200万元。由市科技局负责审核。", 1, 1)
    numbered(d, "加大融资支持。对专精特新企业获得银行贷款的，按照贷款市场报价利率的30%给予贴息，单户企业年度贴息最高50万元。（责任单位：市地方金融管理局）",
             style="ArticleHeading")
    numbered(d, "优化服务保障", style="ArticleHeading")
    d.add_paragraph("市中小企业服务中心负责以下服务：")
    numbered(d, "为专精特新企业提供政策咨询、管理诊断等免费服务；", 2, 0)
    numbered(d, "每年组织不少于4场专题培训。", 2, 0)
    numbered(d, "加强组织实施", style="ArticleHeading")
    numbered(d, "各区人民政府应当建立专精特新企业培育库；", 3, 0)
    numbered(d, "市经信局会同市统计局建立监测评价机制。", 3, 0)
    d.add_paragraph("本措施自发布之日起施行，有效期3年。")
    d.add_paragraph("云州市经济和信息化局")
    d.add_paragraph("2026年5月20日")
    d.save(path)
    return path


def linjiang_digital_docx(path: Path) -> Path:
    """临江市数字经济企业培育暂行办法: 第X章 / 第X条 from numbering inherited from styles.

    Abstract list 10: level 0 "第%1章" (style ChapterHeading), level 1 "第%2条" (style ArticleText) with
    lvlRestart 0, so article numbers run on across chapters as in a real regulation. The （一） items of
    each article are a new list instance (numId 21, 22) of abstract 20 restarting with startOverride.
    """
    d = docx.Document()
    set_numbering(d, {
        10: [lvl(0, "chineseCounting", "第%1章", style="ChapterHeading", suff="space"),
             lvl(1, "chineseCountingThousand", "第%2条", restart=0, style="ArticleText", suff="space")],
        20: [lvl(0, "chineseCounting", "（%1）")],
    }, {10: (10, {}), 21: (20, {0: 1}), 22: (20, {0: 1})})
    numbered_style(d, "ChapterHeading", 10, 0)
    numbered_style(d, "ArticleText", 10, 1)
    d.add_paragraph("临江市数字经济企业培育暂行办法")
    d.add_paragraph("临政办发〔2026〕12号")
    numbered(d, "总则", style="ChapterHeading")
    numbered(d, "为培育壮大数字经济企业，根据有关规定，结合本市实际，制定本办法。", style="ArticleText")
    numbered(d, "本办法适用于在本市注册、具有独立法人资格的数字经济企业。", style="ArticleText")
    numbered(d, "扶持措施", style="ChapterHeading")
    numbered(d, "对首次纳入规模以上统计的数字经济企业，给予一次性奖励，标准如下：", style="ArticleText")
    numbered(d, "年营业收入2000万元以下的，奖励10万元；", 21)
    numbered(d, "年营业收入2000万元及以上的，奖励20万元。", 21)
    numbered(d, "申请数字化转型专项资金，按以下程序办理：", style="ArticleText")
    numbered(d, "企业向所在区数据局提出申请；", 22)
    numbered(d, "市数据局会同市财政局组织专家评审；", 22)
    numbered(d, "评审结果公示无异议后拨付资金。", 22)
    numbered(d, "附则", style="ChapterHeading")
    numbered(d, "本办法由市数据局负责解释。", style="ArticleText")
    numbered(d, "本办法自2026年3月1日起施行，有效期至2028年2月29日。", style="ArticleText")
    d.save(path)
    return path
