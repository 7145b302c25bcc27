import json
import re

import pytest

from assistant.errors import ParseError
from assistant.parser import parse_file, parse_text
from assistant import phrases
from assistant.types import DatesState, DocStatus
from tests.conftest import GOLDEN, WUHAN


@pytest.fixture(scope="module")
def doc():
    return parse_file(WUHAN)


def test_clause_table_matches_golden_file(doc):
    golden = json.loads((GOLDEN / "clauses.json").read_text(encoding="utf-8"))
    got = [{"id": c.id, "article": c.article_title, "departments": list(c.departments),
            "starts_with": c.text[:12], "ends_with": c.text[-6:]} for c in doc.clauses]
    assert got == golden["clauses"]
    d = golden["document"]
    assert (doc.title, doc.status.value, doc.status_text, doc.effective_from, doc.effective_until) == (
        d["title"], d["status"], d["status_text"], d["effective_from"], d["effective_until"])
    assert (doc.level, doc.region, doc.validity, doc.dates_state.value, len(doc.departments)) == (
        d["level"], d["region"], d["validity"], d["dates_state"], d["departments"])
    assert not any(c.lead or c.tables or c.final for c in doc.clauses)


def test_document_metadata_is_as_written(doc):
    assert doc.title == "武汉市加快推进数智经济高质量发展若干政策措施"
    assert doc.status is DocStatus.DRAFT and doc.status_text == "征求意见稿"
    assert (doc.effective_from, doc.effective_until) == ("2026年X月X日", "2028年X月X日")
    assert not doc.dates_fixed and doc.dates_state is DatesState.PLACEHOLDER
    assert doc.validity == "自2026年X月X日起施行，有效期至2028年X月X日" and doc.term_months is None
    assert (doc.level, doc.region, doc.local_label) == ("市", "武汉市", "本市")
    assert doc.dates_note() == phrases.DRAFT_NOTE.format(status="征求意见稿", start="2026年X月X日", end="2028年X月X日")


def test_shipped_policy_departments_come_only_from_its_notes(doc):
    """Body-text recognition adds nothing to the shipped policy: it names its departments in notes."""
    from assistant.departments import body_departments

    assert all(body_departments(c.text) == [] for c in doc.clauses)
    assert doc.departments[:3] == ("市数据局", "各区人民政府", "市经信局") and len(doc.departments) == 17


def test_ten_articles_with_titles(doc):
    numbered = [a for a in doc.articles if a.number is not None]
    assert [a.number for a in numbered] == list(range(1, 11))
    assert numbered[2].title == "夯实普惠高效算力支撑"


def test_3_4_is_the_compute_voucher_and_5_4_the_opc_grant(doc):
    by_id = {c.id: c for c in doc.clauses}
    assert by_id["3.4"].text.startswith("设立算力服务券")
    assert "OPC" in by_id["5.4"].text and "创业资助" in by_id["5.4"].text


def test_departments_apply_back_to_previous_note(doc):
    by_id = {c.id: c for c in doc.clauses}
    assert by_id["4.2"].departments == ("市科创局",)
    assert by_id["4.3"].departments == ("市科创局", "市经信局", "武汉产业创新研究院")
    assert by_id["5.4"].departments == ("市人才工作局",)


def test_final_provisions_are_not_part_of_article_10(doc):
    by_id = {c.id: c for c in doc.clauses}
    assert not any("就高不重复" in by_id[i].text for i in ("10.1", "10.2", "10.3"))
    assert "就高不重复" in by_id["附则.1"].text
    assert "有效期" in by_id["附则.2"].text
    assert by_id["附则.1"].article_no is None


def test_clause_text_is_verbatim_without_artifacts(doc):
    source = re.sub(r"\[bookmark:[^\]]*\]", "", WUHAN.read_text(encoding="utf-8"))
    for c in doc.clauses:
        assert "[bookmark" not in c.text
        assert c.text in source, c.id


def test_notes_are_not_items(doc):
    assert not any("（责任单位" in c.text for c in doc.clauses)


NUMBERED = """关于支持软件产业发展的若干措施（试行）

为支持软件产业发展，制定本措施。
一、支持企业做大做强
（一）对年度营业收入首次突破1亿元的软件企业，给予50万元奖励。（责任单位：市经信局）
（二）对新认定的国家级专精特新企业，给予30万元奖励。
第二句在同一项内。（责任单位：市经信局、市财政局）
二、优化发展环境
（一）建设软件园区。
本措施自2025年1月1日起施行，有效期至2027年12月31日。
"""

TIAO = """# 某市人才补贴办法

第一条 为吸引人才，制定本办法。
第二条 【补贴标准】对博士给予每月3000元生活补贴。对硕士给予每月2000元生活补贴。
第三条 本办法自2025年3月1日起施行。
"""


