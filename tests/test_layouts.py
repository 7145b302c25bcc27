"""Policies the product has never seen: every layout and format the parser reads, on realistic
fictional documents (tests/fixtures/policies/, and .docx built by tests/docx_fixtures.py)."""

import pytest

from assistant.errors import ParseError
from assistant.parser import parse_file, parse_text
from assistant.types import DatesState, DocStatus
from tests.conftest import ROOT
from tests.docx_fixtures import linjiang_digital_docx, yunzhou_sme_docx

FIXTURES = ROOT / "tests" / "fixtures" / "policies"


def by_id(doc):
    return {c.id: c for c in doc.clauses}


def article(doc, number):
    return next(a for a in doc.articles if a.number == number)


# ---------------------------------------------------------------- .md: chapters, 第X条, tables, lead-ins


@pytest.fixture(scope="module")
def binhu():
    return parse_file(FIXTURES / "binhu-talent-housing.md")


def test_chapters_are_not_articles_and_article_numbers_run_on(binhu):
    numbered = [a for a in binhu.articles if a.number is not None]
    assert [a.number for a in numbered] == list(range(1, 9))
    assert [a.chapter for a in numbered] == ["第一章 总则"] * 2 + ["第二章 支持措施"] * 4 + ["第三章 附则"] * 2


def test_articles_of_the_final_chapter_keep_their_numbers_and_are_final(binhu):
    assert [(a.number, a.final) for a in binhu.articles[-2:]] == [(7, True), (8, True)]
    c = by_id(binhu)["8.1"]
    assert c.text == "本办法自发布之日起施行，有效期三年。" and c.final and c.is_final_provision
    assert not by_id(binhu)["6.1"].is_final_provision
    assert not any(a.number is None for a in binhu.articles)  # no free-text 附则 section here


def test_untitled_articles_get_their_first_phrase_as_title_flagged(binhu):
    a4 = article(binhu, 4)
    assert (a4.title, a4.title_derived) == ("对新引进的全职博士研究生", True)
    assert by_id(binhu)["4.1"].article_title == "对新引进的全职博士研究生"
    assert (article(binhu, 3).title, article(binhu, 3).title_derived) == ("购房补贴", False)
    assert all(a.title and len(a.title) <= 16 for a in binhu.articles)
    assert article(binhu, 2).title == "本办法适用于在本区注册登记、依…"


def test_lead_in_is_kept_on_the_article_and_items_count_from_one(binhu):
    a5 = article(binhu, 5)
    assert a5.lead == "申请人才公寓的，按以下程序办理："
    assert a5.clause_ids == ("5.1", "5.2", "5.3")
    c = by_id(binhu)["5.1"]
    assert c.text == "用人单位向区人才办提交申请材料；" and c.lead == a5.lead
    assert not any(cl.text == a5.lead for cl in binhu.clauses)


def test_decimal_items_when_an_article_has_no_chinese_numbered_items(binhu):
    a6 = article(binhu, 6)
    assert a6.lead.startswith("对符合下列条件之一的用人单位") and a6.clause_ids == ("6.1", "6.2")
    assert by_id(binhu)["6.1"].text == "当年新引进全职博士研究生5人及以上的，给予10万元奖励；"


def test_markdown_table_belongs_to_the_sentence_before_it(binhu):
    c = by_id(binhu)["3.1"]
    assert c.text.startswith("对在本区首次购买商品住房的人才") and c.text.endswith("发放方式：一次性发放。")
    assert "人才类别：A类；购房补贴：100万元；发放方式：分五年发放。" in c.text
    assert c.table == (("人才类别", "购房补贴", "发放方式"), ("A类", "100万元", "分五年发放"),
                       ("B类", "50万元", "分三年发放"), ("C类", "20万元", "一次性发放"))
    assert by_id(binhu)["3.2"].text == "购房补贴由区住房保障中心受理，区人才办会同区财政局审核。"


def test_departments_from_body_text(binhu):
    c = by_id(binhu)
    # "由区人才办会同区财政局审核后按季度拨付。" says who administers article 4: it applies to 4.1 too
    assert c["4.1"].departments == ("区人才办", "区财政局")
    # in a numbered item the department named in the item applies to that item
    assert c["5.1"].departments == ("区人才办",)
    assert c["5.2"].departments == ("区人才办", "区住房保障中心")
    assert c["5.3"].departments == ("区住房保障中心",)
    # "以上奖励由区科技局负责审核。" after the items is about every item
    assert c["6.1"].departments == c["6.2"].departments == ("区科技局",) and article(binhu, 6).departments == ("区科技局",)
    assert set(binhu.departments) == {"区人社局", "区住房保障中心", "区人才办", "区财政局", "区科技局"}


def test_level_region_and_signature(binhu):
    assert (binhu.level, binhu.region, binhu.local_label) == ("区", "江陵市滨湖区", "本区")
    assert (binhu.issuer, binhu.issued) == ("江陵市滨湖区人民政府办公室", "2026年6月1日")
    assert not any("2026年6月1日" in c.text or "人民政府办公室" in c.text for c in binhu.clauses)


