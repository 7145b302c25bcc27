"""Routing on a small written policy: levels implied by the question's words, first versus renewed
recognition, and banded (分段) rates with a "至" band — end to end through ``ask``."""

from __future__ import annotations

import pytest

from assistant.pipeline import Engine, ask
from assistant.route import said_levels
from assistant.types import BlockStatus
from tests.helpers import written_engine

POLICY = """# 云溪区支持科技创新平台建设若干措施

## 一、支持创新平台建设

1. 对新获批的国家级重点实验室，给予300万元奖励；对新获批的省级重点实验室，给予100万元奖励。（责任单位：区科技局）

2. 对首次认定的高新技术企业，给予20万元奖励；对有效期满后重新通过认定的高新技术企业，给予10万元奖励。（责任单位：区科技局）

3. 对企业研发投入给予分段补助，其中1000万元以内（含）的部分按5%给予补助，超过1000万元至5000万元（含）的部分按3%给予补助，超过5000万元的部分按1%给予补助，单个企业最高300万元。（责任单位：区科技局）
"""


def _engine(tmp_path_factory, folder: str, file_name: str, text: str, doc_id: str) -> Engine:
    """The whole engine over one written policy, with the cheap hash embedder (routing is the subject here)."""
    return written_engine(tmp_path_factory.mktemp(folder), [(file_name, text, doc_id, "")])


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return _engine(tmp_path_factory, "yunxi", "yunxi.md", POLICY, "yunxi")


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
    return _engine(tmp_path_factory, "yunxi-agri", "agri.md", AGRI, "agri")


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


FORMS = """# 云溪区人才与农业支持若干措施

## 一、人才生活补贴

1. 对新引进的全日制博士研究生、硕士研究生，分别按每人每月3000元、1500元给予生活补贴，最长36个月。（责任单位：区人社局）

## 二、设施农业

2. 对新建连栋温室、钢架大棚的，分别按每亩3万元、每亩6000元给予一次性补助，同一主体同一年度最高100万元。（责任单位：区农业农村局）

3. 对购置粮食烘干机的农业经营主体，按中央财政补贴额的30%给予累加补贴，单台最高3万元。（责任单位：区农业农村局）

## 三、知识产权和品牌

4. 对获得中国专利金奖、银奖、优秀奖的，每项分别给予50万元、20万元、5万元奖励。（责任单位：区市场监管局）

5. 对新获得绿色食品认证、有机产品认证的，每个产品分别奖励2万元、3万元。（责任单位：区市场监管局）

## 四、科技金融

6. 对科技型中小企业获得的银行贷款，按照贷款合同签订时同期贷款市场报价利率（LPR）计算利息的50%给予贴息，单个企业每年最高50万元。（责任单位：区金融办）

## 五、商贸消费

7. 对国内外知名品牌在我区开设全国首店、区域首店（华中地区首店），营业面积不低于200平方米的，分别给予50万元、20万元一次性奖励；属于品牌旗舰店、概念店的，在上述标准基础上上浮20%。（责任单位：区商务局）

8. 对上年度已纳入统计的住宿、餐饮企业，当年营业额同比增速不低于10%的，按当年较上年度新增营业额的2%给予奖励，最高30万元。（责任单位：区商务局）

9. 对限上餐饮企业在本区新开设营业面积不低于150平方米的直营门店，每新增一家给予5万元奖励，单个企业年度最高50万元。（责任单位：区商务局）

## 六、成果转化和产业化

10. 对科技成果产业化项目新增固定资产投资达到2000万元及以上的，按项目实际完成的设备购置和研发投入之和的10%给予支持，单个项目最高500万元。（责任单位：区科技局）

11. 支持资金按4:3:3的比例分三年拨付，第二年、第三年资金根据项目年度绩效评价结果拨付。

12. 对龙头企业牵头组建、成员单位10家以上并被认定为省级示范农业产业化联合体的，给予牵头企业20万元一次性奖励。（责任单位：区农业农村局）

## 七、场地和土地

13. 对新设立的科技型中小企业租用研发办公用房的，第一年按每平方米每月20元、第二年和第三年按每平方米每月10元给予租金补贴，补贴面积不超过500平方米。（责任单位：区科技局）

14. 对新流转集中连片土地200亩以上、流转合同期限5年以上的新型农业经营主体，按每亩每年100元给予补贴，连续补贴3年，同一主体每年最高10万元。（责任单位：区农业农村局）

## 八、会展

15. 对我区商贸企业参加重点展会目录内展会的，参加境外展会的按展位费的70%给予补贴，单个展会最高10万元；参加境内展会的按展位费的50%给予补贴，单个展会最高5万元。同一企业年度展会补贴总额最高30万元。（责任单位：区商务局）

16. 对在我区专业展馆举办、展览面积达到1万平方米的商贸类展会，按展览面积每平方米20元给予主办单位补贴，单个展会最高100万元；对连续三年在我区举办的品牌展会，补贴标准提高至每平方米30元，单个展会最高150万元。（责任单位：区商务局）

## 九、平台和人才

17. 对新获批的国家级、省级技术创新中心，分别给予300万元、100万元奖励；由省级晋升为国家级的，按差额补足。（责任单位：区科技局）

18. 对新引进的全日制硕士研究生，按每人每月1000元给予生活补贴，最长36个月。（责任单位：区人社局）

## 十、资本市场

19. 对在全国中小企业股份转让系统挂牌的企业，给予50万元一次性奖励。对在境内证券交易所首次公开发行股票并上市的企业，给予总额300万元奖励，分三个阶段拨付：1.完成辅导备案的，拨付100万元；2.首次公开发行股票申请获证券交易所受理的，拨付100万元；3.成功上市的，拨付剩余100万元，已获挂牌奖励的，在本阶段拨付时予以扣除。（责任单位：区金融办）

20. 对在我区备案的创业投资机构投资区内成立3年以内的科技型中小企业，单笔投资额达到500万元及以上的，按实际到位投资额的3%给予奖励，单个机构每年最高100万元。（责任单位：区金融办）

21. 对限上零售企业经区商务局备案后发放的企业消费券，按企业实际让利金额（以消费券核销金额为准）的20%给予配套补贴，单个企业年度最高100万元。（责任单位：区商务局）
"""


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    return _engine(tmp_path_factory, "yunxi-forms", "forms.md", FORMS, "forms")


