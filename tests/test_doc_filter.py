"""Answers limited to one document (``ask(..., doc=)``) and a conversation reset that forgets everything."""

from __future__ import annotations

import pytest

from assistant.corpus import Corpus
from assistant.errors import UnknownDocumentError
from assistant.pipeline import Conversation, Engine, ask
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "policies"


@pytest.fixture(scope="module")
def engine(corpus, tmp_path_factory):
    from assistant.bootstrap import open_retriever
    from assistant.parser import parse_file
    from assistant.settings import load_settings

    binhu = parse_file(FIXTURES / "binhu-talent-housing.md", doc_id="binhu", id_prefix="binhu:")
    county = parse_file(FIXTURES / "qingshan-manufacturing.txt", doc_id="qingshan", id_prefix="p2:")
    both = Corpus.from_documents([*corpus.documents, binhu, county])
    settings = load_settings(index_dir=tmp_path_factory.mktemp("index"), embedder="hash")
    retriever, _ = open_retriever(settings, corpus=both, quiet=True)
    return Engine(both, retriever)


def test_doc_limits_citations_to_that_document(engine):
    a = ask("算力服务券能补多少", engine, doc="qingshan")
    assert all(c.doc_id == "qingshan" for c in a.citations)
    assert not any(b.clause_id == "3.4" for b in a.blocks)
    free = ask("算力服务券能补多少", engine)
    assert free.citations and free.citations[0].clause_id == "3.4"


def test_doc_accepts_a_clause_prefix(engine):
    a = ask("博士租房补贴每月多少", engine, doc="binhu")
    assert a.citations and {c.doc_id for c in a.citations} == {"binhu"}


def test_unknown_doc_is_an_error(engine):
    with pytest.raises(UnknownDocumentError):
        ask("算力服务券能补多少", engine, doc="nope")


def test_reset_forgets_facts_topic_and_pending_question(engine):
    conv = Conversation()
    first = ask("算力服务费80万元能补多少", engine, conv)
    assert first.quick_replies  # 是否属于中小企业？
    conv.reset()
    after = ask("是", engine, conv)
    assert not any(b.clause_id == "3.4" for b in after.blocks)