def test_relative_validity_counts_from_the_publication_date(binhu):
    assert (binhu.title, binhu.status, binhu.status_text, binhu.trial) == ("江陵市滨湖区人才安居办法", DocStatus.IN_FORCE, "试行", "试行")
    assert binhu.validity == "自发布之日起施行，有效期三年" and binhu.term_months == 36 and binhu.starts_on_publication
    assert (binhu.effective_from, binhu.effective_until, binhu.until_computed) == ("2026年6月1日", "2029年5月31日", True)
    assert binhu.dates_state is DatesState.KNOWN and binhu.dates_note() is None


# ---------------------------------------------------------------- .txt: 一、 + （一）, notes, 1. with （1） inside


@pytest.fixture(scope="module")
def qingshan():
    return parse_file(FIXTURES / "qingshan-manufacturing.txt")


def test_multi_part_note_gives_lead_and_supporting_units_back_to_the_previous_note(qingshan):
    c = by_id(qingshan)
    assert article(qingshan, 1).lead == "对符合下列条件的技术改造项目给予支持："
    assert c["1.1"].departments == c["1.2"].departments == ("县工信局", "县财政局", "县统计局")
    assert "牵头单位" not in c["1.2"].text and c["1.2"].text.endswith("再给予20万元奖励。")
    assert c["2.1"].departments == ("县工信局",)


def test_deeper_numbering_stays_inside_its_item(qingshan):
    c = by_id(qingshan)
    assert article(qingshan, 3).clause_ids == ("3.1", "3.2")
    assert "（1）贴息资金按年度拨付；（2）单户企业年度贴息最高50万元。" in c["3.2"].text
    # the trailing "由县工信局会同县财政局认定。" is about the whole article
    assert c["3.1"].departments == ("县工信局", "县财政局")


def test_sentence_led_by_a_department_applies_to_the_article(qingshan):
    c = by_id(qingshan)
    assert set(c["4.1"].departments) == set(c["4.2"].departments) == {"县自然资源局", "县供电公司"}


def test_trial_with_a_start_date_and_a_term(qingshan):
    assert (qingshan.level, qingshan.region, qingshan.local_label) == ("县", "青山县", "本县")
    assert (qingshan.effective_from, qingshan.effective_until) == ("2026年1月1日", "2027年12月31日")
    assert qingshan.trial == "试行" and qingshan.status is DocStatus.IN_FORCE and qingshan.status_text == ""
    assert [c.id for c in qingshan.clauses if c.article_no is None] == ["附则.1", "附则.2"]


# ---------------------------------------------------------------- .docx with Word numbering and tables


@pytest.fixture(scope="module")
def yunzhou(tmp_path_factory):
    return parse_file(yunzhou_sme_docx(tmp_path_factory.mktemp("docx") / "yunzhou-sme.docx"))


def test_word_numbering_is_read_from_numbering_xml(yunzhou):
    assert [(a.number, a.title) for a in yunzhou.articles] == [
        (1, "支持企业梯度成长"), (2, "强化创新能力"), (3, "加大融资支持"), (4, "优化服务保障"), (5, "加强组织实施"), (None, "附则")]
    assert [c.id for c in yunzhou.clauses] == ["1.1", "1.2", "2.1", "2.2", "3.1", "4.1", "4.2", "5.1", "5.2", "附则.1"]


def test_word_numbering_restarts_with_start_override_and_deeper_levels_stay_in_items(yunzhou):
    c = by_id(yunzhou)
    assert c["5.1"].text == "各区人民政府应当建立专精特新企业培育库；"  # numId 3 restarts the decimal list at 1
    assert c["2.1"].text == "支持专精特新企业建设研发机构：1.新认定为国家级企业技术中心的，给予200万元奖励；2.新认定为省级企业技术中心的，给予50万元奖励。"


def test_docx_table_rows_become_clause_text_and_stay_structured(yunzhou):
    c = by_id(yunzhou)["1.1"]
    assert c.text == ("对首次认定的专精特新企业，按下表标准给予一次性奖励：层级：国家级；类型：专精特新“小巨人”企业；奖励金额：100万元。"
                      "层级：国家级；类型：制造业单项冠军企业；奖励金额：150万元。层级：省级；类型：专精特新中小企业；奖励金额：30万元。")
    assert c.table[0] == ("层级", "类型", "奖励金额")
    assert c.table[2] == ("国家级", "制造业单项冠军企业", "150万元")  # the vertically merged cell repeats
    assert c.departments == ("市经信局", "市财政局")


def test_lead_in_without_item_numbering_and_article_level_department(yunzhou):
    a4 = article(yunzhou, 4)
    assert a4.lead == "市中小企业服务中心负责以下服务：" and a4.departments == ("市中小企业服务中心",)
    assert by_id(yunzhou)["4.2"].departments == ("市中小企业服务中心",)


