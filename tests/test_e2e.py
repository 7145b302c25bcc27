"""End-to-end: the real server (`policy-assistant serve`) in headless Debian Chromium via playwright.

Screenshots of every view are taken on every run; with UPDATE_SCREENSHOTS=1 (``make screenshots``)
they are written to docs/ (the README shows them), otherwise to a temporary folder.
"""

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import ROOT, free_port

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-quic", "--disable-sync"]
DOCS = ROOT / "docs" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else Path(__import__("tempfile").mkdtemp(prefix="screens-"))


ADMIN_TOKEN = "e2e-admin-token"


def _serve(tmp_path_factory, **env_extra):
    port = free_port()
    env = dict(os.environ, POLICY_INDEX_DIR=str(tmp_path_factory.mktemp("index")), POLICY_DATA_DIR=str(tmp_path_factory.mktemp("data")),
               **env_extra)
    exe = Path(sys.executable).parent / "policy-assistant"
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/api/health", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read())
            time.sleep(0.5)
    else:
        proc.kill()
        raise TimeoutError("server did not start")
    return url, proc


def _corpus_with_three_documents(tmp_path_factory) -> Path:
    """The shipped policy plus a district and a county policy (fixtures), added as `policy-assistant add` does."""
    from assistant.policies import add_policy
    from tests.conftest import WUHAN

    corpus_dir = tmp_path_factory.mktemp("corpus")
    for f in WUHAN.parent.glob(WUHAN.stem + "*"):
        shutil.copy(f, corpus_dir)
    fixtures = ROOT / "tests" / "fixtures" / "policies"
    add_policy(corpus_dir, fixtures / "binhu-talent-housing.md", doc_id="binhu", status="in_force", effective_from="2026年6月1日")
    add_policy(corpus_dir, fixtures / "qingshan-manufacturing.txt", doc_id="p2", status="in_force")
    return corpus_dir


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    url, proc = _serve(tmp_path_factory, POLICY_CORPUS_DIR=str(_corpus_with_three_documents(tmp_path_factory)), POLICY_ADMIN_TOKEN=ADMIN_TOKEN)
    yield url
    _stop(proc)


def _stop(proc):
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1366, "height": 768}}


def _open(browser, server, requested, **ctx):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"], accept_downloads=True, **ctx)
    page = context.new_page()
    page.on("request", lambda r: requested.append(r.url))
    page.goto(server + "/", wait_until="load")
    page.wait_for_selector("#question textarea", timeout=60_000)
    return page


def _no_outside_requests(requested):
    from urllib.parse import urlparse

    outside = [u for u in requested if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).hostname not in ("127.0.0.1", "localhost")]
    assert outside == [], f"the page fetched from outside this machine: {outside[:5]}"


@pytest.fixture(params=["phone-dark", "desktop-light"])
def page(request, browser, server):
    """Every flow runs on a phone in dark mode and on a desktop in light mode."""
    requested: list[str] = []
    ctx = dict(PHONE, color_scheme="dark") if request.param == "phone-dark" else dict(DESKTOP, color_scheme="light")
    page = _open(browser, server, requested, **ctx)
    page.mode = request.param
    yield page
    page.context.close()
    _no_outside_requests(requested)


def shot(page, name, full_page=False):
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / f"screenshot-{name}-{page.mode}.png"), full_page=full_page)


def _tab(page, name):
    page.get_by_role("tab", name=name).click()


def _ask(page, question):
    n = page.locator("#chatbot .turn .bottom-line, #chatbot .turn .msg.bot .line").count()
    page.fill("#question textarea", question)
    page.click("#send")
    return n


def _last_turn(page):
    return page.locator("#chatbot .turn").last