@pytest.mark.parametrize("q,total", [
    # counts per tier, the tier named by the head of its key (全日制博士 for 博士研究生)
    ("我们新引进3名全日制博士和2名全日制硕士，按最长期限生活补贴一共多少？", 432_000),
    ("我们招了俩博士一个硕士，头一年的生活补贴加起来多少钱？", 90_000),
    # areas per tier, the key's tail after the area (20亩连栋温室 for 新建连栋温室)
    ("我们新建了20亩连栋温室和50亩钢架大棚，能补助多少？", 900_000),
    ("我们今年新建连栋温室30亩、钢架大棚40亩，能补助多少？", 1_000_000),
    # the key right before the count is its tier, not the next item's key ("金奖1项、优秀奖2项")
    ("我们获得中国专利金奖1项、中国专利优秀奖2项，奖多少？", 600_000),
    # 每台 with a per-unit cap: one claim per machine
    ("我们购置了2台粮食烘干机，每台中央财政补贴12万元，累加补贴一共多少？", 60_000),
    # interest at the LPR, not at the rate the loan carries
    ("我们是科技型中小企业，银行贷款2000万元，执行利率3.4%，签合同时LPR为3.0%，能贴息多少？", 300_000),
])
def test_amounts_told_per_tier_per_machine_and_at_the_lpr(forms, q, total):
    a = ask(q, forms)
    assert a.total_yuan == total, a.answer


def test_a_reply_that_picks_tiers_brings_its_counts(forms):
    from assistant.pipeline import Conversation

    conv = Conversation()
    first = ask("产品拿到认证能奖励多少？", forms, conv)
    assert first.asks, first.answer  # which certification?
    a = ask("今年我们有3个产品拿了绿色食品认证，1个产品拿了有机产品认证。", forms, conv)
    assert a.total_yuan == 90_000, a.answer


@pytest.mark.parametrize("q,total", [
    # an area condition of an award not paid per area, read from the area the user gives (also "260平")
    ("某品牌在我区开了全国首店，营业面积350平方米，能拿多少首店奖励？", 500_000),
    ("我们开的是华中地区首店，260平，属于概念店，首店奖励多少？", 240_000),
    # this year's figure is of the thing named with last year's ("上年营业额…，今年…")
    ("我们是限上住宿企业，上年度已入统，上年营业额2200万元，今年2500万元，增长奖励能拿多少？", 60_000),
])
def test_area_conditions_glosses_uplifts_and_paired_figures(forms, q, total):
    a = ask(q, forms)
    assert a.total_yuan == total, a.answer