def test_draft_with_relative_validity_is_not_dated_from_its_signature(yunzhou):
    assert yunzhou.status is DocStatus.DRAFT and yunzhou.status_text == "征求意见稿"
    assert yunzhou.issued == "2026年5月20日" and yunzhou.effective_from is None
    assert yunzhou.dates_state is DatesState.AWAITING_PUBLICATION
    assert yunzhou.dates_note() == "本政策目前为征求意见稿，原文规定“自发布之日起施行，有效期3年”，具体日期以正式发布的文件为准。"


@pytest.fixture(scope="module")
def linjiang(tmp_path_factory):
    return parse_file(linjiang_digital_docx(tmp_path_factory.mktemp("docx") / "linjiang-digital.docx"))


def test_chapters_and_articles_numbered_by_paragraph_styles(linjiang):
    assert [(a.number, a.chapter) for a in linjiang.articles] == [
        (1, "第一章 总则"), (2, "第一章 总则"), (3, "第二章 扶持措施"), (4, "第二章 扶持措施"), (5, "第三章 附则"), (6, "第三章 附则")]
    assert [a.final for a in linjiang.articles] == [False] * 4 + [True] * 2
    assert linjiang.title == "临江市数字经济企业培育暂行办法" and linjiang.trial == "暂行"


def test_item_lists_restart_in_each_article(linjiang):
    assert article(linjiang, 3).clause_ids == ("3.1", "3.2") and article(linjiang, 4).clause_ids == ("4.1", "4.2", "4.3")
    assert article(linjiang, 4).lead == "申请数字化转型专项资金，按以下程序办理："
    assert by_id(linjiang)["4.2"].departments == ("市数据局", "市财政局")


def test_absolute_dates_including_a_leap_day(linjiang):
    assert (linjiang.effective_from, linjiang.effective_until, linjiang.until_computed) == ("2026年3月1日", "2028年2月29日", False)
    assert linjiang.dates_state is DatesState.KNOWN and not linjiang.expired(__import__("datetime").date(2028, 2, 29))


# ---------------------------------------------------------------- text PDFs


@pytest.fixture(scope="module")
def low_altitude():
    return parse_file(FIXTURES / "binhu-low-altitude.pdf")


def test_pdf_page_numbers_and_running_header_are_dropped(low_altitude):
    assert low_altitude.title == "江陵市滨湖区促进低空经济高质量发展若干措施"  # wrapped over two centred lines
    assert not any("—" in c.text or "规范性文件" in c.text for c in low_altitude.clauses)
    assert [a.number for a in low_altitude.articles] == list(range(1, 13))


def test_pdf_article_split_across_pages_is_joined(low_altitude):
    c = by_id(low_altitude)
    assert c["5.1"].text == ("对开通低空物流、城市空中交通等商业化航线的运营企业，按照年度实际飞行架次给予运营补贴，每架次补贴100元，"
                             "单个企业年度补贴最高200万元，补贴期限不超过3年。")
    assert c["12.1"].text == "本措施自2026年7月1日起施行，有效期至2028年6月30日。"
    assert "落户" in c["3.1"].text  # glyphs extracted as Kangxi radicals are read as the characters


def test_pdf_departments_appear_only_in_body_text(low_altitude):
    c = by_id(low_altitude)
    assert c["3.1"].departments == ("区发展改革局", "区财政局")
    assert c["5.1"].departments == ("区交通运输局",)
    assert c["7.1"].departments == ("区发展改革局",)
    assert c["10.2"].departments == ("区商务局",) and c["10.1"].departments == ()
    assert c["4.1"].departments == ()
    assert (low_altitude.level, low_altitude.region) == ("区", "江陵市滨湖区")


def test_pdf_without_indentation_uses_short_lines_and_punctuation():
    d = parse_file(FIXTURES / "qingshan-guarantee.pdf")
    assert [(a.number, a.title) for a in d.articles] == [(1, "补偿对象"), (2, "补偿标准"), (3, "申报程序"), (None, "附则")]
    c = by_id(d)
    assert c["2.2"].text.endswith("单个机构年度奖励最高50万元。")  # item broken over a page break
    assert c["2.1"].departments == ("县财政局", "县工信局")
    assert (d.effective_until, d.level) == ("2028年12月31日", "县")


@pytest.mark.parametrize("line,is_number", [
    ("—1—", True), ("- 2 -", True), ("第 3 页", True), ("3/10", True), ("第 1 页 共 3 页", True), ("— 12 —", True), ("Page 4 of 9", True),
    ("100万元", False), ("（一）给予奖励。", False), ("第三条", False)])
def test_pdf_page_number_forms(line, is_number):
    from assistant.pdf_reader import _PAGE_NUMBER

    assert bool(_PAGE_NUMBER.match(line)) is is_number


# ---------------------------------------------------------------- smaller layouts