def test_ask_quick_reply_updates_the_answer_and_citation_opens_its_card(page):
    _ask(page, "算力服务费80万元能补多少？")
    page.wait_for_selector("#chatbot .turn[data-turn='0'] .quick button[data-reply='是']", timeout=60_000)
    first = page.inner_text("#chatbot .turn[data-turn='0']")
    assert first.splitlines()[1].startswith("如属中小企业")  # the bottom line comes first (after the question)
    assert "请问贵单位是否属于中小企业" in first
    shot(page, "chat-ask")
    page.click("#chatbot .turn[data-turn='0'] .quick button[data-reply='是']")  # one tap answers the clarifying question
    page.wait_for_selector("#chatbot .turn[data-turn='1'] .bottom-line", timeout=60_000)
    updated = page.inner_text("#chatbot .turn[data-turn='1'] .bottom-line")
    assert updated.startswith("预计可申请约20万元"), updated
    assert "✓ 申请主体为中小企业" in page.inner_text("#chatbot .turn[data-turn='1']")
    page.click("#chatbot .turn[data-turn='1'] a.cite[data-cid='3.4']")
    card = page.locator("#cite-pop .card[data-clause='3.4']")
    card.wait_for(state="visible", timeout=5_000)
    text = card.inner_text()
    assert "设立算力服务券支持中小企业购买算力服务" in text and "《武汉市加快推进数智经济高质量发展若干政策措施（征求意见稿）》" in text
    shot(page, "chat")
    page.keyboard.press("Escape")
    if page.mode == "desktop-light":  # the panel shows exactly this turn: its calculation and card
        panel = page.inner_text("#answer-panel")
        assert "80万元 × 50% = 40万元" in panel and "征求意见稿" in panel


def test_the_side_panel_keeps_no_earlier_calculation(page):
    if page.mode != "desktop-light":
        pytest.skip("the side panel is shown on wide screens; phones show citations under each answer")
    _ask(page, "我们是中小企业，去年算力服务费80万元，能拿多少补贴？")
    page.wait_for_function("document.querySelector('#answer-panel').innerText.includes('测算')", timeout=60_000)
    page.wait_for_function("document.querySelector('#question textarea').value === ''", timeout=10_000)
    page.wait_for_timeout(1500)  # let the first answer's event finish: Gradio ignores a click while it still runs
    _ask(page, "模型券归哪个部门管？")
    try:
        page.wait_for_function("document.querySelector('#answer-panel .card[data-clause=\"6.3\"]')", timeout=60_000)
    except Exception:
        raise AssertionError(page.inner_text("#chatbot") + "\n---\n" + page.inner_text("#answer-panel")) from None
    assert "测算" not in page.inner_text("#answer-panel")


def test_trash_resets_the_conversation_on_the_server_too(page):
    _ask(page, "模型券能补多少？")
    page.wait_for_selector("#chatbot .turn[data-turn='0'] .bottom-line, #chatbot .turn[data-turn='0'] .line", timeout=60_000)
    page.click("#trash")
    page.wait_for_selector("#chatbot .empty", timeout=10_000)
    assert "模型券" not in page.inner_text("#chatbot")
    _ask(page, "这个归哪个部门管？")
    page.wait_for_selector("#chatbot .turn[data-turn='0'] .msg.bot > .tools", timeout=60_000)
    assert "模型券" not in page.inner_text("#chatbot .turn[data-turn='0'] .msg.bot")  # the follow-up is not about the last user's topic


def test_copy_answer_gives_clean_chinese_text_with_citations(page):
    _ask(page, "模型券归哪个部门管？")
    page.wait_for_selector("#chatbot .turn[data-turn='0'] button.copy-answer", timeout=60_000)
    page.click("#chatbot .turn[data-turn='0'] button.copy-answer")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "[6.3]" in copied and "\\[" not in copied and "引用条款：" in copied
    assert "user:" not in copied and "assistant:" not in copied and "市经信局" in copied


def test_clicking_an_example_sends_it(page):
    page.locator("button.example", has_text="模型券归哪个部门管").click()
    page.wait_for_selector("#chatbot .turn[data-turn='0'] .msg.bot > .tools", timeout=60_000)
    assert "模型券归哪个部门管" in page.inner_text("#chatbot .turn[data-turn='0'] .msg.user")


@pytest.mark.parametrize("query,first", [("3-4", "3.4"), ("３.４", "3.4"), ("3.4条", "3.4"), ("第3.4条", "3.4"), ("第三条第4项", "3.4"),
                                         ("p2:3.1", "p2:3.1"), ("p2:第三条", "p2:3.1"), ("人才局", "5.4")])