def test_an_area_below_the_condition_is_not_paid(forms):
    a = ask("某品牌在我区开了全国首店，营业面积150平方米，能拿多少首店奖励？", forms)
    assert not a.total_yuan, a.answer
    assert any(c.status == "not_met" and "200平方米" in c.text for b in a.blocks for c in b.conditions), a.answer


def test_the_enterprise_that_opens_the_store_is_the_recipient_not_the_store(forms):
    rule = next(r for r in forms.corpus.rules if r.clause_id == "5.9")
    assert rule.subject == "限上餐饮企业"


def test_a_numeral_and_measure_word_is_not_a_distinctive_term(forms):
    assert not {"一家", "每个", "两项"} & set(forms.lexicon.distinctive)


@pytest.mark.parametrize("q,total", [
    # a base that is the sum of two things, each told by its own words; instalments written as a ratio in a sibling item
    ("我们的科技成果产业化项目新增固定资产投资5000万元，实际完成设备购置2600万元、研发投入400万元，支持资金第一年能拨多少？", 1_200_000),
    ("我们的科技成果产业化项目新增固定资产投资5000万元，实际完成设备购置2600万元、研发投入400万元，第三年拨付多少？", 900_000),
    # a count the award's own condition looks at ("成员单位10家以上") does not multiply a one-time award
    ("我们牵头组建的联合体有12家成员单位，今年被认定为省级示范农业产业化联合体，牵头企业能拿多少？", 200_000),
])
def test_sum_bases_ratio_instalments_and_condition_counts(forms, q, total):
    a = ask(q, forms)
    assert a.total_yuan == total, a.answer


def test_a_ratio_instalment_item_is_a_modifier_of_its_article(forms):
    rule = next(r for r in forms.corpus.rules if r.clause_id == "6.10")
    assert rule.schedule is not None and rule.schedule.ratios == (40, 30, 30)
    assert any(n.clause_id == "6.11" for n in forms.corpus.non_computable) or "6.11" in rule.modifiers


@pytest.mark.parametrize("q,total", [
    # the year asked, not the month the rent is quoted by ("租金每平方米每月45元")
    ("我们是新设立的科技型中小企业，租了800平方米研发办公用房，租金每平方米每月45元，第一年租金补贴多少？", 120_000),
    # one year of an award paid each year, also when the question tells a contract length
    ("我们是新型农业经营主体，新流转集中连片土地300亩，流转合同期限8年，每年补多少？", 30_000),
    ("我们是新型农业经营主体，新流转集中连片土地300亩，流转合同期限8年，第一年补贴多少？", 30_000),
    # this year's payment: "一共" sums the measures asked about, not the years to come
    ("我们是新型农业经营主体，今年新流转集中连片土地300亩，流转合同期限8年，今年这项补贴一共能拿多少？", 30_000),
])
def test_the_period_the_question_asks_for(forms, q, total):
    a = ask(q, forms)
    assert a.total_yuan == total, a.answer


def test_a_question_after_a_turn_that_only_told_facts_is_about_them(forms):
    from assistant.pipeline import Conversation

    conv = Conversation()
    ask("我们是新设立的科技型中小企业，租了300平方米研发办公用房，租金每平方米每月40元。", forms, conv)
    a = ask("第二年的租金补贴是多少？", forms, conv)
    assert a.total_yuan == 36_000, a.answer


@pytest.mark.parametrize("q,total", [
    # each amount goes to the sibling its own words name (境外 70%, 境内 50%)
    ("今年参加了目录内的一个境外展会，展位费9万元；两个境内展会，展位费分别是6万元和10万元。展会补贴一共多少？", 143_000),
    # and the clause's total ceiling binds the sum of both awards (25.4万 + 6万 → 30万)
    ("我们参加了目录内的5个展会：3个境外展，展位费分别为15万元、12万元、10万元；2个境内展，展位费分别为8万元、4万元。展会补贴合计多少？", 300_000),
])
def test_sibling_rates_by_their_own_words_under_a_shared_ceiling(forms, q, total):
    a = ask(q, forms)
    assert a.total_yuan == total, a.answer


def test_several_areas_on_both_sides_of_an_area_condition_are_not_guessed(forms):
    a = ask("我们限上餐饮企业今年新开5家直营门店，其中3家面积在160到300平方米之间，另外2家只有120平方米，门店奖励多少？", forms)
    assert not a.total_yuan, a.answer  # which stores qualify is not said store by store: ask, do not guess
    both = ask("我们是限上餐饮企业，今年新开了2家直营门店，面积分别是180平方米和220平方米，门店奖励多少？", forms)
    assert both.total_yuan == 100_000, both.answer


