"""Understanding that does not depend on one policy: references to a named document's own numbers, whole
articles, the interpretation clause, a repealed document named in 《》, a measure's own period, and the scope
decisions on everyday topics and actions no document in force speaks of — end to end through ``ask`` over two
small written policies (the second with prefixed ids)."""

from __future__ import annotations

import pytest

from assistant.pipeline import ask
from assistant.text import is_common_noun, word_tag
from tests.helpers import written_engine

TECH = """# 松川市支持软件产业发展若干措施

一、支持企业做大做强。

（一）对年度软件业务收入首次突破1亿元的企业，给予50万元奖励。（责任单位：市经信局）

（二）对新认定的国家级专精特新“小巨人”软件企业，给予100万元奖励。（责任单位：市经信局）

（三）对新引进的软件产业领域顶尖人才、国家级领军人才、省级领军人才，分别给予500万元、200万元、100万元安家补贴。（责任单位：市人才办）

二、降低企业用云成本。

（一）对中小企业租用云服务器的费用，按实际支出的30%给予补贴，单个企业每年最高20万元。（责任单位：市数据局）

三、对软件企业发生的贷款本金损失，按贷款本金损失的50%给予风险补偿，单个企业最高100万元。（责任单位：市金融办）

本措施自2026年1月1日起施行，有效期3年。对弄虚作假骗取奖补资金的，依法依规追回已拨付资金。本措施与本市其他政策有重复的，按照就高不重复的原则执行。本措施由市经信局负责解释。
"""