def test_items_on_one_line_after_a_lead_in():
    d = parse_text("某县人才驿站管理办法\n第一条 为规范管理，制定本办法。\n"
                   "第二条 申报程序如下：（一）企业提出申请；（二）县人社局会同县财政局审核；（三）公示后拨付。\n", name="inline.txt")
    a2 = article(d, 2)
    assert a2.lead == "申报程序如下：" and a2.clause_ids == ("2.1", "2.2", "2.3")
    assert by_id(d)["2.2"].text == "县人社局会同县财政局审核；" and by_id(d)["2.2"].departments == ("县人社局", "县财政局")


def test_item_numbers_may_run_on_across_articles():
    d = parse_text("某市促进消费若干措施\n一、扩大汽车消费\n（一）发放购车补贴。\n（二）支持以旧换新。\n"
                   "二、促进家电消费\n（三）开展家电下乡。\n（四）发放绿色家电消费券。\n", name="runon.txt")
    assert [c.id for c in d.clauses] == ["1.1", "1.2", "2.3", "2.4"]


def test_inline_heading_that_is_a_sentence_is_body_with_a_derived_title():
    d = parse_text("某市稳岗措施\n一、对吸纳高校毕业生就业的企业，给予每人1000元补贴。\n二、稳岗返还。对不裁员企业返还失业保险费。\n",
                   name="x.txt")
    assert (d.articles[0].title, d.articles[0].title_derived) == ("对吸纳高校毕业生就业的企业", True)
    assert by_id(d)["1.1"].text == "对吸纳高校毕业生就业的企业，给予每人1000元补贴。"
    assert (d.articles[1].title, d.articles[1].title_derived) == ("稳岗返还", False)


def test_parenthesised_numbers_when_there_are_no_higher_items():
    d = parse_text("某区科技创新奖励办法\n第一条 奖励标准如下：\n（1）新认定高新技术企业，奖励20万元；\n（2）重新认定的，奖励10万元。\n",
                   name="p.txt")
    assert [c.text for c in d.clauses] == ["新认定高新技术企业，奖励20万元；", "重新认定的，奖励10万元。"]


@pytest.mark.parametrize("status_line,status,draft", [
    ("（征求意见稿）", "征求意见稿", True), ("（送审稿）", "送审稿", True), ("（草案）", "草案", True),
    ("（试行）", "试行", False), ("（暂行）", "暂行", False)])
def test_status_words(status_line, status, draft):
    d = parse_text(f"某市人才办法\n{status_line}\n一、补贴。给予补贴。\n", name="s.txt")
    assert d.status_text == status and (d.status is DocStatus.DRAFT) == draft
    assert d.trial == ("" if draft else status)


@pytest.mark.parametrize("sentence,start,until,months", [
    ("本办法自2026年1月1日起施行，有效期至2027年12月31日。", "2026年1月1日", "2027年12月31日", None),
    ("本办法自2026年1月1日起试行，有效期两年。", "2026年1月1日", "2027年12月31日", 24),
    ("本办法有效期为2026年3月1日至2029年2月28日。", "2026年3月1日", "2029年2月28日", None),
    ("本办法自二〇二六年七月一日起施行，有效期5年。", "二〇二六年七月一日", "2031年6月30日", 60),
    ("本办法自发布之日起施行，有效期18个月。", None, None, 18),
])
def test_validity_forms(sentence, start, until, months):
    d = parse_text(f"某市办法\n一、补贴。给予补贴。\n{sentence}\n", name="v.txt")
    assert (d.effective_from, d.effective_until, d.term_months) == (start, until, months)


def test_in_force_document_is_never_said_to_have_undetermined_dates():
    awaiting = parse_text("某区办法\n一、补贴。给予补贴。\n本办法自发布之日起施行，有效期三年。\n", name="a.txt")
    assert awaiting.dates_state is DatesState.AWAITING_PUBLICATION
    placeholder = parse_text("某区办法\n一、补贴。给予补贴。\n本办法自2026年X月X日起施行。\n", name="b.txt")
    assert placeholder.dates_state is DatesState.PLACEHOLDER
    for d in (awaiting, placeholder):
        assert d.status is DocStatus.IN_FORCE and "尚未确定" not in d.dates_note()
    assert "有效期三年" in awaiting.dates_note()


def test_notes_without_a_label_name_departments_with_roles():
    d = parse_text("某市关于促进服务业发展的实施意见\n一、重点任务\n（一）建立企业服务专员制度。（市发展改革委牵头，市财政局、各区人民政府按职责分工负责）\n"
                   "（二）由市中小企业局（市经信局）负责企业培训。\n", name="u.txt")
    c = by_id(d)
    assert c["1.1"].text == "建立企业服务专员制度。" and c["1.1"].departments == ("市发展改革委", "市财政局", "各区人民政府")
    assert c["1.2"].text == "由市中小企业局（市经信局）负责企业培训。"  # an alias after a name is not a note


