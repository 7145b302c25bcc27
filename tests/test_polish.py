"""LLM polish at the edge: a scripted OpenAI-compatible server on loopback, frozen reference answers.

Tests that talk HTTP to the scripted server are marked ``integration``; the rest use in-process fakes."""

import ast
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from assistant import phrases
from assistant.errors import Cancelled, DeadlineExceeded
from assistant.llm import OpenAICompatible
from assistant.polish import Polisher, max_tokens_for, strip_echo
from eval.run_verify import load_references
from tests.scripted_llm import ScriptedLLM

ROOT = Path(__file__).resolve().parent.parent
REFS = load_references()
TWO = replace(REFS["two_measures"], conversation_id="c1")  # 算力券 20万元 + 模型券 20万元, 合计40万元


@pytest.fixture(scope="module")
def server():
    srv = ScriptedLLM().start()
    yield srv
    srv.stop()


@pytest.fixture
def polisher(server, corpus):
    server.reset()
    gen = OpenAICompatible(server.url, "scripted")
    return Polisher(gen, 2.0, frozenset(c.id for c in corpus.clauses), frozenset(corpus.departments))


@pytest.mark.integration  # a scripted OpenAI-compatible server on loopback
def test_faithful_rewrite_is_used(polisher, server):
    server.reset(reply="您好！根据政策测算如下。\n{DRAFT}\n以上供参考。")
    a = polisher.polish(TWO)
    assert a.llm == "used" and a.answer.startswith("您好！") and "[6.3]" in a.answer
    assert a.total_yuan == 400000 and a.citations == TWO.citations and a.notes == TWO.notes


@pytest.mark.parametrize("reply,kind", [
    ("{DRAFT}\n另外还可再获50万元奖励。", "unsourced_quantity"),
    ("{DRAFT}".replace("{DRAFT}", "{DRAFT}"), None),  # control: the draft itself passes
    ("【算力服务券补助】[3.4] 给予百分之百补助、不设上限。", "contradiction"),
    ("{DRAFT}\n人才新政另有支持 [talent:9.9]。", "unknown_clause"),
])
@pytest.mark.integration  # a scripted OpenAI-compatible server on loopback
def test_unfaithful_rewrites_are_rejected_with_findings(polisher, server, reply, kind):
    server.reset(reply=reply)
    a = polisher.polish(TWO)
    if kind is None:
        assert a.llm == "used"
        return
    assert a.llm == "rejected" and kind in {f.kind for f in a.llm_findings}
    assert a.answer == TWO.answer and phrases.LLM_REJECTED_NOTE in a.notes
    d = a.to_dict()
    assert d["llm"] == "rejected" and {"kind", "span", "text", "why"} <= set(d["llm_findings"][0])


@pytest.mark.integration  # a scripted OpenAI-compatible server on loopback
def test_total_in_chinese_numerals_that_differs_is_rejected(polisher, server):
    server.reset(reply="{DRAFT}".replace("{DRAFT}", "{DRAFT}") + "\n合计：四百万元")
    a = polisher.polish(TWO)
    assert a.llm == "rejected" and "total_mismatch" in {f.kind for f in a.llm_findings}


@pytest.mark.integration  # a scripted OpenAI-compatible server on loopback
def test_prompt_echoes_are_stripped(polisher, server):
    server.reset(reply="以下是润色后的回答：\n{DRAFT}\n请输出润色后的回答：")
    a = polisher.polish(TWO)
    assert a.llm == "used" and "润色" not in a.answer and a.answer == TWO.answer


@pytest.mark.integration  # a scripted OpenAI-compatible server on loopback
def test_a_prompt_echo_in_the_middle_is_rejected(polisher, server):
    server.reset(reply="{DRAFT}\n用户问题：能拿多少补贴？\n{DRAFT}")
    a = polisher.polish(TWO)
    assert a.llm == "rejected" and "prompt_echo" in {f.kind for f in a.llm_findings}


def test_strip_echo():
    assert strip_echo("好的，以下是润色后的回答：\n可得20万元。\n请输出润色后的回答：") == "可得20万元。"
    assert strip_echo("用户问题：x\n\n草稿回答：\ny\n\n请输出润色后的回答：\n可得20万元。") == "可得20万元。"