CULTURE = """# 青岚县促进文化旅游发展若干措施

一、支持旅游饭店提质。

（一）对新评定为五星级、四星级旅游饭店的，分别给予一次性奖励200万元、80万元。（责任单位：县文旅局）

（二）对文旅企业新引进的相关专业人才，按照每人每月800元给予生活补贴，补贴期限最长不超过24个月。（责任单位：县人社局）

（三）对新评定为全国甲级旅游民宿的，给予一次性奖励50万元，并自评定次年起连续3年每年给予运营补助10万元；对新评定为全国乙级旅游民宿的，给予一次性奖励20万元，并自评定次年起连续3年每年给予运营补助5万元。（责任单位：县文旅局）

二、支持景区提档升级。

（一）对新评定为国家4A级旅游景区的，给予景区运营主体一次性奖励100万元。（责任单位：县文旅局）

（二）因服务质量问题被降低等级的，3年内不得申报本条奖励。（责任单位：县文旅局）

（三）已按较低等级获得奖励的景区晋升等级的，按差额补足。（责任单位：县文旅局）

三、支持旅行社招徕游客。对旅行社组织县外游客来青岚旅游，单团游客不少于20人、游览县内收费A级旅游景区不少于1个的，按照每人50元给予奖励。（责任单位：县文旅局）

四、支持文创产品开发。对县内企业开发的文化创意产品获得国家级文创设计大赛一等奖、二等奖的，分别给予一次性奖励10万元、6万元。（责任单位：县文旅局）

五、对文旅企业银行贷款实际支付的利息，按50%给予贴息，单个企业每年最高50万元。（责任单位：县财政局）

本措施自2026年3月1日起施行，有效期至2028年12月31日。《青岚县旅游业奖励办法》同时废止。本措施由县文旅局会同县财政局负责解释。
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return written_engine(tmp_path_factory.mktemp("generic"), [("tech.md", TECH, "tech", ""),
                                                               ("culture.md", CULTURE, "culture", "culture:")])


def _cited(a) -> list[str]:
    return [c.clause_id for c in a.citations]


def test_the_corpus_has_both_numberings(engine):
    assert engine.corpus.has("1.1") and engine.corpus.has("culture:1.1")
    assert engine.corpus.local_id("culture", "2.1") == "culture:2.1" and engine.corpus.local_id("tech", "2.1") == "2.1"
    assert engine.corpus.local_id("nope", "2.1") is None


def test_a_number_in_a_named_document_is_that_documents_clause_and_is_not_computed(engine):
    a = ask("青岚县文旅措施第一条第一项讲的是什么？", engine)
    assert _cited(a)[0] == "culture:1.1"
    assert a.total_yuan is None and not any(b.amount_yuan for b in a.blocks)  # looked up, not computed


def test_without_a_named_document_a_number_is_shown_in_each_document_first_one_first(engine):
    a = ask("第一条第二项讲的是什么内容？", engine)
    assert _cited(a) == ["1.2", "culture:1.2"]  # that number in each document, nothing else retrieval brings
    assert _cited(ask("1.2讲的是什么", engine))[0] == "1.2"  # a plain id is the first document's


def test_an_article_reference_cites_its_items(engine):
    a = ask("青岚县文旅措施第二条规定了什么？", engine)
    assert _cited(a)[:2] == ["culture:2.1", "culture:2.2"]


def test_a_region_is_found_even_inside_a_longer_distinctive_term(engine):
    # whatever other terms start at 青岚, the region term of the document is still found
    found = engine.lexicon.find("青岚文旅措施", kinds=("region", "title"))
    assert [m.term.doc_id for m in found] == ["culture"]


def test_who_interprets_the_policy_cites_the_interpretation_clause(engine):
    a = ask("青岚县这个文旅措施由哪个部门负责解释？", engine)
    interp = next(c.id for c in engine.corpus.clauses if c.doc_id == "culture" and "负责解释" in c.text)
    assert interp in _cited(a)[:1] and "县文旅局" in a.answer and "县财政局" in a.answer
    assert "生活补贴" not in a.answer  # no measure's department instead


def test_a_repealed_document_named_in_brackets_cites_the_clause_that_repeals_it(engine):
    a = ask("以前的《青岚县旅游业奖励办法》现在还有效吗？", engine)
    naming = next(c.id for c in engine.corpus.clauses if "同时废止" in c.text)
    assert naming in _cited(a)[:3] and "废止" in a.answer


@pytest.mark.parametrize("q,clause,said", [
    ("文旅企业引进人才的生活补贴最长能领多久？", "culture:1.2", "24个月"),
    ("国家4A级旅游景区被降低等级后，多久内不得申报奖励？", "culture:2.2", "3年"),
])
def test_a_measures_own_period_is_answered_from_its_clause_not_the_documents_dates(engine, q, clause, said):
    a = ask(q, engine)
    assert _cited(a)[0] == clause and said in a.answer


def test_the_documents_dates_are_still_answered_as_such(engine):
    a = ask("青岚县这个文旅措施什么时候开始施行？", engine)
    assert "2026年3月1日" in a.answer


@pytest.mark.parametrize("q", [
    "导游资格证怎么考？每年什么时候报名？",  # how/when to do something no document speaks of
    "演唱会门票被黄牛炒高了，应该去哪里投诉？",
    "灵活就业人员社保断缴了几个月，怎么补缴？",
    "农村低保怎么申请？",  # what it asks about is an everyday thing no document speaks of
    "城乡居民医保住院报销比例是多少？",
    "住房公积金贷款最高能贷多少？",  # 贷款 is a policy word, but everyday nouns before it make it another kind of loan
    "青岚县的养老机构床位运营补贴标准是多少？",  # the document's own region is no evidence that it covers this
    "旅游饭店做消防验收需要准备哪些材料？",  # how to get another administrative matter done, not the award
    "营业性演出许可证怎么办理？",
    "软件企业的企业所得税税率是多少？",  # what it asks the rate of is in no document
    "旅行社的质量保证金要交多少？",
    "义乌的旅游饭店奖励是多少？",  # a county-level city by its short name is another jurisdiction
    "个人所得税年度汇算怎么申报？",  # 汇算: a word jieba does not know, in no document
    "从青岚县运一箱货到上海，运费大概要多少钱？",  # 上海 is what it asks about, not who the user is
])
def test_everyday_matters_no_document_speaks_of_are_refused(engine, q):
    a = ask(q, engine)
    assert a.refused and a.total_yuan is None, a.answer


@pytest.mark.parametrize("q,clause", [
    ("我们酒店新评上四星级旅游饭店了，奖励多少？", "culture:1.1"),
    ("我们是中小企业，租云服务器花了50万元，能补多少？", "2.1"),
    ("如果企业申报时弄虚作假会怎么处理？", None),  # 处理 is how a question asks, not a foreign action
    ("旅游饭店奖励的标准是多少？", "culture:1.1"),
    ("青岚县的旅游民宿运营补助标准是多少？", "culture:1.3"),
    ("我们是义乌的企业，在青岚县新评上四星级旅游饭店，奖励多少？", "culture:1.1"),  # 义乌 is where the user is from
    ("安家补贴怎么申请？", None),
])
def test_covered_questions_in_the_users_words_are_not_refused(engine, q, clause):
    a = ask(q, engine)
    assert not a.refused, a.answer
    if clause:
        assert clause in _cited(a)[:3]


def test_part_of_speech_of_everyday_words():
    assert is_common_noun("医保") and is_common_noun("孩子")
    assert not is_common_noun("签了") and not is_common_noun("这次")
    assert word_tag("投诉") and word_tag("不存在的词语") == ""


@pytest.mark.parametrize("q,clause", [
    ("青岚县文旅措施的一（二）讲的是啥？", "culture:1.2"),  # 六（一）: article and item as the document prints them
    ("青岚县文旅措施第二条第（一）项说了什么？", "culture:2.1"),
    ("文化旅游那份措施第二条第二项原文怎么写的？", "culture:2.2"),  # named by a word only its title has
])
def test_clause_numbers_in_the_forms_people_write_them(engine, q, clause):
    assert _cited(ask(q, engine))[0] == clause


def test_title_words_are_those_only_one_title_has(engine):
    words = engine.lexicon.title_words
    assert words.get("旅游") == "culture" and words.get("软件") == "tech"
    assert "若干" not in words and "措施" not in words and "青岚县" not in words
    assert engine.lexicon.named_documents("文化旅游那份措施") == ["culture"]


def test_how_to_submit_an_application_is_procedure_not_a_foreign_action(engine):
    a = ask("青岚县文旅措施的奖励，企业去哪里提交申请？", engine)
    assert not a.refused


def test_an_answer_whose_every_line_fails_the_self_check_still_names_its_clauses(engine):
    from dataclasses import replace

    from assistant.pipeline import verify

    a = ask("我们酒店新评上四星级旅游饭店了，奖励多少？", engine)
    bad = replace(a, answer="\n".join(f"【{b.name}】[{b.clause_id}] · 9999万元" for b in a.blocks))
    out = verify(bad, engine.corpus, retrieved={c.clause_id for c in a.citations})
    assert out.answer and "9999" not in out.answer and "culture:1.1" in out.answer


def test_a_second_award_of_the_same_sentence_keeps_its_condition(engine):
    rules = engine.corpus.rules_for("culture:1.3")
    assert [r.fixed.value for r in rules] == [500000, 100000, 200000, 50000]
    assert rules[1].continues == rules[0].id and rules[3].continues == rules[2].id and not rules[0].continues
    assert "甲级" in rules[1].segment and "乙级" in rules[3].segment  # the 运营补助 of each grade, not of both
    for r in rules:
        assert r.fixed.text in engine.corpus.get("culture:1.3").text


@pytest.mark.parametrize("q,total", [
    ("我们民宿刚被评为全国甲级旅游民宿，一次性奖励加上后面几年的运营补助，一共能拿多少？", 800_000),
    ("民宿新评上全国乙级旅游民宿，所有奖励和运营补助加起来总共多少？", 350_000),
])
def test_a_one_time_award_and_its_yearly_support_are_both_counted(engine, q, total):
    a = ask(q, engine)
    assert a.total_yuan == total, a.answer


def test_a_count_a_condition_looks_at_is_not_a_number_of_persons(engine):
    a = ask("我们旅行社组了个35人的县外旅游团来青岚，游了两个收费A级景区，能奖多少？", engine)
    assert a.total_yuan == 35 * 50, a.answer  # not 37 persons


@pytest.mark.parametrize("turns,clause", [
    (["我们民宿刚评上全国甲级旅游民宿，能拿多少？", "那后面几年每年还有钱吗？"], "culture:1.3"),
    (["我们景区评上A级旅游景区了，有奖励吗？", "是新评的国家4A级，之前没拿过奖励"], "culture:2.1"),
])
def test_a_reply_or_a_short_follow_up_stays_on_the_measure(engine, turns, clause):
    from assistant.pipeline import Conversation

    conv = Conversation()
    for t in turns:
        a = ask(t, engine, conv)
    assert not a.refused and clause in _cited(a)[:3], a.answer


def test_a_prize_at_another_level_than_the_awards_is_not_paid_at_its_rate(engine):
    a = ask("我们的文创产品获得了省级文创设计大赛二等奖，奖励多少？", engine)
    assert not a.total_yuan and "不符合条件" in a.answer, a.answer  # the 国家级 award is not counted
    assert ask("我们的文创产品获得了国家级文创设计大赛二等奖，奖励多少？", engine).total_yuan == 60_000


def _scope_features(engine, q: str) -> dict:
    """What the scope decision weighs for ``q`` in the two-policy corpus."""
    from assistant.scope import evidence
    from assistant.understand import understand

    hits, _ = engine.retriever.search_ex(q, 12)
    return evidence(understand(q, engine.lexicon), hits, engine.lexicon, engine.corpus, {d.id for d in engine.corpus.documents}).features


def test_a_question_that_tells_its_own_figures_is_not_an_everyday_matter(engine):
    def topic_unknown(q):
        return _scope_features(engine, q).get("topic_unknown")

    assert topic_unknown("我们把积累的数据拿到交易所去卖，有没有奖励？")
    assert topic_unknown("我们把积累的数据拿到交易所去卖，去年卖了200万元，有没有奖励？") == []


def test_a_policy_named_by_its_title_words_answers_its_own_dates_only(engine):
    a = ask("这个文化旅游发展措施有效期到什么时候？", engine)
    assert "2028年12月31日" in a.answer and "2026年1月1日" not in a.answer  # not the software policy's dates
    assert engine.lexicon.documents_by_title_words("这个软件产业政策") == ["tech"]
    assert engine.lexicon.documents_by_title_words("软件企业有什么奖励") == []  # no 政策/措施 after it: not a document's name


def test_the_government_asked_to_pay_is_the_one_named_last(engine):
    a = ask("我们是市里评的重点旅游企业，借的银行贷款一年利息交了80万，县里能帮着出多少？", engine)
    assert a.total_yuan == 400_000 and _cited(a)[0].startswith("culture:"), a.answer


@pytest.mark.parametrize("q,doc", [
    ("县财政对银行贷款利息能补多少？去年利息80万", "culture:"),  # 县 opening a phrase, before a body of that government
    ("我们被纳入县重点旅游企业名单，贷款本金损失了80万，能补多少？", "3.1"),  # 县 after a verb: whose list, not who pays
])
def test_a_level_opening_a_phrase_names_the_government_asked_to_pay(engine, q, doc):
    a = ask(q, engine)
    assert a.total_yuan == 400_000 and _cited(a)[0].startswith(doc), a.answer


def test_a_documents_own_region_is_not_what_a_question_is_about(engine):
    from assistant.scope import evidence
    from assistant.understand import understand

    q = "青岚县的养老机构床位运营补贴标准是多少？"
    hits, _ = engine.retriever.search_ex(q, 12)
    ev = evidence(understand(q, engine.lexicon), hits, engine.lexicon, engine.corpus, {"tech", "culture"})
    assert "青岚县" not in ev.features["topic_known"] and "养老" in ev.features["topic_unknown"], ev.features


def test_everyday_nouns_before_a_policy_word_make_another_kind_of_thing():
    from assistant.scope import _foreign_kind

    assert _foreign_kind("住房公积金贷款最高能贷多少？", {"住房", "公积金", "能贷"}) == ["住房", "公积金", "贷款"]
    assert _foreign_kind("文旅企业的流动资金贷款利息能贴息吗？", {"流动"}) == []  # one word before it: still a loan


def test_how_to_apply_is_answered_from_each_documents_own_procedure_never_from_an_award(engine):
    from assistant.understand import understand

    assert understand("奖补资金怎么申报？", engine.lexicon).has("procedure")
    a = ask("旅游饭店奖励怎么申报？", engine)
    assert "原文未规定申报程序" in a.answer and "culture:2.2" not in _cited(a), a.answer  # 不得申报本条奖励 is not how to apply
    assert not a.calculations


def test_a_part_of_a_base_without_its_head_does_not_name_it(engine):
    from assistant.route import base_score

    risk = engine.corpus.rules_for("3.1")[0]
    assert risk.base and "损失" in risk.base
    assert base_score("借的银行贷款一年利息交了", risk, engine.lexicon) < 0.5  # 贷款 without 损失
    assert base_score("贷款本金损失了", risk, engine.lexicon) >= 0.9
    assert base_score("贷款损失了", risk, engine.lexicon) >= 0.5  # its head is said


def test_whether_two_awards_can_both_be_had_is_answered_in_any_words(engine):
    a = ask("我们同一个项目在市里另一个文件里也能拿补贴，两边能一起拿吗？", engine)
    assert not a.refused and "就高不重复" in a.answer.split("\n")[0], a.answer
    assert not a.blocks and not a.total_yuan  # the rule on having both answers it: no measure's amount


def test_unknown_nouns_weigh_more_than_the_users_own_verbs_and_fragments():
    from assistant.scope import Evidence

    told = Evidence(common=2, unknown=7, features={"unknown_nouns": 2})  # 律师 专利 | 国外 人告 侵犯 后来 打赢 能报 一部分
    assert told.score == 2 - 2 - 0.5 * 5
    assert Evidence(common=2, unknown=2, features={"unknown_nouns": 2}).score == 0  # 医保 报销 count in full
    assert Evidence(common=1, unknown=1).score == 0  # without the split, every unknown word counts in full


def test_a_computed_award_cites_the_item_that_changes_how_it_pays_after_every_measure(engine):
    assert engine.corpus.rules_for("culture:2.1")[0].modifiers == ("culture:2.3",)
    a = ask("我们景区新评为国家4A级旅游景区，奖励多少？", engine)
    assert _cited(a)[:2] == ["culture:2.1", "culture:2.3"], a.answer


def test_listed_keys_are_cut_at_whole_words_and_an_unsaid_tier_is_asked(engine):
    keys = [t.key for t in engine.corpus.rules_for("1.3")[0].tiers]
    assert keys[1:] == ["国家级领军人才", "省级领军人才"] and keys[0].endswith("顶尖人才") and not keys[0].startswith("业")
    a = ask("我们引进了一位软件领军人才，安家补贴给多少？", engine)
    assert not a.total_yuan and a.asks, a.answer  # 领军人才 is 国家级 or 省级: asked, never guessed


def test_one_category_twice_in_a_table_is_told_apart_by_its_condition():
    from assistant.rules import _rules_from_table
    from assistant.types import Clause

    table = [("序号", "类别", "认定条件", "奖励标准（万元）"),
             ("1", "创新药", "1类新药取得注册证书", "1000"),
             ("2", "仿制药", "全国同品种前三家通过一致性评价", "100"),
             ("3", "仿制药", "其他通过一致性评价的品种", "30")]
    clause = Clause(id="2.1", doc_id="t", article_no=2, article_title="产品上市", item_no=1, text="按照下表标准给予奖励。")
    rules, problem = _rules_from_table(clause, table, clause.text)
    keys = [t.key for t in rules[0].tiers]
    assert not problem and len(set(keys)) == 3 and keys[0] == "创新药"
    assert keys[1].startswith("仿制药（全国同品种前三家") and keys[2].startswith("仿制药（其他")


def test_a_place_beside_a_loaded_policys_department_is_where_not_whose(engine):
    def foreign(q):
        return _scope_features(engine, q).get("foreign")

    assert foreign("上海的文旅企业有什么奖励？")  # another city's policy: refused
    assert not foreign("我们参加了县文旅局统一组织的上海旅游推介会，能补多少？")  # 县文旅局 is a loaded policy's


BIO = """# 岚湖市支持生物医药产业发展若干措施