def test_level_from_self_reference_when_departments_do_not_say():
    d = parse_text("江陵市滨湖区关于支持企业上市的若干措施\n为推动企业上市，结合本区实际，制定本措施。\n一、上市奖励。给予奖励。\n", name="l.txt")
    assert (d.level, d.region) == ("区", "江陵市滨湖区")


def test_notice_wrapper_title_and_document_number():
    d = parse_text("关于印发《临江市人才公寓管理办法（试行）》的通知\n临政发〔2026〕8号\n各区人民政府，市直各部门：\n"
                   "现将《临江市人才公寓管理办法（试行）》印发给你们，请认真贯彻执行。\n第一条 为规范人才公寓管理，制定本办法。\n", name="n.txt")
    assert (d.title, d.status_text) == ("临江市人才公寓管理办法", "试行")


def test_table_with_a_caption_row_opening_an_article(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("某县人才引进奖励办法")
    d.add_paragraph("第一条 【奖励标准】")
    t = d.add_table(rows=4, cols=2)
    t.cell(0, 0).merge(t.cell(0, 1)).text = "人才引进奖励标准表"
    for r, (a, b) in enumerate([("学历", "奖励"), ("博士", "10万元"), ("硕士", "5万元")], start=1):
        t.cell(r, 0).text, t.cell(r, 1).text = a, b
    d.add_paragraph("奖励分两年发放。（责任单位：县人社局）")
    p = tmp_path / "caption.docx"
    d.save(p)
    c = by_id(parse_file(p))
    assert c["1.1"].text == "人才引进奖励标准表：学历：博士；奖励：10万元。学历：硕士；奖励：5万元。"
    assert c["1.1"].table == (("学历", "奖励"), ("博士", "10万元"), ("硕士", "5万元"))
    assert c["1.2"].text == "奖励分两年发放。" and c["1.1"].departments == c["1.2"].departments == ("县人社局",)


def test_article_titles_in_parentheses_or_alone_on_the_heading_line_and_enclosed_item_numbers():
    d = parse_text("某市办法\n第一条（立法目的）为了规范管理，制定本办法。\n第二条　适用范围\n本办法适用于本市企业。\n"
                   "第三条 补贴标准：\n㈠博士10万元；\n㈡硕士5万元。\n", name="t.txt")
    assert [(a.title, a.title_derived) for a in d.articles] == [("立法目的", False), ("适用范围", False), ("补贴标准", True)]
    assert [c.text for c in d.clauses] == ["为了规范管理，制定本办法。", "本办法适用于本市企业。", "博士10万元；", "硕士5万元。"]


def test_full_stop_after_chinese_article_numbers_and_parenthesised_digits():
    d = parse_text("某市办法\n一．总体要求。加快发展。\n二．重点任务\n⑴ 培育企业；\n⑵ 建设园区。\n", name="f.txt")
    assert [(c.id, c.article_title, c.text) for c in d.clauses] == [
        ("1.1", "总体要求", "加快发展。"), ("2.1", "重点任务", "培育企业；"), ("2.2", "重点任务", "建设园区。")]


def test_issuer_and_date_on_one_signature_line():
    d = parse_text("某区办法\n第一条 给予补贴。\n第二条 本办法自发布之日起施行。\n江陵市滨湖区人民政府　　2026年6月1日\n（此件公开发布）\n",
                   name="sig.txt")
    assert (d.issuer, d.issued, d.effective_from) == ("江陵市滨湖区人民政府", "2026年6月1日", "2026年6月1日")
    assert by_id(d)["2.1"].text == "本办法自发布之日起施行。"


def test_part_headings_over_tiao_articles_and_a_single_item_that_is_not_one():
    d = parse_text("某市办法\n一、总则\n第一条 为了规范，制定本办法。\n二、奖励\n第二条 奖励标准：\n一、博士10万元\n"
                   "第三条 本办法自2026年1月1日起施行。\n", name="parts.txt")
    assert [(a.number, a.chapter) for a in d.articles] == [(1, "一、总则"), (2, "二、奖励"), (3, "二、奖励")]
    assert by_id(d)["2.1"].text == "博士10万元" and d.articles[1].lead == "奖励标准："


def test_letterhead_bare_status_line_and_until_without_validity_word():
    d = parse_text("江陵市滨湖区人民政府文件\n滨政发〔2026〕5号\n江陵市滨湖区企业上市扶持办法\n征求意见稿\n"
                   "第一条 对在境内上市的企业，给予300万元奖励。\n第二条 本办法自2026年1月1日起施行，至2027年12月31日止。\n", name="h.txt")
    assert (d.title, d.status, d.status_text) == ("江陵市滨湖区企业上市扶持办法", DocStatus.DRAFT, "征求意见稿")
    assert d.effective_until == "2027年12月31日"


def test_hard_wrapped_line_starting_with_ben_banfa_continues_its_sentence():
    d = parse_text("某县奖励办法\n第一条 对新认定的企业给予奖励。\n第二条 奖励资金的申请，按照\n本办法第一条规定执行。\n", name="w.txt")
    assert by_id(d)["2.1"].text == "奖励资金的申请，按照本办法第一条规定执行。"
    assert not any(c.article_no is None for c in d.clauses)


def test_word_list_defined_through_a_numbering_style_link(tmp_path):
    import docx
    from docx.oxml import parse_xml

    from tests.docx_fixtures import W_NS, lvl, numbered

    d = docx.Document()
    numbering = d.part.numbering_part.element
    for child in list(numbering):
        numbering.remove(child)
    numbering.append(parse_xml(f'<w:abstractNum {W_NS} w:abstractNumId="1">{lvl(0, "chineseCounting", "%1、")}</w:abstractNum>'))
    numbering.append(parse_xml(f'<w:abstractNum {W_NS} w:abstractNumId="2"><w:numStyleLink w:val="PolicyList"/></w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {W_NS} w:numId="1"><w:abstractNumId w:val="1"/></w:num>'))
    numbering.append(parse_xml(f'<w:num {W_NS} w:numId="2"><w:abstractNumId w:val="2"/></w:num>'))
    d.styles.element.append(parse_xml(f'<w:style {W_NS} w:type="numbering" w:styleId="PolicyList"><w:name w:val="Policy List"/>'
                                      '<w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>'))
    d.add_paragraph("某市办法")
    numbered(d, "支持研发。对研发投入给予补助。", 2, 0)
    numbered(d, "支持人才。对人才给予奖励。", 2, 0)
    p = tmp_path / "link.docx"
    d.save(p)
    assert [(a.number, a.title) for a in parse_file(p).articles] == [(1, "支持研发"), (2, "支持人才")]


# ---------------------------------------------------------------- bad input: one line with file and line


@pytest.mark.parametrize("text,line,words", [
    ("某市办法\n第一章 总则\n第一条 为了规范。\n第三章 附则\n第二条 施行。\n", 4, "章编号不连续"),
    ("某市办法\n第一章 总则\n第二章 措施\n第一条 给予补贴。\n", 2, "第一章 总则没有条款"),
    ("某市办法\n第一条 给予补贴。\n第二条\n第三条 施行。\n", 3, "第二条没有正文"),
    ("某市办法\n第一条 标准如下：\n（一）\n（二）给予补贴。\n", 3, "第一条的“（一）”项没有内容"),
    ("某市办法\n第一条 标准如下：\n1. 博士10万元；\n3. 硕士5万元。\n", 4, "项编号不连续"),
    ("某市办法\n第一条 给予补贴。\n第三条 施行。\n", 3, "条款编号不连续"),
])
def test_broken_structure_is_one_line_with_file_and_line(tmp_path, text, line, words):
    p = tmp_path / "bad.md"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ParseError) as info:
        parse_file(p)
    assert (info.value.file, info.value.line) == ("bad.md", line), str(info.value)
    assert words in str(info.value) and "\n" not in str(info.value)


