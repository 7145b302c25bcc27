"""Bounded input and API hygiene: streamed body limits on every route (Gradio's too), the admin
token checked before the body is read, rate limits, the error shape, paging, no temp files.
Each test here failed against the code before issue 13."""

import asyncio
import json
import os
import tempfile
import threading
import time

import pytest
from fastapi.testclient import TestClient

from assistant.api import MAX_BODY_BYTES, create_api
from assistant.guards import MAX_UI_BODY_BYTES, RateLimiter
from tests.test_api import TOKEN, make_service

AUTH = {"Authorization": f"Bearer {TOKEN}"}
TALENT = "# 某市人才补贴办法\n\n第一条 为吸引人才，制定本办法。\n第二条 【补贴标准】对博士给予每月3000元生活补贴。（责任单位：市人社局）\n"


@pytest.fixture(scope="module")
def service(default_engine, tmp_path_factory):
    return make_service(default_engine, tmp_path_factory.mktemp("guards"))


@pytest.fixture(scope="module")
def client(service):
    return TestClient(create_api(service))


@pytest.fixture(scope="module")
def web(service):
    """The whole app: REST API with the Gradio UI mounted at /."""
    from assistant.web import create_app

    return TestClient(create_app(service.settings, service=service))


def call_asgi(app, method: str, path: str, headers: dict[str, bytes], chunks: list[bytes]):
    """Drive the ASGI app directly; report the response and how many body chunks it pulled."""
    pulled = []
    sent: list[dict] = []

    async def receive():
        if len(pulled) < len(chunks):
            pulled.append(chunks[len(pulled)])
            return {"type": "http.request", "body": pulled[-1], "more_body": len(pulled) < len(chunks)}
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "scheme": "http", "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000),
             "headers": [(k.lower().encode(), v) for k, v in headers.items()]}
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 30))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body), len(pulled)


# ---------------------------------------------------------------- body limits


def test_chunked_body_without_content_length_is_stopped_at_the_limit(client):
    pulled = []

    def chunks():
        for _ in range(64):  # 8 MB offered, in 128 KB chunks
            pulled.append(1)
            yield b"x" * (128 * 1024)

    r = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "过大" in r.json()["error"]


def test_streamed_body_is_not_read_past_the_limit(service):
    app = create_api(service)
    chunk = b"x" * (64 * 1024)
    status, body, pulled = call_asgi(app, "POST", "/api/ask", {"content-type": b"application/json"}, [chunk] * 100)
    assert status == 413 and "error" in body and pulled <= MAX_BODY_BYTES // len(chunk) + 1


def test_declared_oversize_body_is_refused_before_reading(service):
    status, body, pulled = call_asgi(create_api(service), "POST", "/api/feedback",
                                     {"content-type": b"application/json", "content-length": b"52428800"}, [b"{}"])
    assert (status, pulled) == (413, 0)


def test_fifty_megabyte_feedback_answer_is_refused(client):
    r = client.post("/api/feedback", json={"question": "q", "answer": "a" * (50 * 1024 * 1024), "rating": 1})
    assert r.status_code == 413


@pytest.mark.parametrize("body", [
    {"question": "q", "answer": "a" * 100_001, "rating": 1},
    {"question": "q", "answer": {"answer": "a" * 100_001}, "rating": 1},
    {"question": "q" * 5001, "answer": "a", "rating": 1},
    {"question": "q", "answer": "a", "rating": 1, "comment": "c" * 2001},
])
def test_every_feedback_text_field_is_bounded(client, body):
    r = client.post("/api/feedback", json=body)
    assert r.status_code == 422 and r.json()["error"]


@pytest.mark.parametrize("body", [
    {"answers": {"base:算力服务费用": "8" * 65}}, {"answers": {"k" * 33: "1万"}}, {"answers": {f"condition:{i}": True for i in range(101)}},
    {"doc": "d" * 65}, {"answers": {}, "amounts": {"算力服务费用": "80万元"}},
])
def test_eligibility_fields_are_bounded(client, body):
    assert client.post("/api/eligibility", json=body).status_code == 422


def test_gradio_routes_are_body_limited_too(web):
    r = web.post("/gradio_api/queue/join", content=(b"x" * (256 * 1024) for _ in range(8)), headers={"content-type": "application/json"})
    assert MAX_UI_BODY_BYTES < 8 * 256 * 1024 and r.status_code == 413 and "error" in r.json()