一、支持创新产品上市。对本市企业取得药品注册证书且在本市生产的，按照下表所列标准给予一次性奖励。

| 序号 | 类别 | 认定条件 | 奖励标准 |
|---|---|---|---|
| 1 | 创新药 | 1类化学药品取得药品注册证书 | 800万元 |
| 2 | 仿制药 | 在全国同品种中前三家通过一致性评价 | 80万元 |
| 3 | 仿制药 | 其他通过一致性评价的品种 | 20万元 |

（责任单位：市药监局）

二、支持建设创新平台。对新获批建设的生物医药领域全国重点实验室、国家技术创新中心、国家工程研究中心等国家级创新平台，给予800万元一次性奖励；对新获批的省级重点实验室、省级技术创新中心等省级创新平台，给予80万元一次性奖励。（责任单位：市科技局）

三、支持企业牵头组建产业联合实验室，给予每个联合实验室每年1000万元经费支持，支持周期为3年。（责任单位：市经信局）

四、对在本市医药企业执业并新取得高级药师、主任药师等级的药学人员，分别给予一次性奖励5000元、2万元。（责任单位：市人社局）

五、对医药会展企业组织外地专业观众来本市参会，单团观众不少于20人、在本市星级酒店住宿的，按照每人每晚50元给予奖励，每名观众最多计算2晚。（责任单位：市商务局）