def _zip(path, parts):
    import zipfile

    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


@pytest.mark.parametrize("parts,words", [
    ({"word/other.xml": "<x/>"}, "不是有效的 .docx"),
    ({"word/document.xml": "<w:document"}, "document.xml 不是有效的 XML"),
    ({"word/document.xml": '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>'}, "没有正文"),
])
def test_garbage_docx_is_refused_in_one_line(tmp_path, parts, words):
    p = _zip(tmp_path / "garbage.docx", parts)
    with pytest.raises(ParseError) as info:
        parse_file(p)
    assert info.value.file == "garbage.docx" and words in str(info.value)


def test_docx_with_broken_numbering_xml_is_refused(tmp_path):
    import zipfile

    src = yunzhou_sme_docx(tmp_path / "ok.docx")
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["word/numbering.xml"] = b"<w:numbering"
    with pytest.raises(ParseError, match="numbering.xml 不是有效的 XML"):
        parse_file(_zip(tmp_path / "broken.docx", parts))


def test_docx_whose_word_numbering_skips_an_item_names_the_paragraph(tmp_path):
    import docx

    from tests.docx_fixtures import lvl, numbered, set_numbering

    d = docx.Document()
    set_numbering(d, {1: [lvl(0, "chineseCounting", "（%1）")]}, {1: (1, {}), 2: (1, {0: 3})})
    d.add_paragraph("某市办法")
    d.add_paragraph("第一条 支持方式如下：")
    numbered(d, "给予补贴；", 1, 0)
    numbered(d, "给予奖励。", 2, 0)  # a list instance that starts at 3: Word shows （三）
    p = tmp_path / "skip.docx"
    d.save(p)
    with pytest.raises(ParseError) as info:
        parse_file(p)
    assert info.value.line == 4 and "期望（二），实际为“（三）给予奖励" in str(info.value)


