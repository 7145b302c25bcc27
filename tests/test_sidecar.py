"""Rule sidecars: an admin supplies or corrects rules next to a policy file, validated against its text."""

import shutil

import pytest

from assistant.corpus import load_corpus
from assistant.errors import ParseError
from assistant.policies import add_policy
from tests.conftest import WUHAN

POLICY = """# 某区人才安居办法

第一条 【租房补贴】对新引进的博士，每人每月给予租房补贴，标准为2000元，最长不超过24个月。（责任单位：区人才办）
第二条 【购房补贴】对A类人才给予购房补贴100万元。购房补贴分三年按4:3:3拨付。（责任单位：区住建局）
第三条 本办法自2026年1月1日起施行。
"""

GOOD = """# 区人才安居办法的规则补充
[[rule]]
clause = "1.1"
kind = "per_unit"
name = "博士租房补贴"
subject = "博士"
fixed = "2000元"
per_unit = {unit = "人", period = "月", max_periods = "24个月"}
notes = ["按每人每月2000元发放。"]

[[note]]
clause = "2.1"
text = "拨付节奏以区住建局通知为准。"
"""


@pytest.fixture
def corpus_dir(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    shutil.copy(WUHAN, d)
    return d


def _add(tmp_path, corpus_dir, sidecar_text: str | None):
    src = tmp_path / "anju.md"
    src.write_text(POLICY, encoding="utf-8")
    if sidecar_text is not None:
        (tmp_path / "anju.rules.toml").write_text(sidecar_text, encoding="utf-8")
    return add_policy(corpus_dir, src, doc_id="anju", status="in_force")


def test_sidecar_rule_replaces_what_the_text_alone_gives(tmp_path, corpus_dir):
    from assistant.calculator import calculate

    _add(tmp_path, corpus_dir, GOOD)
    assert (corpus_dir / "anju.rules.toml").is_file()  # carried along by add
    corpus = load_corpus(corpus_dir)
    rules = corpus.rules_for("anju:1.1")
    assert [r.source for r in rules] == ["sidecar"] and rules[0].name == "博士租房补贴"
    calc = calculate(rules[0], count=1, periods=6)
    assert calc.amount_yuan == 12000 and "2000元/人/月 × 1人 × 6个月" in calc.formula
    assert "拨付节奏以区住建局通知为准。" in corpus.rules_for("anju:2.1")[0].notes


@pytest.mark.parametrize("text, where, words", [
    ("[[rule]]\nclause = \"1.1\"\nkind = \"fixed\"\nname = \"x\"\nfixed = \"3000元\"\n", "anju.rules.toml:1", "“3000元”不在条款 1.1 原文中"),
    ("[[rule]]\nclause = \"9.9\"\nkind = \"fixed\"\nname = \"x\"\nfixed = \"2000元\"\n", "anju.rules.toml:1", "条款 9.9 不存在"),
    ("[[note]]\nclause = \"1.1\"\ntext = \"ok\"\n\n[[rule]]\nclause = \"1.1\"\nkind = \"bogus\"\nname = \"x\"\n", "anju.rules.toml:5", "字段 rule.0.kind 不正确"),
    ("[[rule]]\nclause = \"1.1\"\nkind = \"fixed\"\nname = \"x\"\nfixed = \"2000元\"\ncolour = \"red\"\n", "anju.rules.toml:1", "colour"),
    ("[[rule]]\nclause = \"1.1\"\nkind = \"rate\"\nname = \"x\"\nrate = \"50%\"\n", "anju.rules.toml:1", "“50%”不在条款 1.1 原文中"),
    ("[[rule]\nclause = 1\n", "anju.rules.toml:1", "TOML 格式错误"),
    ("[[rule]]\nclause = \"2.1\"\nkind = \"fixed\"\nname = \"x\"\nfixed = \"100万元\"\nschedule = {ratios = [5, 5]}\n", "anju.rules.toml:1", "拨付比例 5:5 不在条款 2.1 原文中"),
])
def test_bad_sidecar_is_one_line_error_naming_file_and_line(tmp_path, corpus_dir, text, where, words):
    with pytest.raises(ParseError) as exc:
        _add(tmp_path, corpus_dir, text)
    msg = exc.value.message
    assert where in msg and words in msg and "\n" not in msg
    assert not (corpus_dir / "anju.md").exists() and not (corpus_dir / "anju.rules.toml").exists()  # nothing half-added


def test_review_entry_lists_a_clause_with_its_reason(tmp_path, corpus_dir):
    _add(tmp_path, corpus_dir, "[[review]]\nclause = \"2.1\"\nreason = \"拨付方式以年度通知为准，请人工核对。\"\n")
    corpus = load_corpus(corpus_dir)
    assert corpus.rules_for("anju:2.1") == []
    assert {n.clause_id: n.reason for n in corpus.non_computable}["anju:2.1"] == "拨付方式以年度通知为准，请人工核对。"


def test_shipped_sidecar_is_valid_and_every_number_is_in_its_clause():
    corpus = load_corpus(WUHAN.parent)
    for r in corpus.rules:
        for q in r.numbers():
            assert q.text in corpus.get(r.clause_id).text


MODIFIED = """# 某区贷款贴息办法

第一条 【贷款贴息】对企业贷款按实际支付利息的50%给予贴息，单个企业每年最高50万元；以知识产权质押方式获得的贷款，贴息比例提高至70%。
第二条 本办法自2026年1月1日起施行。
"""

MODIFIER_SIDECAR = """[[rule]]
clause = "1.1"
kind = "rate"
name = "贷款贴息"
base = "实际支付利息"
rate = "50%"
caps = [{amount = "50万元", scope = "recipient_year", text = "单个企业每年"}]
rate_modifiers = [{condition = "以知识产权质押方式获得的贷款", rate = "70%"}]
"""


def test_sidecar_gives_a_conditional_rate_modifier(tmp_path, corpus_dir):
    from decimal import Decimal

    from assistant.calculator import Claim, calculate_claims

    src = tmp_path / "tiexi.md"
    src.write_text(MODIFIED, encoding="utf-8")
    (tmp_path / "tiexi.rules.toml").write_text(MODIFIER_SIDECAR, encoding="utf-8")
    add_policy(corpus_dir, src, doc_id="tiexi", status="in_force")
    rule = next(r for r in load_corpus(corpus_dir).rules if r.source == "sidecar" and r.name == "贷款贴息")
    assert [m.effect for m in rule.rate_modifiers] == ["比例提高至70%"]
    calc = calculate_claims([Claim(rule, Decimal(400_000), conditions_met=("知识产权质押",))])[0]
    assert calc.amount_yuan == 280_000


def test_sidecar_modifier_condition_must_be_in_the_clause(tmp_path, corpus_dir):
    src = tmp_path / "tiexi.md"
    src.write_text(MODIFIED, encoding="utf-8")
    (tmp_path / "tiexi.rules.toml").write_text(MODIFIER_SIDECAR.replace("以知识产权质押方式获得的贷款", "以股权质押方式获得的贷款"), encoding="utf-8")
    with pytest.raises(ParseError):
        add_policy(corpus_dir, src, doc_id="tiexi", status="in_force")