def test_gradio_upload_route_is_closed(web):
    r = web.post("/gradio_api/upload", files={"files": ("x.bin", b"x" * 1024, "application/octet-stream")})
    assert r.status_code == 403 and r.json() == {"error": "本服务不接受网页文件上传"}


# ---------------------------------------------------------------- admin token


def test_admin_token_is_checked_before_the_body_is_read(service):
    chunks = [b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n"] + [b"x" * 65536] * 50
    status, body, pulled = call_asgi(create_api(service), "POST", "/api/admin/policies",
                                     {"content-type": b"multipart/form-data; boundary=b"}, chunks)
    assert (status, pulled) == (401, 0) and body == {"error": "管理令牌无效"}


def test_no_token_and_no_file_is_401_not_422(client):
    assert client.post("/api/admin/policies").status_code == 401


@pytest.mark.parametrize("headers", [
    {"Authorization": TOKEN},  # the token without "Bearer" used to be accepted
    {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer wrong"},
    {"X-Admin-Token": "wrong"},
    {"X-Admin-Token": "令牌".encode("utf-8")},  # non-ASCII: was a 500 from compare_digest
    {"Authorization": "Bearer 令牌".encode("utf-8")},
])
def test_bad_admin_credentials_are_401(client, headers):
    r = client.post("/api/admin/policies", files={"file": ("t.md", TALENT.encode())}, headers=headers)
    assert r.status_code == 401 and r.json()["error"]


@pytest.mark.parametrize("data,files,words", [
    ({"title": "长" * 201}, None, "title 过长"),
    ({"doc_id": "d" * 65}, None, "doc_id 过长"),
    ({"unexpected": "x"}, None, "未知字段"),
    ({}, {"file": ("a.md", b"a"), "rules": ("a.rules.toml", b"b"), "file3": ("c.md", b"c")}, "Too many files"),
    ({}, {"title": (None, "标题")}, "缺少文件字段"),
    ({}, {"title": (None, "标题"), "file": (None, "不是文件")}, "缺少文件字段"),
])
def test_admin_form_fields_are_bounded(client, data, files, words):
    files = {"file": ("t.md", TALENT.encode())} if files is None else files
    r = client.post("/api/admin/policies", data=data, files=files, headers=AUTH)
    assert r.status_code == 400 and words in r.json()["error"]


def test_feedback_export_needs_the_admin_token_and_streams(client):
    client.post("/api/feedback", json={"question": "导出测试", "answer": "a", "rating": 1})
    assert client.get("/api/feedback/export").status_code == 401
    assert client.get("/api/feedback/export", headers={"Authorization": "Bearer nope"}).status_code == 401
    r = client.get("/api/feedback/export", headers=AUTH)
    assert r.status_code == 200 and "content-length" not in r.headers and r.headers["content-type"].startswith("application/x-ndjson")
    assert any(json.loads(line)["question"] == "导出测试" for line in r.text.splitlines())


# ---------------------------------------------------------------- rate limits


def test_rate_limiter_window():
    limiter = RateLimiter({"b": 2}, window_s=0.3)
    assert [limiter.allow("b", "ip")[0] for _ in range(3)] == [True, True, False]
    assert limiter.allow("b", "other")[0] and limiter.allow("unlimited", "ip") == (True, 0)
    time.sleep(0.35)
    assert limiter.allow("b", "ip")[0]


def test_feedback_writes_are_rate_limited_per_client(default_engine, tmp_path):
    client = TestClient(create_api(make_service(default_engine, tmp_path, feedback_rate_per_minute=3)))
    codes = [client.post("/api/feedback", json={"question": "q", "answer": "a", "rating": 1}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    r = client.post("/api/feedback", json={"question": "q", "answer": "a", "rating": 1})
    assert "请求过于频繁" in r.json()["error"] and int(r.headers["retry-after"]) >= 1


def test_admin_token_guesses_are_rate_limited(default_engine, tmp_path):
    client = TestClient(create_api(make_service(default_engine, tmp_path, admin_rate_per_minute=5)))
    codes = [client.post("/api/admin/policies", headers={"X-Admin-Token": f"guess{i}"}).status_code for i in range(7)]
    assert codes == [401] * 5 + [429] * 2
    assert client.post("/api/admin/policies", headers=AUTH).status_code == 429  # the right token waits too


# ---------------------------------------------------------------- error shape


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/api/no-such-route", 404), ("GET", "/api/ask", 405), ("DELETE", "/api/clauses", 405), ("GET", "/api/clauses?limit=0", 422),
    ("GET", "/api/clauses?limit=201", 422), ("GET", "/api/clauses/99.9", 404),
])
def test_every_api_error_is_an_error_object(client, method, path, status):
    r = client.request(method, path)
    assert r.status_code == status and set(r.json()) <= {"error", "details"} and r.json()["error"]


@pytest.mark.parametrize("method,path,status", [("GET", "/api/no-such-route", 404), ("GET", "/api/ask", 405), ("DELETE", "/api/clauses", 405),
                                                ("GET", "/no/such/page", 404), ("GET", "/gradio_api/no-such-route", 404)])
def test_errors_with_the_ui_mounted_have_the_right_status_and_shape(web, method, path, status):
    r = web.request(method, path)
    assert r.status_code == status and "detail" not in r.json() and r.json()["error"]


# ---------------------------------------------------------------- paging


def test_clauses_are_paged(client):
    d = client.get("/api/clauses").json()
    assert (d["count"], d["total"], d["limit"], d["offset"]) == (42, 42, 50, 0)
    page = client.get("/api/clauses", params={"limit": 5, "offset": 10}).json()
    assert [c["clause_id"] for c in page["clauses"]] == [c["clause_id"] for c in d["clauses"][10:15]] and page["total"] == 42
    assert client.get("/api/clauses", params={"offset": 1000}).json()["clauses"] == []


def test_a_page_of_a_ten_thousand_article_document_is_fast(tmp_path):
    from assistant.pipeline import Engine
    from assistant.corpus import Corpus
    from assistant.parser import parse_text

    text = "# 大型测试政策\n\n" + "\n".join(f"第{i}条 【措施{i}】对企业给予补贴。对个人给予奖励。（责任单位：市测试局{i % 7}）"
                                         for i in range(1, 10_001))
    corpus = Corpus.from_documents([parse_text(text, name="big.md", doc_id="big")])
    client = TestClient(create_api(make_service(Engine(corpus, retriever=None), tmp_path)))
    t = time.perf_counter()
    r = client.get("/api/clauses", params={"limit": 50, "offset": 19_000})
    elapsed = time.perf_counter() - t
    d = r.json()
    assert d["total"] == 20_000 and d["clauses"][0]["clause_id"] == "9501.1" and len(r.content) < 200_000
    assert elapsed < 1.0, elapsed
    t = time.perf_counter()
    assert client.get("/api/clauses/10000.2").json()["article_label"] and time.perf_counter() - t < 0.5


# ---------------------------------------------------------------- temp files


def test_eligibility_report_leaves_no_files_behind(service):
    import base64

    from assistant.api import default_doc
    from assistant.webui import eligibility_view

    before = set(os.listdir(tempfile.gettempdir()))
    table, links = eligibility_view(service, default_doc(service.corpus), {"base:算力服务费用": "80万元", "subject:中小企业": "是"})
    assert "测算合计" in table and "href='data:text/markdown" in links
    payload = links.split("data:text/markdown;charset=utf-8;base64,", 1)[1].split("'", 1)[0]
    assert base64.b64decode(payload).decode("utf-8").startswith("# ")
    assert set(os.listdir(tempfile.gettempdir())) - before == set()


# ---------------------------------------------------------------- admin changes over the API


@pytest.fixture
def admin_env(tmp_path):
    import shutil

    from assistant.service import build_service
    from assistant.settings import load_settings
    from tests.conftest import CORPUS_DIR, WUHAN

    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    shutil.copy(WUHAN, corpus_dir)
    shutil.copy(CORPUS_DIR / "policies.json", corpus_dir)
    settings = load_settings(corpus_dir=corpus_dir, index_dir=tmp_path / "index", data_dir=tmp_path / "data", embedder="hash",
                             admin_token=TOKEN)
    service = build_service(settings, quiet=True)
    return TestClient(create_api(service)), service


def test_eight_concurrent_api_uploads_with_mixed_statuses(admin_env):
    client, service = admin_env
    statuses = ["superseded", "in_force", "draft", None, "superseded", None, "in_force", "superseded"]
    results: dict[int, object] = {}

    def upload(n):
        text = TALENT.replace("3000元", f"{n + 1}000元").replace("市人社局", f"市人社局{n}")
        data = {"doc_id": f"p{n}"} | ({"status": statuses[n]} if statuses[n] else {})
        results[n] = client.post("/api/admin/policies", files={"file": (f"a{n}.md", text.encode())}, data=data, headers=AUTH)

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results.values()) == [200] * 8, [r.text for r in results.values()]
    entries = json.loads((service.settings.corpus_dir / "policies.json").read_text(encoding="utf-8"))["documents"]
    assert entries[0]["prefix"] == "" and entries[0]["file"].startswith("wuhan") and len(entries) == 9
    assert {e["id"]: (e["prefix"], e.get("status")) for e in entries[1:]} == {f"p{n}": (f"p{n}:", statuses[n]) for n in range(8)}
    assert client.get("/api/clauses/3.4").status_code == 200
    docs = {d["id"]: d for d in client.get("/api/documents").json()["documents"]}
    for n in range(8):
        assert client.get(f"/api/clauses/p{n}:2.1").json()["text"] == f"对博士给予每月{n + 1}000元生活补贴。"
        assert docs[f"p{n}"]["active"] == (statuses[n] != "superseded")
    assert service.index_info["nodes"] == 42 + 8 * 2  # every document is in the index the service answers from
    audit = client.get("/api/admin/audit", headers=AUTH).json()["entries"]
    assert sorted(e["doc_id"] for e in audit) == [f"p{n}" for n in range(8)] and {e["action"] for e in audit} == {"added"}
    assert all(e["client"] == "testclient" and e["actor"] == "api" and len(e["sha256"]) == 64 for e in audit)


def test_hostile_docx_upload_is_a_400_error(admin_env):
    from tests.helpers import BILLION_LAUGHS, MALFORMED_XML, docx_bomb, docx_with_document_xml

    client, _ = admin_env
    for data in (docx_bomb(256 << 20), docx_with_document_xml(MALFORMED_XML), docx_with_document_xml(BILLION_LAUGHS)):
        r = client.post("/api/admin/policies", files={"file": ("x.docx", data)}, headers=AUTH)
        assert r.status_code == 400 and r.json()["error"].startswith("无法解析政策文件 x.docx")


def test_admin_user_header_is_recorded_in_the_audit_log(admin_env):
    client, _ = admin_env
    r = client.post("/api/admin/policies", files={"file": ("t.md", TALENT.encode())}, data={"title": "人才办法"},
                    headers=AUTH | {"X-Admin-User": "zhang"})
    assert r.status_code == 200
    entry = client.get("/api/admin/audit", headers=AUTH).json()["entries"][0]
    assert (entry["actor"], entry["action"], entry["file"], entry["detail"]) == ("api:zhang", "added", "t.md", "title=人才办法")


def test_a_change_on_disk_is_picked_up_and_a_failed_reload_keeps_serving(admin_env, monkeypatch):
    """Another process (here: a direct add_policy) changes the corpus; the next request switches to it."""
    from assistant import service as service_module
    from assistant.policies import add_policy

    client, service = admin_env
    src = service.settings.corpus_dir.parent / "other.md"
    src.write_text(TALENT, encoding="utf-8")
    add_policy(service.settings.corpus_dir, src, doc_id="other")  # as a second worker or the CLI would
    assert client.get("/api/clauses/other:2.1").status_code == 200

    src.write_text(TALENT.replace("3000元", "4000元"), encoding="utf-8")
    add_policy(service.settings.corpus_dir, src)
    monkeypatch.setattr(service, "_reload_unlocked", lambda: (_ for _ in ()).throw(RuntimeError("disk on fire")))
    r = client.get("/api/clauses/other:2.1")
    assert r.status_code == 200 and "3000元" in r.json()["text"]  # the last complete state keeps answering
    assert service._retry_at > time.monotonic() and not service.needs_refresh()
    monkeypatch.undo()
    monkeypatch.setattr(service_module, "REFRESH_RETRY_S", 0.0)
    service._retry_at = 0.0
    assert "4000元" in client.get("/api/clauses/other:2.1").json()["text"]


def test_requests_arriving_during_a_reload_wait_for_it(admin_env):
    """Concurrent requests right after another process's change all see it, not only the one that reloads."""
    from concurrent.futures import ThreadPoolExecutor

    from assistant.policies import add_policy

    client, service = admin_env
    src = service.settings.corpus_dir.parent / "late.md"
    src.write_text(TALENT, encoding="utf-8")
    add_policy(service.settings.corpus_dir, src, doc_id="late")
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: client.get("/api/clauses/late:2.1").status_code, range(8)))
    assert codes == [200] * 8