def test_numbered_item_format():
    d = parse_text(NUMBERED, name="numbered.txt")
    ids = [c.id for c in d.clauses]
    assert ids == ["1.1", "1.2", "2.1", "附则.1"]
    assert d.clauses[1].text.endswith("第二句在同一项内。")
    assert d.clauses[1].departments == ("市经信局", "市财政局")
    assert d.status_text == "试行" and d.effective_until == "2027年12月31日" and d.dates_fixed


def test_tiao_format_in_markdown(tmp_path):
    p = tmp_path / "talent.md"
    p.write_text(TIAO, encoding="utf-8")
    d = parse_file(p)
    assert d.title == "某市人才补贴办法"
    assert [c.id for c in d.clauses] == ["1.1", "2.1", "2.2", "3.1"]
    assert d.articles[1].title == "补贴标准"
    assert d.effective_from == "2025年3月1日"


def test_a_table_given_as_lines_of_text_belongs_to_the_sentence_that_points_to_it(tmp_path):
    # a text PDF gives a table as a caption line and lines of cells, with no 。 to end a sentence
    text = """# 某市物流措施

第一条 对新设立的物流企业总部，按照下表标准给予一次性落户奖励。
表 新引进物流企业落户奖励标准
类别 条件 奖励标准
企业总部 实缴注册资本5000万元以上 100万元
同一企业同时符合上表多项条件的，按照就高原则给予一次奖励。（责任单位：市商务局）
第二条 表彰先进企业。对获评示范企业的，给予10万元奖励。
"""
    p = tmp_path / "logistics.txt"
    p.write_text(text, encoding="utf-8")
    d = parse_file(p)
    first = [c for c in d.clauses if c.id.startswith("1.")]
    assert [c.id for c in first] == ["1.1", "1.2"]
    assert "100万元" in first[0].text
    assert first[1].text.startswith("同一企业同时符合上表")
    assert [c.text for c in d.clauses if c.id.startswith("2.")][0] == "表彰先进企业。"  # 表彰 is no caption


def test_docx_is_parsed_like_text(tmp_path):
    import docx

    document = docx.Document()
    for line in NUMBERED.splitlines():
        document.add_paragraph(line)
    p = tmp_path / "numbered.docx"
    document.save(p)
    d = parse_file(p)
    assert [c.id for c in d.clauses] == ["1.1", "1.2", "2.1", "附则.1"]


@pytest.mark.parametrize("text,line,words", [
    ("标题\n\n没有任何条款的文字。\n", 3, "未找到条款标题"),
    ("标题\n一、甲。正文一。\n三、丙。正文三。\n", 3, "不连续"),
    ("标题\n一、甲\n（一）第一项。\n（三）第三项。\n", 4, "项编号不连续"),
    ("标题\n一、甲\n", 2, "没有正文"),
    ("标题\n一、甲。正文\x07一。\n", 2, "控制字符"),
])
def test_bad_structure_names_file_and_line(tmp_path, text, line, words):
    p = tmp_path / "bad.txt"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ParseError) as info:
        parse_file(p)
    assert info.value.file == "bad.txt" and info.value.line == line
    assert words in str(info.value) and "bad.txt:" in str(info.value)


def test_invalid_utf8_names_the_line(tmp_path):
    p = tmp_path / "gbk.txt"
    p.write_bytes("标题\n一、甲。正文。\n".encode("utf-8") + "二、乙。".encode("gbk"))
    with pytest.raises(ParseError) as info:
        parse_file(p)
    assert info.value.line == 3 and "UTF-8" in str(info.value)


@pytest.mark.parametrize("name,content", [("empty.txt", b""), ("x.pdfx", b"abc"), ("broken.docx", b"not a zip")])
def test_unusable_files_are_refused(tmp_path, name, content):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(ParseError):
        parse_file(p)


def _pdf(path, lines):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))  # built into reportlab: no font file needed
    c = canvas.Canvas(str(path))
    c.setFont("STSong-Light", 11)
    y = 800
    for line in lines:
        if line == "<page>":
            c.showPage()
            c.setFont("STSong-Light", 11)
            y = 800
            continue
        c.drawString(40, y, line)
        y -= 18
    c.save()


def test_pdf_is_parsed_with_wrapped_lines_and_page_numbers(tmp_path):
    p = tmp_path / "talent.pdf"
    _pdf(p, ["某市人才补贴办法", "第一条 为吸引人才，制定", "本办法。", "- 1 -", "<page>",
             "第二条 对博士给予每月3000元生活补贴。（责任单位：市人社局）", "第三条 本办法自2025年3月1日起施行。", "2"])
    d = parse_file(p)
    assert d.title == "某市人才补贴办法"
    assert [c.id for c in d.clauses] == ["1.1", "2.1", "3.1"]
    assert d.clauses[0].text == "为吸引人才，制定本办法。"
    assert d.clauses[1].departments == ("市人社局",)


def test_pdf_without_text_is_refused(tmp_path):
    from reportlab.pdfgen import canvas

    p = tmp_path / "scan.pdf"
    canvas.Canvas(str(p)).save()
    with pytest.raises(ParseError, match="扫描件"):
        parse_file(p)