六、对新评定为五星级、四星级酒店的，分别给予一次性奖励100万元、50万元。（责任单位：市商务局）

七、对接待外地学生开展医药科普研学的机构，按照每人每天20元给予奖励，单个机构年度最高10万元。（责任单位：市科协）

八、支持医药冷链建设。对新建医药冷库的企业，设备投资达到200万元以上的，按设备投资额的10%给予补助，最高100万元。（责任单位：市发改委）

九、对在本市举办医药行业论坛，单场参会人数达到300人以上的，给予10万元奖励；单场参会人数达到800人以上的，给予20万元奖励。同一主办单位年度累计奖励不超过30万元。（责任单位：市商务局）

十、对医药冷链集装箱运输，冷藏重箱每标准箱补贴60元，普通重箱每标准箱补贴20元，空箱不予补贴。同一企业年度最高200万元。（责任单位：市交通局）

十一、支持医药物流企业提档。对首次通过医药物流企业等级评估的企业给予一次性奖励：

（一）被评为5A级医药物流企业的，奖励50万元；

（二）被评为4A级医药物流企业的，奖励30万元；

（三）被评为3A级医药物流企业的，奖励10万元。（责任单位：市商务局）

十二、对医药企业年薪50万元以上、100万元以上的高级管理人员，分别按照每人每年2万元、5万元的标准给予奖励。（责任单位：市人社局）