@pytest.mark.integration  # a scripted OpenAI-compatible server on loopback
def test_max_tokens_follow_the_draft_length(polisher, server):
    short = replace(REFS["department"], conversation_id="s")
    polisher.polish(short)
    polisher.polish(TWO)
    sent = [r["max_tokens"] for r in server.requests]
    assert sent == [max_tokens_for(short.answer), max_tokens_for(TWO.answer)]
    assert sent[0] < sent[1] <= 2048


@pytest.mark.integration  # a scripted OpenAI-compatible server on loopback
def test_deadline_holds_while_the_server_streams_forever(polisher, server):
    server.reset(reply="{DRAFT}", forever=True, delay=0.02)
    t = time.monotonic()
    a = polisher.polish(TWO)
    took = time.monotonic() - t
    assert a.llm == "timeout" and a.answer == TWO.answer and phrases.LLM_TIMEOUT_NOTE in a.notes
    assert took < 2.0 + 0.5
    assert server.wait_idle(2.0) and server.hangups, "the server must notice that the client closed the stream"


@pytest.mark.integration  # a scripted OpenAI-compatible server on loopback
def test_deadline_holds_when_the_server_never_answers(polisher, server):
    server.reset(first_byte_delay=30)
    t = time.monotonic()
    a = polisher.polish(TWO)
    assert a.llm == "timeout" and time.monotonic() - t < 2.5


@pytest.mark.integration  # a scripted OpenAI-compatible server on loopback
def test_deadline_holds_for_a_stream_that_trickles(polisher, server):
    server.reset(reply="{DRAFT}", chunk_chars=1, delay=0.05)  # ~500 characters at 20 a second: 25 s
    t = time.monotonic()
    a = polisher.polish(TWO)
    assert a.llm == "timeout" and time.monotonic() - t < 2.5


@pytest.mark.integration  # a scripted OpenAI-compatible server on loopback
def test_a_timed_out_request_frees_a_single_slot_server(corpus):
    srv = ScriptedLLM(threaded=False).start()  # one request at a time, like llama.cpp with one slot
    try:
        p = Polisher(OpenAICompatible(srv.url, "scripted"), 1.0)
        srv.reset(reply="{DRAFT}", forever=True, delay=0.02)
        assert p.polish(replace(TWO, conversation_id="a")).llm == "timeout"
        srv.script.forever = False
        srv.script.delay = 0.0
        t = time.monotonic()
        assert p.polish(replace(TWO, conversation_id="b")).llm == "used"
        assert time.monotonic() - t < 1.0
    finally:
        srv.stop()


@pytest.mark.integration  # a scripted OpenAI-compatible server on loopback
def test_server_errors_and_a_dead_server_fall_back(polisher, server):
    server.reset(status=500)
    assert polisher.polish(TWO).llm == "error"
    dead = Polisher(OpenAICompatible("http://127.0.0.1:9/v1", "x"), 1.0)
    a = dead.polish(TWO)
    assert a.llm == "error" and a.answer == TWO.answer and phrases.LLM_FALLBACK_NOTE in a.notes


@pytest.mark.integration  # a scripted OpenAI-compatible server on loopback
def test_refusals_never_reach_the_llm(polisher, server):
    server.reset(reply="新能源汽车补贴最高5万元 [3.4]")
    refusal = replace(TWO, answer=phrases.REFUSAL, refused=True, citations=(), calculations=(), total_yuan=None)
    assert polisher.polish(refusal).llm == "off" and server.requests == []


@pytest.mark.integration  # a scripted OpenAI-compatible server on loopback
def test_stream_yields_only_verified_sentences(polisher, server):
    good = "【算力服务券补助】[3.4] 贵单位为中小企业，✓ 已满足条件。"
    bad = "另外还可再获50万元奖励。"
    server.reset(reply=good + bad + "{DRAFT}", chunk_chars=4, delay=0.01)
    items = list(polisher.stream(TWO))
    shown = [x for x in items if isinstance(x, str)]
    assert shown and shown[0] == good
    assert not any("50万元" in s for s in shown)
    assert items[-1].llm == "rejected" and items[-1].answer == TWO.answer