def test_lookup_variants_keyboard_only_with_per_card_copy(browser, server, query, first):
    requested: list[str] = []
    page = _open(browser, server, requested, **DESKTOP)
    _tab(page, "条款查询")
    page.click("#lookup-box textarea")
    page.keyboard.type(query)
    page.keyboard.press("Enter")  # type, Enter …
    page.wait_for_selector(f"#lookup-out .card[data-clause='{first}']", timeout=30_000)
    assert page.locator("#lookup-out .card").first.get_attribute("data-clause") == first  # exact id matches first
    page.wait_for_function("document.activeElement && document.activeElement.matches('#lookup-out button.copy')", timeout=5_000)
    page.keyboard.press("Enter")  # … and one key copies the first card's citation
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#lookup-out .card").first.locator("button.copy").get_attribute("data-copy") and "：" in copied
    page.context.close()
    _no_outside_requests(requested)


def test_every_lookup_card_has_its_own_copy_button(page):
    _tab(page, "条款查询")
    page.fill("#lookup-box textarea", "人才局")
    page.keyboard.press("Enter")
    page.wait_for_selector("#lookup-out .card[data-clause='9.2']", timeout=30_000)
    cards = page.locator("#lookup-out .card")
    assert cards.count() == 3 and page.locator("#lookup-out .card button.copy").count() == 3
    cards.nth(2).locator("button.copy").click()
    assert page.evaluate("navigator.clipboard.readText()").startswith("《武汉市加快推进数智经济高质量发展若干政策措施（征求意见稿）》第九条第2项")
    shot(page, "lookup")


def test_calculator_shows_each_condition_and_says_eligible_only_when_all_are_met(page):
    _tab(page, "补贴测算")
    page.click("#rule-select input")
    page.locator("ul[role=listbox] li", has_text="算力服务券补助").first.click()
    page.wait_for_selector("#calc-base input", state="visible", timeout=10_000)
    assert not page.locator("#calc-tier").is_visible() and not page.locator("#calc-units").is_visible()  # only the fields 3.4 needs
    assert "3.4-1" not in page.input_value("#rule-select input")  # human names, no rule ids
    page.fill("#calc-base input", "60")
    page.click("#calc-btn")
    page.wait_for_selector("#calc-out #calc-verdict", timeout=30_000)
    out = page.inner_text("#calc-out")
    assert out.startswith("条件待确认") and "？ 申请主体为中小企业（待确认）" in out and "“60”未写单位，按60万元计算" in out
    assert "符合条件 ·" not in out
    page.locator("#calc-cond-0").get_by_label("是", exact=True).check()
    page.click("#calc-btn")
    page.wait_for_function("document.querySelector('#calc-verdict').innerText.startsWith('符合条件')", timeout=30_000)
    out = page.inner_text("#calc-out")
    assert "✓ 申请主体为中小企业（已满足）" in out and "20万元（200000元）" in out
    shot(page, "calculator")


def test_self_check_downloads_a_pdf_report_with_the_inputs(page):
    import io

    from pypdf import PdfReader

    _tab(page, "资格自测")
    page.wait_for_selector("#elig-btn", timeout=30_000)
    form = page.locator("#elig-form")
    form.locator(".block", has_text="是否属于中小企业").get_by_label("是", exact=True).check()
    form.get_by_label("算力服务费用").fill("80万元")
    form.get_by_label("模型采购费用").fill("40万元")
    form.locator(".block", has_text="入选武汉市优秀开源软件项目").get_by_label("是", exact=True).check()
    page.click("#elig-btn")
    page.wait_for_selector("#elig-out .measure", timeout=30_000)
    out = page.inner_text("#elig-out")
    assert "测算合计：70万元（700000元），为可获得的上限" in out and "模型券补助" in out
    page.wait_for_selector("#elig-report a#report-pdf", timeout=30_000)
    with page.expect_download() as info:
        page.click("#elig-report a#report-pdf")
    download = info.value
    assert download.suggested_filename.endswith(".pdf")
    data = Path(download.path()).read_bytes()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).replace("\n", "")
    for expected in ("是否属于中小企业", "算力服务费用", "80万元", "入选武汉市优秀开源软件项目", "20万元（上限）", "征求意见稿", "市经信局"):
        assert expected in text, expected
    shot(page, "eligibility", full_page=page.mode == "desktop-light")


