"""The hotline's one box (``Corpus.lookup``): every common id form, short department names, keywords."""

from __future__ import annotations

import pytest

from assistant.corpus import Corpus, parse_ref
from assistant.errors import EmptyQueryError, UnknownClauseError, UnknownDocumentError
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "policies"


@pytest.fixture(scope="module")
def three_docs(corpus):
    """The shipped policy (plain ids), a district policy (``binhu:``) and a county one (``p2:``)."""
    from assistant.parser import parse_file

    binhu = parse_file(FIXTURES / "binhu-talent-housing.md", doc_id="binhu", id_prefix="binhu:")
    county = parse_file(FIXTURES / "qingshan-manufacturing.txt", doc_id="qingshan", id_prefix="p2:")
    return Corpus.from_documents([*corpus.documents, binhu, county])


@pytest.mark.parametrize("query", ["3.4", "3-4", "３.４", "3．4", "3。4", "3.4条", "第3.4条", "第三条第4项", "第三条第四项",
                                   "第3条第4项", "[3.4]", "【3.4】", " 3 - 4 "])
def test_every_common_form_of_an_id_finds_the_clause_first(corpus, query):
    assert corpus.lookup(query)[0].id == "3.4"


@pytest.mark.parametrize("query,ids", [("第五条", ["5.1", "5.2", "5.3", "5.4"]), ("5", ["5.1", "5.2", "5.3", "5.4"]),
                                       ("附则", ["附则.1", "附则.2"]), ("附则1", ["附则.1"]), ("附则第二项", ["附则.2"])])
def test_articles_and_final_provisions(corpus, query, ids):
    assert [c.id for c in corpus.lookup(query)] == ids


@pytest.mark.parametrize("query,ids", [("p2:3.1", ["p2:3.1"]), ("p2：3-1", ["p2:3.1"]), ("P2:第三条", ["p2:3.1", "p2:3.2"]),
                                       ("binhu:第二条第一项", ["binhu:2.1"]), ("qingshan:3.2", ["p2:3.2"])])
def test_prefixed_ids_and_document_ids(three_docs, query, ids):
    assert [c.id for c in three_docs.lookup(query)] == ids


def test_a_plain_id_without_a_document_prefers_plain_ids_then_the_same_number_elsewhere(three_docs):
    ids = [c.id for c in three_docs.lookup("3.1")]
    assert ids == ["3.1", "binhu:3.1", "p2:3.1"]


def test_lookup_limited_to_one_document(three_docs):
    assert [c.id for c in three_docs.lookup("3.1", doc="qingshan")] == ["p2:3.1"]
    assert [c.id for c in three_docs.lookup("第三条", doc="p2")] == ["p2:3.1", "p2:3.2"]
    with pytest.raises(UnknownClauseError):  # an id of another document is not in this one
        three_docs.lookup("p2:3.1", doc="binhu")
    with pytest.raises(UnknownDocumentError):
        three_docs.lookup("3.1", doc="nope")


@pytest.mark.parametrize("short,full", [("人才局", "市人才工作局"), ("经信局", "市经信局"), ("数据局", "市数据局"),
                                        ("市人才工作局", "市人才工作局")])
def test_short_department_names(corpus, short, full):
    assert corpus.match_departments(short)[0] == full
    clauses = corpus.lookup(short)
    assert clauses and all(full in c.departments for c in clauses)


def test_department_first_clause_is_the_departments_own(corpus):
    # 9.3 belongs to 市教育局/市人社局: it must not come first for 人才局
    assert corpus.lookup("人才局")[0].id == "5.4"
    assert [c.id for c in corpus.by_department("人才局")] == ["5.4", "9.1", "9.2"]


def test_an_exact_department_name_wins_over_longer_ones(three_docs):
    assert three_docs.match_departments("区人才办") == ["区人才办"]
    assert three_docs.match_departments("市教育厅") == []  # another last character: not the same body


def test_keywords_after_ids_and_departments(corpus):
    assert [c.id for c in corpus.lookup("流片")] == ["7.3"]
    assert corpus.lookup("算力 券")[0].id in {"3.4", "3.3"}


def test_an_unknown_id_is_an_error_but_unknown_words_are_just_empty(corpus):
    with pytest.raises(UnknownClauseError):
        corpus.lookup("99.1")
    assert corpus.lookup("新能源汽车") == []
    with pytest.raises(EmptyQueryError):
        corpus.lookup("  ")


def test_parse_ref_rejects_words_and_years():
    assert parse_ref("流片") is None and parse_ref("2026") is None and parse_ref("人才局") is None