def test_docx_empty_numbered_paragraph_is_an_empty_item_not_a_gap(tmp_path):
    import docx

    from tests.docx_fixtures import lvl, numbered, set_numbering

    d = docx.Document()
    set_numbering(d, {1: [lvl(0, "chineseCounting", "（%1）")]}, {1: (1, {})})
    d.add_paragraph("某市办法")
    d.add_paragraph("第一条 支持方式如下：")
    numbered(d, "给予补贴；", 1, 0)
    numbered(d, "", 1, 0)  # Word shows a bare （二）
    numbered(d, "给予奖励。", 1, 0)
    p = tmp_path / "empty-item.docx"
    d.save(p)
    with pytest.raises(ParseError) as info:
        parse_file(p)
    assert info.value.line == 4 and "第一条的“（二）”项没有内容" in str(info.value)


@pytest.mark.parametrize("content", [b"%PDF-1.4\n garbage", b"\x00\x01 not a pdf at all", b""])
def test_garbage_pdf_is_refused_in_one_line(tmp_path, content):
    p = tmp_path / "garbage.pdf"
    p.write_bytes(content)
    with pytest.raises(ParseError) as info:
        parse_file(p)
    assert info.value.file == "garbage.pdf" and "\n" not in str(info.value)


# ---------------------------------------------------------------- in the product: add, lookup, answers


@pytest.fixture
def two_policies(tmp_path):
    import shutil

    from assistant.policies import add_policy
    from assistant.settings import load_settings
    from tests.conftest import WUHAN

    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    shutil.copy(WUHAN, corpus_dir)
    text = (FIXTURES / "binhu-talent-housing.md").read_text(encoding="utf-8")
    src = tmp_path / "binhu.md"
    src.write_text(text.replace("江陵市滨湖区人民政府办公室\n\n2026年6月1日\n", ""), encoding="utf-8")  # no signature date
    add_policy(corpus_dir, src, doc_id="binhu", status="in_force", effective_from="2026年6月1日")
    return load_settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index", data_dir=tmp_path / "data", embedder="hash")


def test_add_from_date_is_where_a_relative_term_starts(two_policies):
    from assistant.corpus import load_corpus

    corpus = load_corpus(two_policies.corpus_dir)
    doc = next(d for d in corpus.documents if d.id == "binhu")
    assert doc.issued is None and (doc.effective_from, doc.effective_until) == ("2026年6月1日", "2029年5月31日")
    assert doc.dates_note() is None and corpus.get("3.4").text.startswith("设立算力服务券")


def test_lookup_by_a_department_named_only_in_body_text(two_policies, monkeypatch):
    import json

    from typer.testing import CliRunner

    from assistant.cli import app

    monkeypatch.setenv("POLICY_CORPUS_DIR", str(two_policies.corpus_dir))
    r = CliRunner().invoke(app, ["lookup", "--dept", "区人才办", "--json"])
    assert r.exit_code == 0, r.output
    ids = [c["clause_id"] for c in json.loads(r.output)]
    assert ids == ["binhu:3.1", "binhu:3.2", "binhu:4.1", "binhu:4.2", "binhu:5.1", "binhu:5.2", "binhu:7.1"]
    r = CliRunner().invoke(app, ["lookup", "binhu:4.1"])
    assert "责任单位：区人才办、区财政局" in r.output and "施行日期2026年6月1日，有效期至2029年5月31日" in r.output


def test_answer_about_an_in_force_district_policy_has_no_undetermined_dates_note(two_policies):
    from assistant.pipeline import Conversation, Engine, ask
    from assistant.bootstrap import open_retriever

    retriever, _ = open_retriever(two_policies, quiet=True)
    a = ask("人才公寓怎么申请？", Engine(retriever.corpus, retriever), Conversation())
    assert a.citations and a.citations[0].clause_id == "binhu:5.1"
    assert a.citations[0].departments == ("区人才办",)
    assert not any("尚未确定" in n for n in a.notes)


# ---------------------------------------------------------------- worked examples and fuzzing


@pytest.mark.parametrize("module", ["assistant.dates", "assistant.departments", "assistant.docx_reader",
                                    "assistant.pdf_reader", "assistant.parser"])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


from hypothesis import given, settings, strategies as st  # noqa: E402

PIECES = st.sampled_from([
    "\n第一章 总则\n", "\n第二章 附则\n", "\n附则\n", "\n第一条 ", "\n第二条【标题】", "\n第三条 ", "\n一、", "\n二、", "\n（一）", "\n（二）",
    "\n1. ", "\n2、", "\n（1）", "\n（2）", "：（一）甲；（二）乙。", "。", "，", "：", "\n| 类别 | 金额 |\n|---|---|\n| A类 | 10万元 |\n",
    "（牵头单位：区科技局；配合单位：区财政局、区人才办）", "（责任单位：市经信局（市中小企业局））", "由区人才办会同区财政局审核。",
    "区科技局负责认定。", "本办法自发布之日起施行，有效期三年。", "本办法自2026年X月X日起施行。", "\n2026年6月1日\n", "\n某区人民政府\n",
    "\n（征求意见稿）\n", "给予10万元奖励", "以上补贴由县财政局拨付。", "\n"])