@pytest.mark.integration  # a scripted OpenAI-compatible server on loopback
def test_stream_of_a_faithful_rewrite_grows_sentence_by_sentence(polisher, server):
    server.reset(reply="{DRAFT}", chunk_chars=5)
    items = list(polisher.stream(TWO))
    shown = [x for x in items if isinstance(x, str)]
    assert len(shown) >= 5 and all(b.startswith(a) for a, b in zip(shown, shown[1:]))
    assert items[-1].llm == "used"


class CountingGenerator:
    """In-process generator that records how many requests are open at once."""

    def __init__(self, text: str, seconds: float) -> None:
        self.text, self.seconds = text, seconds
        self.active = self.max_active = 0
        self.lock = threading.Lock()

    def stream(self, messages, *, max_tokens, deadline, cancel=None):
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            end = time.monotonic() + self.seconds
            while time.monotonic() < end:
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                if time.monotonic() > deadline:
                    raise DeadlineExceeded()
                time.sleep(0.01)
            yield self.text
        finally:
            with self.lock:
                self.active -= 1


def _polish_in_threads(p: Polisher, answers):
    out = [None] * len(answers)

    def run(i, a):
        out[i] = p.polish(a)

    threads = []
    for i, a in enumerate(answers):
        threads.append(threading.Thread(target=run, args=(i, a)))
        threads[-1].start()
        time.sleep(0.1)
    for t in threads:
        t.join(10)
    return out


def test_one_request_in_flight_per_conversation():
    gen = CountingGenerator(TWO.answer, 0.5)
    p = Polisher(gen, 5.0)
    first, second = _polish_in_threads(p, [TWO, TWO])
    assert gen.max_active == 1
    assert first.llm == "error" and second.llm == "used"  # the newer request replaced the older


def test_different_conversations_polish_side_by_side():
    gen = CountingGenerator(TWO.answer, 0.5)
    p = Polisher(gen, 5.0)
    results = _polish_in_threads(p, [replace(TWO, conversation_id="x"), replace(TWO, conversation_id="y")])
    assert gen.max_active == 2 and [r.llm for r in results] == ["used", "used"]


def _imports(module: str) -> set[str]:
    tree = ast.parse((ROOT / "assistant" / f"{module}.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_the_pipeline_and_the_llm_adapter_do_not_import_each_other():
    for stage in ("pipeline", "route", "compose", "understand", "scope", "lexicon"):
        assert not {n for n in _imports(stage) if "llm" in n or "polish" in n}, stage
    assert not {n for n in _imports("llm") if n.startswith("assistant.pipeline")}
    assert not {n for n in _imports("polish") if n.startswith(("assistant.llm", "assistant.pipeline"))}


def test_only_the_adapter_speaks_http_to_the_llm():
    users = {p.stem for p in (ROOT / "assistant").glob("*.py") if "http.client" in _imports(p.stem) or "openai" in _imports(p.stem)}
    assert users == {"llm"}


@pytest.mark.integration  # a scripted OpenAI-compatible server on loopback
def test_service_polishes_at_the_edge_and_reports_it_in_json(default_engine, server, tmp_path, corpus):
    from assistant.service import Service
    from assistant.settings import load_settings
    from assistant.storage import open_store

    server.reset(reply="{DRAFT}\n另外还可再获50万元奖励。")
    polisher = Polisher(OpenAICompatible(server.url, "scripted"), 2.0, frozenset(c.id for c in corpus.clauses))
    service = Service(load_settings(), default_engine, open_store(tmp_path, None, conversation_ttl_s=3600), {}, polisher)
    d = service.ask("我们是中小企业，去年算力服务费80万元，能补多少？").to_dict()
    assert d["llm"] == "rejected" and d["llm_findings"][0]["kind"] == "unsourced_quantity" and d["total_yuan"] == 200000
    server.reset(reply="{DRAFT}")
    assert service.ask("我们是中小企业，去年算力服务费80万元，能补多少？").to_dict()["llm"] == "used"
    service.polisher = None
    assert service.ask("模型券归哪个部门管？").to_dict()["llm"] == "off"
