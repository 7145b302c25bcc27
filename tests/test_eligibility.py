"""The generic self-check: questions derived from each document's rules, conditions met / not met / unknown."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.corpus import Corpus
from assistant.eligibility import check, parse_answers, self_check_form, total_is_upper_bound, total_yuan
from assistant.errors import AmountError
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "policies"


@pytest.fixture(scope="module")
def docs(corpus):
    from assistant.parser import parse_file

    binhu = parse_file(FIXTURES / "binhu-talent-housing.md", doc_id="binhu", id_prefix="binhu:")
    county = parse_file(FIXTURES / "qingshan-manufacturing.txt", doc_id="qingshan", id_prefix="p2:")
    return Corpus.from_documents([*corpus.documents, binhu, county])


@pytest.fixture(scope="module")
def wuhan(docs):
    return self_check_form(docs, docs.documents[0].id)


def test_nothing_policy_specific_in_the_code():
    source = Path(ROOT / "assistant" / "eligibility.py").read_text(encoding="utf-8")
    for word in ("中小企业", "算力", "开源", "数商", "智能工厂", "牵头研发", "挂牌", "武汉"):
        assert word not in source


def test_every_question_comes_from_the_documents_rules(docs):
    for doc in docs.documents:
        form = self_check_form(docs, doc.id)
        rule_ids = {r.id for r in docs.rules if docs.get(r.clause_id).doc_id == doc.id}
        assert form.questions and all(set(q.rule_ids) <= rule_ids for q in form.questions)
        assert len({q.key for q in form.questions}) == len(form.questions)  # each asked once


def test_recipients_bases_and_tiers_of_the_shipped_policy(wuhan, docs):
    keys = {q.key for q in wuhan.questions}
    assert {"subject:中小企业", "base:算力服务费用", "base:模型采购费用", "tier:级别"} <= keys
    assert wuhan.question("tier:级别").options == ("国家级", "省级", "不适用")
    assert wuhan.question("base:算力服务费用").rule_ids == ("3.4-1", "3.5-1")  # one input for a shared base


def test_another_document_gets_its_own_questions(docs):
    form = self_check_form(docs, "binhu")
    keys = {q.key for q in form.questions}
    assert "tier:人才类别" in keys and "periods:binhu:4.1-1" in keys and not any("中小企业" in k for k in keys)
    answers = parse_answers(form, {"tier:人才类别": "A类", "units:binhu:3.1-1": "1"})
    results = {m.rule.id: m for m in check(form, answers, docs)}
    assert results["binhu:3.1-1"].calculation.amount_yuan > 0


def test_eligible_only_when_every_condition_is_met(wuhan, docs):
    a = parse_answers(wuhan, {"base:算力服务费用": "80万元"})
    m = next(m for m in check(wuhan, a, docs) if m.rule.id == "3.4-1")
    assert m.status == "unknown" and ("申请主体为中小企业", "unknown") in m.conditions and not m.counted
    a = parse_answers(wuhan, {"subject:中小企业": "是", "base:算力服务费用": "80万元"})
    m = next(m for m in check(wuhan, a, docs) if m.rule.id == "3.4-1")
    assert m.status == "eligible" and m.counted and m.calculation.amount_yuan == 200_000
    a = parse_answers(wuhan, {"subject:中小企业": "否", "base:算力服务费用": "80万元"})
    m = next(m for m in check(wuhan, a, docs) if m.rule.id == "3.4-1")
    assert m.status == "not_eligible" and m.calculation.amount_yuan == 0


def test_upper_bounds_are_summed_and_said(wuhan, docs):
    a = parse_answers(wuhan, {"subject:中小企业": True, "base:算力服务费用": "80万元", "base:模型采购费用": "40万元",
                              "condition:5.2-1:2": "是"})
    results = check(wuhan, a, docs)
    assert total_yuan(results) == 700_000 and total_is_upper_bound(results)
    assert next(m for m in results if m.rule.id == "6.3-1").is_upper_bound  # 不超过50%


def test_department_decided_conditions_are_review_not_met(wuhan, docs):
    a = parse_answers(wuhan, {"subject:牵头研发单位": "是", "base:算力服务费用": "100万元"})
    m = next(m for m in check(wuhan, a, docs) if m.rule.id == "3.5-1")
    assert m.status == "review" and any(s == "review" for _, s in m.conditions) and m.is_upper_bound


def test_threshold_condition_is_checked_from_the_amount(wuhan, docs):
    a = parse_answers(wuhan, {"subject:数据供方企业": "是", "base:数据交易额": "50万元"})
    m = next(m for m in check(wuhan, a, docs) if m.rule.id == "1.3-2")
    assert m.status == "not_eligible" and any(s == "not_met" and "100万元" in c for c, s in m.conditions)


def test_a_bare_number_is_read_as_wan_yuan_and_said(wuhan):
    a = parse_answers(wuhan, {"base:算力服务费用": "60"})
    assert a.get("base:算力服务费用") == 600_000 and "按60万元计算" in a.notes[0]


def test_unknown_keys_and_bad_choices_are_errors(wuhan):
    with pytest.raises(AmountError):
        parse_answers(wuhan, {"flag:open_source": True})
    with pytest.raises(AmountError):
        parse_answers(wuhan, {"tier:级别": "部级"})


def test_report_pdf_has_inputs_measures_upper_bounds_and_the_draft_notice(wuhan, docs):
    import io

    from pypdf import PdfReader

    from assistant.report import build_report, report_markdown, report_pdf

    a = parse_answers(wuhan, {"subject:中小企业": "是", "base:算力服务费用": "80万元", "base:模型采购费用": "40万元",
                              "condition:5.2-1:2": "是"})
    r = build_report(wuhan, a, check(wuhan, a, docs), docs)
    pdf = report_pdf(r)
    assert pdf.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    for expected in ("是否属于中小企业", "80万元", "入选武汉市优秀开源软件项目", "算力服务券补助", "20万元（上限）", "市经信局",
                     "征求意见稿", "测算合计：70万元", "设立算力服务券"):
        assert expected in text, expected
    md = report_markdown(r)
    assert "（征求意见稿）（征求意见稿）" not in md and "- 是否属于中小企业：是" in md and "为可获得的上限" in md