# ---------------------------------------------------------------- rule coverage for the admin


HOUSING = ("# 某区人才安居办法\n\n第一条 对新引进的博士，按每人每月3000元给予租房补贴，最长24个月。（责任单位：区人才办）\n"
           "第二条 对购房的博士给予一次性购房补贴，具体标准另行制定。（责任单位：区住建局）\n")


def test_admin_upload_carries_a_rules_sidecar_and_reports_coverage(admin_env):
    client, service = admin_env
    sidecar = '[[note]]\nclause = "1.1"\ntext = "补贴期限从入职当月起算。"\n'
    r = client.post("/api/admin/policies", files={"file": ("anju.md", HOUSING.encode()), "rules": ("anju.rules.toml", sidecar.encode())},
                    data={"doc_id": "anju"}, headers=AUTH)
    assert r.status_code == 200, r.text
    assert r.json()["coverage"].startswith("2 个含金额或奖补的条款：1 条可计算")
    assert (service.settings.corpus_dir / "anju.rules.toml").read_text(encoding="utf-8") == sidecar
    rule = service.corpus.rules_for("anju:1.1")[0]
    assert "补贴期限从入职当月起算。" in rule.notes
    report = client.get("/api/admin/coverage", params={"doc": "anju"}, headers=AUTH).json()["documents"][0]
    rows = {c["clause_id"]: c for c in report["clauses"]}
    assert rows["anju:1.1"]["coverage"] == "computable" and rows["anju:1.1"]["rules"][0]["standard"]
    assert rows["anju:2.1"]["coverage"] == "no_figure" and rows["anju:2.1"]["reason"]