policy_text = st.lists(st.one_of(PIECES, st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80), max_size=6)),
                       max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(policy_text)
def test_any_layout_either_parses_completely_or_fails_in_one_line(text):
    try:
        doc = parse_text("某区政策\n" + text, name="fuzz.md")
    except ParseError as err:
        assert err.file == "fuzz.md" and "\n" not in str(err)
        return
    ids = [c.id for c in doc.clauses]
    assert doc.clauses and len(ids) == len(set(ids))
    assert all(c.text.strip() and c.article_title.strip() for c in doc.clauses)
    assert all(a.title.strip() and "【】" not in a.title for a in doc.articles)
    assert all(cid in ids for a in doc.articles for cid in a.clause_ids)


@settings(max_examples=60, deadline=None)
@given(fmt=st.sampled_from(["decimal", "chineseCounting", "chineseCountingThousand", "ideographDigital", "bullet", "none",
                            "upperRoman", "decimalEnclosedCircle", "nonsense"]),
       text=st.sampled_from(["%1、", "（%1）", "第%1条", "%1.", "%2.%1", "%9", "", "%1%1"]),
       start=st.integers(-3, 40), ilvl=st.integers(-2, 12), override=st.one_of(st.none(), st.integers(-5, 50)))
def test_any_word_numbering_either_parses_or_fails_in_one_line(tmp_path_factory, fmt, text, start, ilvl, override):
    import docx

    from tests.docx_fixtures import lvl, numbered, set_numbering

    d = docx.Document()
    set_numbering(d, {1: [lvl(0, fmt, text, start=start), lvl(1, "chineseCounting", "（%2）")]},
                  {1: (1, {} if override is None else {0: override})})
    d.add_paragraph("某市办法")
    for body in ("总则", "为了规范，制定本办法。", "给予补贴。"):
        numbered(d, body, 1, ilvl)
    p = tmp_path_factory.mktemp("fuzz") / "fuzz.docx"
    d.save(p)
    try:
        doc = parse_file(p)
    except ParseError as err:
        assert err.file == "fuzz.docx"
        return
    assert doc.clauses


def test_readme_format_example_parses_as_described():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## 政策文件格式"):readme.index("## 检索索引")]
    example = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    d = parse_text(example, name="readme.txt")
    assert [c.id for c in d.clauses] == ["1.1", "1.2", "2.1", "2.2", "3.1"]
    assert (d.articles[0].title, d.articles[0].title_derived) == ("对新引进的全职博士研究生", True)
    assert d.articles[1].lead == "申请人才公寓的，按以下程序办理："
    assert "“对新引进的全职博士研究生”" in section and "“申请人才公寓的，按以下程序办理：”是第二条的引导语" in section
    assert (d.level, d.region, d.status, d.trial) == ("区", "江陵市滨湖区", DocStatus.IN_FORCE, "试行")
    assert by_id(d)["1.1"].departments == ("区人才办", "区财政局")


def test_lead_in_is_part_of_the_retrieval_text_of_each_item(binhu):
    from assistant.index import node_text

    assert node_text(by_id(binhu)["5.1"]) == "人才公寓：申请人才公寓的，按以下程序办理：用人单位向区人才办提交申请材料；"
    assert node_text(by_id(binhu)["4.1"]).startswith("对新引进的全职博士研究生：对新引进")


@pytest.mark.parametrize("name,content", [("damaged.pdf", b"%PDF-1.7\n1 0 obj <<>>"), ("damaged.docx", b"PK\x03\x04garbage"),
                                          ("gaps.md", "某市办法\n第一条 给予补贴。\n第三条 施行。\n".encode())])
def test_add_refuses_a_bad_file_with_exactly_one_line(tmp_path, name, content):
    import os
    import shutil
    import subprocess
    import sys

    from tests.conftest import WUHAN

    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    shutil.copy(WUHAN, corpus_dir)
    src = tmp_path / name
    src.write_bytes(content)
    env = dict(os.environ, POLICY_CORPUS_DIR=str(corpus_dir), POLICY_INDEX_DIR=str(tmp_path / "index"), POLICY_EMBEDDER="hash")
    p = subprocess.run([sys.executable, "-m", "assistant.cli", "add", str(src)], capture_output=True, text=True, env=env)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.count("\n") == 1 and p.stderr.startswith(f"错误：无法解析政策文件 {name}")
    assert sorted(x.name for x in corpus_dir.iterdir() if not x.name.startswith(".")) == [WUHAN.name]  # the lock file aside


def test_dates_question_quotes_final_articles_of_a_final_chapter(two_policies):
    from assistant.pipeline import Conversation, Engine, ask
    from assistant.bootstrap import open_retriever

    retriever, _ = open_retriever(two_policies, quiet=True)
    a = ask("这个政策什么时候开始施行？", Engine(retriever.corpus, retriever), Conversation())
    assert {"附则.2", "binhu:8.1"} <= {c.clause_id for c in a.citations}