def test_document_list_and_chat_limited_to_one_document(page):
    _tab(page, "政策文件")
    docs = page.inner_text("#doc-list")
    assert "《江陵市滨湖区人才安居办法（试行）》" in docs and "区级" in docs and "县级" in docs and "征求意见稿" in docs
    assert "有效期至：2029年5月31日" in docs
    shot(page, "documents")
    page.click("#doc-scope input")
    page.locator("ul[role=listbox] li", has_text="青山县").first.click()
    _tab(page, "智能问答")
    _ask(page, "设备更新贷款有贴息吗？")
    page.wait_for_selector("#chatbot .turn[data-turn='0'] .msg.bot > .tools", timeout=60_000)
    links = page.locator("#chatbot .turn[data-turn='0'] a.cite")
    assert links.count() and all(links.nth(i).get_attribute("data-cid").startswith("p2:") for i in range(links.count()))


def test_ui_text_is_chinese_and_thumbs_render_without_emoji_fonts(page):
    _ask(page, "模型券归哪个部门管？")
    page.wait_for_selector("#chatbot .turn[data-turn='0'] .msg.bot > .tools", timeout=60_000)
    titles = page.evaluate("[...document.querySelectorAll('[title],[aria-label]')].map(e => e.getAttribute('title') || e.getAttribute('aria-label'))")
    english = [t for t in titles if t and re.search(r"[A-Za-z]{4,}", t) and not re.search(r"[\u4e00-\u9fff]", t)]
    assert english == [], english
    for sel in ("#thumb-up", "#thumb-down", "#trash"):  # SVG mask glyphs: no emoji font needed
        mask = page.evaluate(f"getComputedStyle(document.querySelector('{sel}'), '::before').maskImage || "
                             f"getComputedStyle(document.querySelector('{sel}'), '::before').webkitMaskImage")
        assert "svg" in mask
    page.click("#thumb-up")
    page.wait_for_function("document.querySelector('#feedback-msg').innerText.includes('感谢反馈')", timeout=10_000)


def test_desktop_has_input_and_examples_above_the_fold(browser, server):
    requested: list[str] = []
    page = _open(browser, server, requested, **DESKTOP)
    page.mode = "desktop-light"
    for sel in ("#question textarea", "button.example >> nth=0", "#send"):
        box = page.locator(sel).bounding_box()
        assert box and box["y"] + box["height"] <= 768, sel
    shot(page, "home")
    page.context.close()


def test_phone_keeps_the_input_on_screen_and_every_view_reachable(browser, server):
    requested: list[str] = []
    page = _open(browser, server, requested, **PHONE, color_scheme="dark")
    page.mode = "phone-dark"
    box = page.locator("#question textarea").bounding_box()
    assert box and box["y"] + box["height"] <= 844
    for name in ("智能问答", "条款查询", "补贴测算", "资格自测", "政策文件"):
        assert page.get_by_role("tab", name=name).is_visible(), name
    head = page.locator("#app-head").bounding_box()
    banner = page.locator("#banner").bounding_box()
    assert banner["y"] >= head["y"] + head["height"] - 1  # the draft banner does not overlap the title
    shot(page, "home")
    page.context.close()


@pytest.mark.parametrize("mode", ["desktop-dark", "phone-light"])
def test_every_view_renders_in_the_other_scheme(browser, server, mode):
    """Screenshots of every view in dark on a desktop and light on a phone (the flows above cover the other two)."""
    requested: list[str] = []
    ctx = dict(DESKTOP, color_scheme="dark") if mode == "desktop-dark" else dict(PHONE, color_scheme="light")
    page = _open(browser, server, requested, **ctx)
    page.mode = mode
    page.locator("button.example").first.click()
    page.wait_for_selector("#chatbot .turn[data-turn='0'] .msg.bot > .tools", timeout=60_000)
    shot(page, "chat")
    _tab(page, "条款查询")
    page.fill("#lookup-box textarea", "3-4")
    page.keyboard.press("Enter")
    page.wait_for_selector("#lookup-out .card[data-clause='3.4']", timeout=30_000)
    shot(page, "lookup")
    _tab(page, "补贴测算")
    page.click("#rule-select input")
    page.locator("ul[role=listbox] li", has_text="算力服务券补助").first.click()
    page.wait_for_selector("#calc-base input", state="visible", timeout=10_000)
    page.fill("#calc-base input", "80万元")
    page.click("#calc-btn")
    page.wait_for_selector("#calc-out #calc-verdict", timeout=30_000)
    shot(page, "calculator")
    _tab(page, "资格自测")
    page.wait_for_selector("#elig-btn", timeout=30_000)
    page.locator("#elig-form").get_by_label("算力服务费用").fill("80万元")
    page.click("#elig-btn")
    page.wait_for_selector("#elig-out .measure", timeout=30_000)
    shot(page, "eligibility")
    _tab(page, "政策文件")
    shot(page, "documents")
    assert page.evaluate("getComputedStyle(document.body).colorScheme || ''") is not None
    page.context.close()
    _no_outside_requests(requested)