def test_a_sidecar_whose_number_is_not_in_its_clause_is_refused_with_file_and_line(admin_env):
    client, service = admin_env
    sidecar = '[[rule]]\nclause = "1.1"\nkind = "fixed"\nname = "租房补贴"\nsubject = "博士"\nfixed = "5000元"\n'
    r = client.post("/api/admin/policies", files={"file": ("anju.md", HOUSING.encode()), "rules": ("anju.rules.toml", sidecar.encode())},
                    headers=AUTH)
    assert r.status_code == 400 and "rules.toml:1" in r.json()["error"] and "5000元" in r.json()["error"]
    assert not (service.settings.corpus_dir / "anju.md").exists()


def test_coverage_needs_the_admin_token_and_the_admin_page_is_served(admin_env):
    client, _ = admin_env
    assert client.get("/api/admin/coverage").status_code == 401
    assert client.get("/api/admin/coverage", params={"doc": "nope"}, headers=AUTH).status_code == 404
    page = client.get("/admin")
    assert page.status_code == 200 and "政策通 · 管理" in page.text and "/api/admin/coverage" in page.text


# ---------------------------------------------------------------- one answer at a time per chat


def test_every_way_of_sending_is_one_listener_that_ignores_clicks_while_an_answer_streams(service):
    """Enter, 发送 and the example buttons all go through one listener with trigger_mode "once": a second
    send while an answer is streaming is dropped instead of racing the first for the same conversation."""
    from assistant.webui import EXAMPLES, build_ui

    demo = build_ui(service)
    ids = {c["id"]: c.get("props", {}).get("elem_id") for c in demo.config["components"]}
    chat = [d for d in demo.config["dependencies"] if any(ids.get(t[0]) == "send" for t in d["targets"])]
    assert len(chat) == 1, chat
    assert {ids[t[0]] for t in chat[0]["targets"]} == {"send", "question"} and chat[0]["trigger_mode"] == "once"
    examples = [d for d in demo.config["dependencies"]
                if any(c["id"] == t[0] and "example" in (c.get("props", {}).get("elem_classes") or []) for t in d["targets"]
                       for c in demo.config["components"])]
    assert len(examples) == len(EXAMPLES)
    assert all(not d["backend_fn"] and "#send" in d["js"] for d in examples)  # they press 发送, they do not answer themselves