十三、对医药企业首次入选全国医药百强的，给予100万元一次性奖励；首次入选省医药五十强的，给予30万元一次性奖励；同一年度同时入选多个榜单的，按最高标准给予奖励，不重复享受。（责任单位：市工信局）
"""


@pytest.fixture(scope="module")
def bio(tmp_path_factory):
    return written_engine(tmp_path_factory.mktemp("bio"), [("bio.md", BIO, "bio", "")])


def test_a_yes_to_a_choice_of_several_picks_none_and_asks_again(engine):
    from assistant.pipeline import Conversation

    conv = Conversation()
    first = ask("我们酒店新评上星级旅游饭店了，奖励多少？", engine, conv)
    assert first.total_yuan is None and first.quick_replies == ("五星级", "四星级"), first.answer
    again = ask("是的", engine, conv)  # not 五星级: "是" answers no "A还是B"
    assert again.total_yuan is None and again.quick_replies == ("五星级", "四星级"), again.answer
    assert ask("四星级", engine, conv).total_yuan == 800_000


def test_a_category_the_question_names_narrows_the_choice_to_its_rows(bio):
    a = ask("我们有一个仿制药通过了一致性评价，在本市生产，能拿多少奖励？", bio)
    assert a.total_yuan is None and len(a.quick_replies) == 2 and all(o.startswith("仿制药") for o in a.quick_replies), a.answer


def test_the_questions_own_compound_picks_the_clause_that_uses_it(bio):
    # 实验室 is in both; only one clause says 重点实验室, and its awards differ by the level the question says
    a = ask("我们的实验室被批成了国家级的重点实验室，奖励多少？", bio)
    assert a.total_yuan == 8_000_000 and _cited(a) == ["2.1"], (a.answer, _cited(a))
    assert "国家级创新平台奖励" in a.answer and "联合实验室" not in a.answer, a.answer
    from assistant.route import _wider_compound

    q = "我们的实验室被批成了国家级的重点实验室"
    at = q.rfind("实验室")
    assert _wider_compound(q, at, at + 3, ["bio"], bio.corpus) == {"2.1"}  # not 3.1's 联合实验室
    assert _wider_compound(q, 2, 5, ["bio"], bio.corpus) is None  # "我们的实验室": nothing wider in any clause


@pytest.mark.parametrize("q,total", [
    ("我们公司一个小伙子刚考上了主任药师，奖多少？", 20_000),  # a tier only one clause lists names its measure
    ("我们今年有2名员工新取得高级药师等级，1名新取得主任药师等级，奖励一共多少？", 30_000),
])
def test_listed_keys_are_what_is_obtained_not_where_or_who(bio, q, total):
    a = ask(q, bio)
    assert a.total_yuan == total and _cited(a)[0] == "4.1", a.answer


@pytest.mark.parametrize("q,total,clause", [
    # 每人每晚 with 2晚; 一个 before 25人 is an article; the 四星级 hotel is where the guests stayed, not an award asked for
    ("我们组织了一个25人的外地观众团来本市参会，在四星级酒店住了3晚，能拿多少奖励？", 2_500, "5.1"),
    ("我们机构接待了300名外地学生开展医药科普研学，每人2天，奖励多少？", 12_000, "7.1"),  # 每人每天
    ("我们机构接待了3000名外地学生开展医药科普研学，每人2天，奖励多少？", 100_000, "7.1"),  # 12万, capped
])
def test_per_person_per_day_or_night_awards(bio, q, total, clause):
    a = ask(q, bio)
    assert a.total_yuan == total and _cited(a)[0] == clause, a.answer
    assert "6.1" not in _cited(a)


def test_per_day_and_night_are_durations_in_text():
    from assistant.quantities import scan

    assert [(s.value, s.unit) for s in scan("住了2晚，上了3天课") if s.kind == "duration"] == [(2, "晚"), (3, "天")]


@pytest.mark.parametrize("q,n", [("那第二年呢？", 2), ("第三年的呢", 3), ("第二年的租金补贴是多少", 2), ("第二年我们搬走了", None)])
def test_a_follow_up_asking_for_one_year_names_that_year(engine, q, n):
    from assistant.understand import understand

    assert understand(q, engine.lexicon).instalment == n


def test_a_newer_figure_for_the_same_thing_replaces_the_older_one_in_the_condition_too(bio):
    from assistant.pipeline import Conversation

    conv = Conversation()
    assert ask("我们新建医药冷库，设备投资600万元，能补助多少？", bio, conv).total_yuan == 600_000
    a = ask("那如果设备投资只有150万元呢？", bio, conv)  # below the 200万 threshold: not 15万
    assert not a.total_yuan and "不符合条件" in a.answer, a.answer


@pytest.mark.parametrize("turns,total", [
    (["我们今年办了三场医药行业论坛，参会人数分别为400人、900人、200人，奖励多少？"], 300_000),
    (["我们今年办了4场医药行业论坛，每场参会人数都在1000人左右，奖励一共多少？"], 300_000),  # 80万 held to the 30万 cap
    (["我们办医药行业论坛，单场参会500人能奖多少？", "那1000人呢？"], 200_000),  # the newer figure, not 500人
])
def test_per_event_steps_in_conversation(bio, turns, total):
    from assistant.pipeline import Conversation

    conv = Conversation()
    for t in turns:
        a = ask(t, bio, conv)
    assert a.total_yuan == total, a.answer


def test_counts_in_wan_of_a_unit_are_counts_and_go_to_the_item_they_name(bio):
    from assistant.quantities import scan

    assert [(q.kind, q.value) for q in scan("冷藏重箱1.5万标准箱")] == [("count", 15000)]  # not 1.5万元
    a = ask("我们去年冷藏重箱1.5万标准箱、普通重箱2万标准箱，另外空箱5000标准箱，能拿多少补贴？", bio)
    assert a.total_yuan == 1_300_000, a.answer  # 60元 × 15000 + 20元 × 20000; the empty boxes get nothing



@pytest.mark.parametrize("q,price", [("实际租金每月每平方米80元", "80"), ("每平方米每月租金15元", "15"), ("每月每平方米租金40元", "40"),
                                     ("月租金2.4万元", None)])
def test_a_rent_per_square_metre_is_read_as_a_unit_price(q, price):
    from assistant.route import _UNIT_RENT

    m = _UNIT_RENT.search(q)
    assert (m.group(1) if m else None) == price


def test_a_short_reply_naming_a_sibling_item_switches_to_it(bio):
    from assistant.pipeline import Conversation

    conv = Conversation()
    ask("我们首次评上A级医药物流企业，能拿多少奖励？", bio, conv)
    a = ask("4A级", bio, conv)
    assert a.total_yuan == 300_000 and _cited(a)[0] == "11.2", a.answer


def test_persons_grouped_by_their_own_salary_are_paid_at_their_own_step(bio):
    a = ask("我们医药企业有3名高管，其中2人年薪45万元、1人年薪正好120万元，一年高管奖励多少？", bio)
    assert a.total_yuan == 50_000, a.answer  # 45万 is under the lowest step; 120万 × 1人 → 5万 (not 165万 summed × 3人)


def test_a_reply_that_denies_an_option_does_not_pick_it(engine):
    from assistant.pipeline import Conversation

    conv = Conversation()
    first = ask("我们的软件企业新认定为专精特新小巨人，奖励多少？", engine, conv)
    assert first.quick_replies and first.quick_replies[0] == "国家级", first.answer
    a = ask("不是国家级，是省级的", engine, conv)  # not the 国家级 100万元
    assert not a.total_yuan, a.answer


def test_a_clause_that_pays_only_the_highest_of_what_one_meets_does_not_sum(bio):
    a = ask("我们医药企业今年同时首次入选全国医药百强和省医药五十强，能拿多少奖励？", bio)
    assert a.total_yuan == 1_000_000, a.answer  # not 130万: 按最高标准给予奖励，不重复享受


def test_a_level_the_clause_pays_in_words_not_read_is_sent_to_review_not_refused(tmp_path):
    park = ("# 岚湖市支持园区发展若干措施\n\n一、支持园区创建。获评国家级医药示范园区的，奖励100万元；"
            "获评省级医药示范园区的，按照国家级标准的50%给予奖励。（责任单位：市发改委）\n")
    a = ask("我们园区新获评省级医药示范园区，奖励多少？", written_engine(tmp_path, [("park.md", park, "park", "")]))
    assert not a.total_yuan and "人工核对" in a.answer and "不符合条件" not in a.answer, a.answer


def test_what_a_question_asks_the_amount_or_the_procedure_of():
    from assistant.scope import _asked_attribute, _procedure_objects

    assert _asked_attribute("企业所得税税率是多少？") == "税率"
    assert _asked_attribute("集装箱在港区码头的堆存费怎么收？") == "堆存费"  # jieba's 堆 + 存费
    assert _asked_attribute("个人买首套房，契税能减免多少？") == "契税"
    assert _asked_attribute("景区停车场收费标准是多少？") == "收费"  # past the generic 标准
    assert _asked_attribute("旅游饭店奖励的标准是多少？") == ""  # the support itself
    assert _asked_attribute("算力券面额是多少？") == ""
    assert _asked_attribute("能补多少？") == ""  # nothing named
    assert _asked_attribute("能补多少运费？") == ""  # a word after 多少 may be the user's own name for a cost
    assert _asked_attribute("县里最多能给多少经费支持？") == ""
    assert "冷库做消防验收" in _procedure_objects("冷库做消防验收需要准备哪些材料？")
    assert "楼宇运营主体需要什么物业管理资质" in _procedure_objects("楼宇运营主体需要什么物业管理资质，怎么申请？")
    assert _procedure_objects("奖补资金什么时候发？") == []
    assert _procedure_objects("错过了申报时间还能补报吗？") == []  # 申报时间 is not a thing applied for
    assert "护照" in _procedure_objects("出国旅游要办护照，去哪里办？")


def test_a_support_named_for_things_no_document_speaks_of_is_another_policys(engine):
    from assistant.scope import _foreign_support

    active = {"tech", "culture"}
    assert _foreign_support("养老机构床位运营补贴标准是多少？", {"养老", "床位"}, engine.corpus, active)
    assert not _foreign_support("旅游饭店运营补助是多少？", set(), engine.corpus, active)
    assert not _foreign_support("家电以旧换新，消费者买冰箱能补多少？", {"消费者", "冰箱"}, engine.corpus, active)  # no named support


HQ = """# 云溪区支持总部经济发展若干措施