def test_api_docs_work_offline(browser, server):
    requested: list[str] = []
    page = _open(browser, server, requested, **DESKTOP)
    page.goto(server + "/docs", wait_until="load")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    assert "/api/ask" in page.inner_text(".swagger-ui")
    page.context.close()
    _no_outside_requests(requested)


# ---------------------------------------------------------------- LLM polish: only verified sentences reach the screen

GOOD = "【算力服务券补助】[3.4] 贵单位为中小企业，✓ 已满足条件。"
BAD = "另外还可再获50万元奖励。"
WATCH_CHAT = """() => {
  window.__seen = [];
  const chat = document.querySelector('#chatbot');
  new MutationObserver(() => window.__seen.push(chat.innerText)).observe(chat, {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def scripted_llm():
    from tests.scripted_llm import ScriptedLLM

    srv = ScriptedLLM().start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def llm_app(tmp_path_factory, scripted_llm):
    url, proc = _serve(tmp_path_factory, POLICY_LLM_BASE_URL=scripted_llm.url, POLICY_LLM_MODEL="scripted", POLICY_LLM_TIMEOUT_S="20")
    yield url
    _stop(proc)


def test_streaming_never_shows_an_unverified_sentence(browser, llm_app, scripted_llm):
    # a faithful first sentence, a pause (it must be on screen by then), then an invented reward, then the rest
    scripted_llm.reset(parts=[(GOOD, 2.0), (BAD, 1.0), ("{DRAFT}", 0.0)])
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(llm_app + "/", wait_until="load")
    page.wait_for_selector("#question textarea", timeout=60_000)
    page.evaluate(WATCH_CHAT)
    page.fill("#question textarea", "我们是中小企业，去年算力服务费80万元，另外调用大模型API花了40万元，能拿多少补贴？")
    page.click("#send")
    page.wait_for_selector("#answer-panel .card[data-clause='3.4']", timeout=60_000)
    seen = page.evaluate("window.__seen")
    assert any("贵单位为中小企业" in s for s in seen), "the verified first sentence streamed to the screen"
    assert not any("再获50万元" in s for s in seen), "an unverified sentence reached the screen"
    assert "80万元 × 50% = 40万元" in page.inner_text("#chatbot")  # the deterministic answer replaced the rewrite
    assert "未通过校验" in page.inner_text("#answer-panel")
    page.close()


def test_admin_page_lists_every_documents_rule_coverage_behind_the_token(browser, server):
    context = browser.new_context(**DESKTOP, color_scheme="light")
    page = context.new_page()
    page.goto(server + "/admin", wait_until="load")
    page.click("#load")
    page.wait_for_selector("#status .msg.err")
    assert "请先输入管理令牌" in page.inner_text("#status")
    page.fill("#token", "wrong")
    page.click("#load")
    page.wait_for_function("document.querySelector('#status').innerText.includes('管理令牌无效')", timeout=10_000)
    page.fill("#token", ADMIN_TOKEN)
    page.keyboard.press("Enter")
    page.wait_for_selector("#docs .card[data-doc]", timeout=30_000)
    cards = page.locator("#docs .card[data-doc]")
    assert cards.count() == 3
    first = cards.first.inner_text()
    assert "个含金额或奖补的条款" in first and "条可计算" in first
    page.locator("#docs .card[data-doc] details summary").first.click()
    assert page.locator("#docs .badge.computable").count() and page.locator("#docs .badge.review").count()
    page.mode = "desktop-light"
    shot(page, "admin")
    context.close()