SCALE = """# 云溪区支持商贸企业做大做强若干措施

## 一、支持商贸企业做大做强

1. 支持零售企业规模突破。对限上零售企业年度销售额首次达到或突破1亿元、5亿元、10亿元的，分别给予20万元、50万元、100万元奖励。（责任单位：区商务局）

2. 支持零售企业增长。对上年度已纳入统计的限上零售企业，当年销售额同比增速不低于10%的，按当年较上年度新增销售额的1%给予奖励，最高50万元。同一企业同一年度享受本条第（一）项至第（二）项奖励合计不超过120万元。（责任单位：区商务局）

## 二、支持消费场景建设

3. 对新获评省级步行街的，给予运营主体50万元奖励。（责任单位：区商务局）

4. 对新认定为市级夜间经济集聚区的，给予运营主体20万元奖励。（责任单位：区商务局）

5. 对企业参加境内外展会的，按展位费的50%给予补贴，单个企业每年最高10万元。（责任单位：区商务局）
"""


@pytest.fixture(scope="module")
def scale(tmp_path_factory):
    return _engine(tmp_path_factory, "yunxi-scale", "scale.md", SCALE, "scale")


@pytest.mark.parametrize("q,total", [
    # this year's figure is both the milestone's measure and the increase's base
    ("我们是上年度已入统的限上零售企业，销售额从上年的0.8亿元增长到今年的5.6亿元，年度销售额突破5亿元的奖励和增长奖励合计能拿多少？", 1_000_000),
    # 100万 + 50万, held to "本条第（一）项至第（二）项奖励合计不超过120万元"
    ("我们是上年度已入统的限上零售企业，上年销售额9.2亿元，今年10.3亿元，年度销售额首次突破10亿元的奖励和增长奖励一共能拿多少？", 1_200_000),
])
def test_one_figure_for_two_awards_under_an_item_range_ceiling(scale, q, total):
    a = ask(q, scale)
    assert a.total_yuan == total, a.answer


def test_an_item_range_ceiling_binds_every_item_it_names(scale):
    caps = {r.clause_id: [(c.amount.value, c.clause_id) for c in r.caps] for r in scale.corpus.rules}
    assert (120 * 10_000, "1.2") in caps["1.1"] and (120 * 10_000, "1.2") in caps["1.2"]


@pytest.mark.parametrize("q,total", [
    # a raised standard replaces the first for the cases it covers (30元, not 20元 + 30元)
    ("我们主办的品牌展会今年是在我区连续举办的第四届，展览面积4万平方米，补贴多少？", 1_200_000),
    # a lower level already received, told without a figure: its standard is deducted
    ("我们的技术创新中心原来是省级的，已经拿过省级奖励，今年晋升为国家级，还能再拿多少？", 2_000_000),
    # 第一年 of a monthly award, while the contract is for 3 years
    ("我们新引进了3个全日制硕士研究生，都签了3年劳动合同，生活补贴第一年一共能拿多少？", 36_000),
])
def test_raised_standards_received_levels_and_the_first_year(forms, q, total):
    a = ask(q, forms)
    assert a.total_yuan == total, a.answer


@pytest.mark.parametrize("q,total", [
    # stages already paid are not paid again; "最后这一笔" is the last stage, less the listing award received
    ("我们前年在新三板挂牌拿了50万元奖励，上市辅导备案和申请受理两个阶段的钱也都拿到了，今年成功在北交所上市，最后这一笔能拨多少？", 500_000),
    # both awards counted in one answer: the last stage pays less the listing award (300万 in all, not 350万)
    ("我们先在新三板挂牌，后来在深交所成功上市，挂牌奖励和上市三个阶段的奖励全部拿完，总共能从区里拿到多少？", 3_000_000),
])
def test_staged_listing_awards(forms, q, total):
    a = ask(q, forms)
    assert a.total_yuan == total, a.answer


def test_a_per_investment_threshold_judges_each_investment_on_its_own(forms):
    a = ask("我们是在区内备案的创投机构，今年投了两家成立不到3年的科技型中小企业，分别实际到位600万元和300万元，能拿多少奖励？", forms)
    assert a.total_yuan == 180_000, a.answer  # only the 600万 investment reaches 单笔500万元


def test_a_base_defined_by_its_gloss_takes_the_figure_the_gloss_names(forms):
    a = ask("我们是限上超市，今年经备案发放企业消费券面额500万元，实际核销320万元，配套补贴按多少算？", forms)
    assert a.total_yuan == 640_000, a.answer  # 以消费券核销金额为准: 320万 × 20%, not the face value