一、奖励总部企业高级管理人才。

（一）对总部企业年薪50万元以上、100万元以上的高级管理人员，分别按照每人每年3万元、8万元的标准给予奖励。（责任单位：区委人才办）

（二）本条所称高级管理人员，是指在总部企业担任董事长、总经理、财务负责人等职务的人员。年薪以其上一年度在本区申报缴纳个人所得税的工资薪金所得为准。（责任单位：区税务局）

二、对新引进的总部企业购置自用办公用房的，按每平方米1000元给予一次性购房补贴，最高500万元。（责任单位：区商务局）

三、对新引进的总部企业，按实缴注册资本给予落户奖励：实缴注册资本1亿元以上的，奖励500万元。（责任单位：区商务局）
"""


@pytest.fixture(scope="module")
def hq(tmp_path_factory):
    return written_engine(tmp_path_factory.mktemp("hq"), [("hq.md", HQ, "hq", "")])


def test_an_item_that_only_explains_an_award_brings_the_award_it_explains(hq, engine):
    from assistant.route import _paying_sibling
    from assistant.understand import understand

    asked = understand("高管奖励由哪个部门负责？", hq.lexicon)
    assert _paying_sibling("1.2", asked, hq.corpus) == "1.1"  # 本条所称高级管理人员… explains 1.1's award
    assert _paying_sibling("1.2", understand("多少钱？", hq.lexicon), hq.corpus) == "1.1"
    assert _paying_sibling("1.1", asked, hq.corpus) is None  # it pays itself
    assert _paying_sibling("1.2", understand("高级管理人员是指哪些人？", hq.lexicon), hq.corpus) is None  # not asked for money
    # 被降低等级的，3年内不得申报本条奖励: it takes the award away, so it does not bring the award in
    assert _paying_sibling("culture:2.2", understand("能拿多少？", engine.lexicon), engine.corpus) is None


def test_a_refusal_says_why_in_its_notes(engine):
    a = ask("软件企业的企业所得税税率是多少？", engine)
    assert a.refused and any(n.startswith("判断依据：问题问的是税率") for n in a.notes), a.notes
    a = ask("营业性演出许可证怎么办理？", engine)
    assert a.refused and any("判断依据" in n for n in a.notes), a.notes


FENG = """# 青枫区支持先进制造业发展若干措施

