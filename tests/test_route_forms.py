"""Routing on a small written policy: levels implied by the question's words, first versus renewed
recognition, and banded (分段) rates with a "至" band — end to end through ``ask``."""

from __future__ import annotations

import pytest

from assistant.corpus import Corpus
from assistant.pipeline import Engine, ask
from assistant.route import said_levels
from assistant.types import BlockStatus

POLICY = """# 云溪区支持科技创新平台建设若干措施

## 一、支持创新平台建设

1. 对新获批的国家级重点实验室，给予300万元奖励；对新获批的省级重点实验室，给予100万元奖励。（责任单位：区科技局）

2. 对首次认定的高新技术企业，给予20万元奖励；对有效期满后重新通过认定的高新技术企业，给予10万元奖励。（责任单位：区科技局）

3. 对企业研发投入给予分段补助，其中1000万元以内（含）的部分按5%给予补助，超过1000万元至5000万元（含）的部分按3%给予补助，超过5000万元的部分按1%给予补助，单个企业最高300万元。（责任单位：区科技局）
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from assistant.bootstrap import open_retriever
    from assistant.parser import parse_file
    from assistant.settings import load_settings

    d = tmp_path_factory.mktemp("yunxi")
    (d / "yunxi.md").write_text(POLICY, encoding="utf-8")
    corpus = Corpus.from_documents([parse_file(d / "yunxi.md", doc_id="yunxi", id_prefix="")])
    retriever, _ = open_retriever(load_settings(index_dir=d / "index", embedder="hash"), corpus=corpus, quiet=True)
    return Engine(corpus, retriever)


@pytest.mark.parametrize("q,levels", [
    ("我们获批了国家级重点实验室", ["国家级"]),
    ("我们获批了国家重点实验室", ["国家级"]),
    ("我们是省重点实验室", ["省级"]),
    ("去年评上了市重点实验室", ["市级"]),
    ("国家税务总局的政策", []),
    ("本市认定的企业", []),
    ("省内企业能申请吗", []),
])
def test_levels_said_or_implied(q, levels):
    assert said_levels(q) == levels


@pytest.mark.parametrize("q,total", [
    ("我们获批了国家重点实验室，能奖励多少", 3_000_000),
    ("我们获批了省重点实验室，能奖励多少", 1_000_000),
    ("我们首次认定为高新技术企业，能奖励多少", 200_000),
    ("我们高新技术企业期满后重新通过认定，能奖励多少", 100_000),
    ("研发投入3000万元能补助多少", 1_100_000),
    ("研发投入8000万元能补助多少", 2_000_000),
])
def test_the_award_the_question_tells(engine, q, total):
    a = ask(q, engine)
    assert a.total_yuan == total, a.answer
    counted = [b for b in a.blocks if b.status is BlockStatus.COUNTED]
    assert len(counted) == 1 and counted[0].amount_yuan == total


def test_a_first_award_does_not_pay_the_renewal(engine):
    a = ask("我们首次认定为高新技术企业，能奖励多少", engine)
    assert all(b.standard != "10万元" or b.status is not BlockStatus.COUNTED for b in a.blocks)
    assert "10万元" not in a.answer.split("\n")[0]


@pytest.mark.parametrize("q,foreign", [
    ("开餐馆办食品经营许可证需要准备哪些材料？", True),
    ("便利店申请烟草专卖零售许可证的流程是怎样的？", True),
    ("农村宅基地建房审批要走哪些程序？", True),
    ("高新技术企业奖励怎么申请？", False),
    ("研发投入补助在哪里申报，流程是怎样的？", False),
])
def test_a_procedure_question_about_something_no_document_names(engine, q, foreign):
    from assistant.scope import _foreign_object
    from assistant.understand import understand
    from assistant.text import words

    known = engine.lexicon.vocabulary | engine.lexicon.distinctive
    unknown = [w for w in words(q) if w not in known]
    assert _foreign_object(q, unknown) is foreign
    if foreign:
        a = ask(q, engine)
        assert a.scope != "answer" and a.total_yuan is None
    else:
        assert understand(q, engine.lexicon).has("procedure")


AGRI = """# 云溪区促进现代农业和会展经济发展若干措施

## 一、支持农业规模经营

1. 对流转土地面积100亩以上且流转合同期限5年以上的新型农业经营主体，按每亩200元给予一次性补贴，单个主体最高20万元。（责任单位：区农业农村局）

## 二、支持重大项目

2. 对企业新购置生产设备的，按设备投资额的10%给予补助，单个项目最高500万元。（责任单位：区经信局）

3. 对总投资1亿元以上的重大产业项目，采取“一事一议”方式给予支持。（责任单位：区发改局）

## 三、支持品牌和会展

4. 支持企业开展品牌建设，对包装设计、品牌策划等提供指导服务。（责任单位：区商务局）

5. 对参加境内外展会的企业，按展位费的50%给予补贴，单个企业每年最高10万元。（责任单位：区商务局）
"""


@pytest.fixture(scope="module")
def agri(tmp_path_factory):
    from assistant.bootstrap import open_retriever
    from assistant.parser import parse_file
    from assistant.settings import load_settings

    d = tmp_path_factory.mktemp("yunxi-agri")
    (d / "agri.md").write_text(AGRI, encoding="utf-8")
    corpus = Corpus.from_documents([parse_file(d / "agri.md", doc_id="agri", id_prefix="")])
    retriever, _ = open_retriever(load_settings(index_dir=d / "index", embedder="hash"), corpus=corpus, quiet=True)
    return Engine(corpus, retriever)


@pytest.mark.parametrize("q,total,status", [
    ("我们是新型农业经营主体，流转土地面积200亩，流转合同期限8年，能补贴多少？", 40_000, BlockStatus.COUNTED),
    ("我们是新型农业经营主体，流转土地面积200亩，流转合同只签了3年，能补贴多少？", 0, BlockStatus.NOT_ELIGIBLE),
])
def test_a_duration_the_user_states_settles_the_clause_duration(agri, q, total, status):
    a = ask(q, agri)
    assert (a.total_yuan or 0) == total, a.answer
    b = next(b for b in a.blocks if b.clause_id == "1.1")
    assert b.status is status
    duration = [c for c in b.conditions if "5年以上" in c.text]
    assert len(duration) == 1 and duration[0].text == "流转合同期限5年以上", b.conditions
    assert duration[0].status == ("met" if total else "not_met")


def test_a_case_above_the_case_by_case_line_is_not_priced_by_the_general_rule(agri):
    a = ask("我们重大产业项目总投资2亿元，都是新购置生产设备，能补助多少？", agri)
    assert a.total_yuan is None, a.answer
    assert "2.3" in [c.clause_id for c in a.citations]
    governed = [b for b in a.blocks if b.status is BlockStatus.INFO and "2.3" in b.note]
    assert governed and "不按本项标准测算金额" in governed[0].note
    assert "500万" not in a.answer.split("\n")[0]


def test_below_the_case_by_case_line_the_general_rule_pays(agri):
    a = ask("我们新购置生产设备，设备投资额300万元，能补助多少？", agri)
    assert a.total_yuan == 300_000, a.answer


def test_an_amount_for_a_thing_another_clause_names_is_not_a_base_of_this_rule(agri):
    a = ask("参加境内外展会的企业补贴，我们包装设计花了12万元，能补贴多少？", agri)
    assert all(not (b.clause_id == "3.5" and b.status is BlockStatus.COUNTED and b.amount_yuan == 60_000) for b in a.blocks), a.answer
    assert a.total_yuan != 60_000
