"""Optional LLM phrasing against a scripted OpenAI-compatible server started by the test."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant import phrases
from assistant.pipeline import Conversation, ask
from assistant.settings import load_settings

SCRIPT = {"reply": "", "delay": 0.0}


class FakeOpenAI(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        time.sleep(SCRIPT["delay"])
        draft = body["messages"][-1]["content"]
        text = SCRIPT["reply"].replace("{DRAFT}", draft.split("草稿回答：\n", 1)[1].rsplit("\n\n请输出", 1)[0])
        if body.get("stream"):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            for piece in (text[: len(text) // 2], text[len(text) // 2:]):
                chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m",
                         "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            return
        payload = {"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except BrokenPipeError:  # the client timed out first: that is the point of the slow test
            pass


@pytest.fixture(scope="module")
def fake_server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()


@pytest.fixture
def llm_engine(default_engine, fake_server):
    from dataclasses import replace

    from assistant.llm import make_llm

    settings = load_settings(llm_base_url=fake_server, llm_model="fake", llm_timeout_s=1.0)
    return replace(default_engine, llm=make_llm(settings))


Q = "我们是中小企业，去年算力服务费80万元，能补多少？"


def test_llm_rewrite_that_keeps_numbers_and_ids_is_used(llm_engine):
    SCRIPT.update(reply="您好！根据政策：\n{DRAFT}\n以上供参考。", delay=0)
    a = ask(Q, llm_engine, Conversation())
    assert a.answer.startswith("您好！") and "[3.4]" in a.answer and a.total_yuan == 200000
    assert phrases.LLM_FALLBACK_NOTE not in a.notes


def test_llm_inventing_a_number_falls_back_to_the_deterministic_answer(llm_engine, default_engine):
    SCRIPT.update(reply="算力券可以补贴100%，最高999万元 [3.4]", delay=0)
    a = ask(Q, llm_engine, Conversation())
    plain = ask(Q, default_engine, Conversation())
    assert a.answer == plain.answer and phrases.LLM_FALLBACK_NOTE in a.notes


def test_llm_dropping_citations_falls_back(llm_engine):
    SCRIPT.update(reply="可以补贴20万元。", delay=0)
    a = ask(Q, llm_engine, Conversation())
    assert "[3.4]" in a.answer and phrases.LLM_FALLBACK_NOTE in a.notes


def test_slow_llm_times_out_and_falls_back(llm_engine):
    SCRIPT.update(reply="{DRAFT}", delay=3.0)
    t = time.perf_counter()
    a = ask(Q, llm_engine, Conversation())
    assert time.perf_counter() - t < 2.9
    assert a.total_yuan == 200000 and phrases.LLM_FALLBACK_NOTE in a.notes


def test_llm_down_falls_back(default_engine):
    from dataclasses import replace

    from assistant.llm import make_llm

    engine = replace(default_engine, llm=make_llm(load_settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="x", llm_timeout_s=1)))
    a = ask(Q, engine, Conversation())
    assert a.total_yuan == 200000 and phrases.LLM_FALLBACK_NOTE in a.notes


def test_streaming_yields_text_then_verified_answer(llm_engine):
    from assistant.llm import stream_rephrase
    from assistant.types import Answer

    SCRIPT.update(reply="{DRAFT}", delay=0)
    base = ask(Q, llm_engine.__class__(llm_engine.corpus, llm_engine.retriever), Conversation())
    items = list(stream_rephrase(llm_engine.llm, base))
    assert all(isinstance(x, str) for x in items[:-1]) and isinstance(items[-1], Answer)
    assert items[-1].answer.strip() == base.answer.strip()


def test_refusals_never_go_to_the_llm(llm_engine):
    SCRIPT.update(reply="新能源汽车补贴最高5万元 [3.4]", delay=0)
    a = ask("新能源汽车补贴有多少", llm_engine, Conversation())
    assert a.refused and a.answer == phrases.REFUSAL