一、对新认定的市级智能工厂，给予100万元一次性奖励。（责任单位：区经信局）

二、对在境内证券交易所首次公开发行股票并上市的企业，给予300万元奖励。（责任单位：区金融办）

三、奖补资金每年集中受理一次，企业应于每年3月31日前通过“青枫惠企通”平台提交上一年度奖补申报材料，经区经信局初审、区财政局复核后拨付。（责任单位：区经信局、区财政局）
"""

NANHE = """# 南禾县促进家庭农场发展若干措施

一、对新认定的省级示范家庭农场，给予5万元一次性奖励。（责任单位：县农业农村局）

二、奖补资金的申报主体按照年度申报指南要求向所在乡镇提交申报材料，经县农业农村局审核后兑现。（责任单位：县农业农村局）

三、对农村集体经济组织新建设的规模化种植基地，按每亩100元给予一次性补贴。（责任单位：县农业农村局）

四、对新取得绿色食品证书的家庭农场，给予2万元一次性奖励。（责任单位：县农业农村局）
"""


@pytest.fixture(scope="module")
def two_procedures(tmp_path_factory):
    # the farm policy first: without a better reason it would lead every answer about none named
    return written_engine(tmp_path_factory.mktemp("proc"), [("nanhe.md", NANHE, "nanhe", "nanhe:"), ("feng.md", FENG, "feng", "feng:")])


def test_with_no_document_named_the_one_whose_procedure_says_more_of_the_question_leads(two_procedures):
    from assistant.pipeline import _coverage

    q = "奖补资金怎么申报？每年截止到什么时候？"
    feng, nanhe = two_procedures.corpus.get("feng:3.1").text, two_procedures.corpus.get("nanhe:2.1").text
    assert _coverage(q, [feng]) > _coverage(q, [nanhe]) > 0
    a = ask(q, two_procedures)
    assert _cited(a)[:1] == ["feng:3.1"] and "nanhe:2.1" in _cited(a), _cited(a)
    assert not a.calculations


@pytest.mark.parametrize("q", ["每年申报材料最晚什么时候交？", "申报材料最迟哪天交"])
def test_when_to_hand_in_the_application_is_procedure_not_an_amount(two_procedures, q):
    from assistant.understand import understand

    assert understand(q, two_procedures.lexicon).has("procedure")
    a = ask(q, two_procedures)
    assert not a.refused and "feng:3.1" in _cited(a) and not a.calculations and a.total_yuan is None, a.answer


def test_a_place_that_names_an_exchange_or_a_university_is_not_a_jurisdiction(two_procedures):
    a = ask("我们在上海证券交易所首次公开发行股票并上市了，能奖励多少？", two_procedures)
    assert not a.refused and a.total_yuan == 3_000_000, a.answer
    a = ask("上海的企业上市能奖励多少？", two_procedures)  # 上海 is whose: another city's award
    assert a.refused, a.answer
    a = ask("上海证券交易所的上市条件是什么？", two_procedures)  # the institution itself is what is asked about
    assert a.refused, a.answer


def test_an_award_for_listing_in_the_mainland_is_not_paid_for_listing_abroad(two_procedures):
    for q in ("我们准备去香港联交所上市，区里的上市奖励能给多少？", "公司打算在纳斯达克上市，能拿多少奖励？"):
        a = ask(q, two_procedures)
        assert not a.refused and not a.total_yuan and not any(c.amount_yuan for c in a.calculations), a.answer
        assert "境内" in a.answer and "feng:2.1" in _cited(a), a.answer


def test_a_support_named_with_a_verb_inside_its_name_is_still_read_whole(engine):
    from assistant.scope import _foreign_support

    active = {"tech", "culture"}
    assert _foreign_support("耕地地力保护补贴今年每亩发多少钱？", {"耕地", "地力"}, engine.corpus, active)
    assert not _foreign_support("申请旅游饭店提质奖励要多少钱？", set(), engine.corpus, active)
    assert not _foreign_support("租用云服务器补贴是多少？", set(), engine.corpus, active)


def test_a_one_character_noun_split_off_a_word_makes_another_word(two_procedures):
    from assistant.scope import _glued

    active = {"nanhe", "feng"}
    assert _glued("农村宅基地可以卖给城里人吗", ["农村", "宅", "基地", "卖", "城里人"], two_procedures.corpus, active) \
        == ["农村", "宅基地", "卖", "城里人"]
    assert _glued("种植基地", ["种植", "基地"], two_procedures.corpus, active) == ["种植", "基地"]
    assert ask("农村宅基地可以卖给城里人吗？", two_procedures).refused
    a = ask("农村种植基地每亩补贴多少？", two_procedures)
    assert not a.refused and "nanhe:3.1" in _cited(a), a.answer


def test_a_licence_no_document_names_is_another_offices_matter(two_procedures):
    from assistant.scope import _foreign_object, _licence
    from assistant.understand import understand

    assert _licence("新能源冷藏车需要办道路运输证吗") == "道路运输证"
    assert _licence("这个证") == ""
    assert _licence("犬只登记证") == "登记证"  # a verb inside the licence's name belongs to it
    assert understand("种植基地需要办取水许可证吗？怎么办？", two_procedures.lexicon).has("procedure")
    active = {"nanhe", "feng"}
    assert _foreign_object("种植基地需要办取水许可证吗？怎么办？", [], None, two_procedures.corpus, active)
    assert _licence("需要办绿色食品证书吗") == "绿色食品证书"  # a licence a document names is not foreign
    assert not _foreign_object("需要办绿色食品证书吗？怎么办？", [], None, two_procedures.corpus, active)
    a = ask("种植基地需要办取水许可证吗？怎么办？", two_procedures)
    assert a.refused and not a.calculations, a.answer


@pytest.mark.parametrize("q, said", [("到2029年还能按青岚县这个政策申请吗？", "已在有效期之后"),
                                     ("2028年6月以后还能按青岚县的措施申报吗？", "在有效期内")])
def test_whether_a_year_falls_in_the_documents_term_is_said_from_its_own_dates(engine, q, said):
    from assistant.understand import understand

    assert understand(q, engine.lexicon).has("dates")
    a = ask(q, engine)
    assert said in a.answer and "2028年12月31日" in a.answer and not a.calculations, a.answer


def test_a_computed_or_straddled_term_says_nothing_of_the_asked_time(engine):
    from assistant.pipeline import _asked_vs_term

    tech = next(d for d in engine.corpus.documents if d.id == "tech")  # 有效期3年: the end date is computed
    culture = next(d for d in engine.corpus.documents if d.id == "culture")
    assert _asked_vs_term("2030年还能申请吗", tech) == ""
    assert _asked_vs_term("2026年还能申请吗", culture) == ""  # 3月1日 starts inside 2026
    assert _asked_vs_term("2029年1月还能申请吗", culture) == "after"
    assert _asked_vs_term("我们2025年拿过奖励，还能再申请吗", culture) == ""
    assert _asked_vs_term("2027年还能申请吗", culture) == "within"


def test_a_year_and_still_is_a_question_about_the_policy_only_when_it_speaks_of_applying(engine):
    from assistant.understand import understand

    assert understand("2029年1月以后还能按这个政策申请吗？", engine.lexicon).has("dates")
    assert not understand("2030年以后燃油车还能上牌吗？", engine.lexicon).has("dates")


def test_a_department_question_that_also_asks_the_procedure_keeps_the_measure_it_names(engine, two_procedures):
    a = ask("租用云服务器补贴归哪个部门管？想咨询下申报流程", engine)
    assert "2.1" in _cited(a)[:3] and "市数据局" in a.answer, a.answer
    # no measure named: the procedure clause says where the materials go
    a = ask("奖补的申报材料应该交给哪个单位？", two_procedures)
    assert "feng:3.1" in _cited(a), a.answer


def test_whether_a_clause_in_force_has_a_text_or_a_pattern(engine):
    import re

    from assistant.scope import _in_force_has

    active = {"tech", "culture"}
    assert _in_force_has("云服务器", engine.corpus, active)
    assert not _in_force_has("云服务器", engine.corpus, {"culture"})  # only documents in force count
    assert not _in_force_has("中小企业租用云服务器的费用，按实际支出的30%给予补贴，单个企业每年最高20万元。还有", engine.corpus, active)
    assert _in_force_has(re.compile(r"旅游民宿(?!证)"), engine.corpus, active)
    assert not _in_force_has(re.compile(r"云服务器(?!的)"), engine.corpus, active)
    assert _in_force_has("降低企业用云成本", engine.corpus, active, titles=True)
