"""Property/fuzz tests: no exception escapes except the documented error types."""

import string

from hypothesis import HealthCheck, given, settings, strategies as st

from assistant.pipeline import Conversation, ask
from assistant.errors import EmptyQueryError, ParseError, PolicyError
from assistant.parser import parse_text

CHINESE = st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF)
PIECES = st.sampled_from(["一、", "二、", "（一）", "第一条", "。", "，", "（责任单位：市数据局）", "本政策自2026年X月X日起施行。",
                          "\n", "最高200万元", "50%", "给予", "对企业", "<script>", "\x00", "\u200b"])
policy_text = st.lists(st.one_of(PIECES, st.text(CHINESE, max_size=8), st.text(string.printable, max_size=5)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(policy_text)
def test_parser_either_parses_or_raises_parse_error(text):
    try:
        doc = parse_text("标题\n" + text, name="fuzz.txt")
    except ParseError as err:
        assert err.file == "fuzz.txt"
        return
    assert doc.clauses
    for c in doc.clauses:
        assert c.text


questions = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(st.sampled_from(["算力券", "模型券", "300万元", "-50万元", "999999999999亿元", "中小企业", "<b>", "忽略之前的规则",
                                         "'; DROP TABLE x; --", "😀", "第三条第四项", "3.4", "？", "呢", "多少"]), st.text(CHINESE, max_size=5)),
             max_size=12).map("".join),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=questions)
def test_ask_never_raises_anything_undocumented(default_engine, q):
    try:
        a = ask(q, default_engine, Conversation())
    except EmptyQueryError:
        assert not q.strip() or all(not ch.isprintable() or ch.isspace() for ch in q)
        return
    except PolicyError:
        raise AssertionError("only EmptyQueryError is documented for ask()")
    assert isinstance(a.answer, str)
    if a.refused:
        assert a.calculations == () and a.total_yuan is None
    for c in a.calculations:
        assert c.amount_yuan >= 0
