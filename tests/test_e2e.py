"""End-to-end: the real server (`policy-assistant serve`) in headless Debian Chromium via playwright.

Screenshots of every view are taken on every run; with UPDATE_SCREENSHOTS=1 (``make screenshots``)
they are written to docs/ (the README shows them), otherwise to a temporary folder.
"""

import os
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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    env = dict(os.environ, POLICY_INDEX_DIR=str(tmp_path_factory.mktemp("index")), POLICY_DATA_DIR=str(tmp_path_factory.mktemp("data")))
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
    yield url
    proc.terminate()
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


@pytest.fixture
def page(browser, server):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(server + "/", wait_until="load")
    page.wait_for_selector("#question textarea", timeout=60_000)
    yield page
    page.close()
    from urllib.parse import urlparse

    outside = [u for u in requested if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).hostname not in ("127.0.0.1", "localhost")]
    assert outside == [], f"the page fetched from outside this machine: {outside[:5]}"


def shot(page, name):
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / f"screenshot-{name}.png"), full_page=True)


def test_chat_answers_with_citation_card_and_amount(page):
    page.fill("#question textarea", "我们是中小企业，去年算力服务费80万元，另外调用大模型API花了40万元，能拿多少补贴？")
    page.click("#send")
    page.wait_for_selector("#answer-panel .card[data-clause='3.4']", timeout=60_000)
    panel = page.inner_text("#answer-panel")
    assert "合计：40万元（400000元）" in panel and "征求意见稿" in panel
    assert "80万元 × 50% = 40万元" in page.inner_text("#chatbot")
    shot(page, "chat")


def test_chat_shows_user_html_as_text(page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.fill("#question textarea", "<script>alert(1)</script>[点我](javascript:alert(2)) 模型券归哪个部门")
    page.click("#send")
    page.wait_for_selector("#answer-panel .card", timeout=60_000)
    assert "<script>alert(1)</script>" in page.inner_text("#chatbot")
    assert dialogs == []


def test_new_conversation_clears_chat(page):
    page.fill("#question textarea", "模型券归哪个部门")
    page.click("#send")
    page.wait_for_selector("#answer-panel .card", timeout=60_000)
    page.click("#new-chat")
    page.wait_for_function("document.querySelector('#answer-panel').innerText.includes('已开始新对话')")


def test_clause_lookup_finds_3_4_with_citation(page):
    page.get_by_role("tab", name="条款查询").click()
    page.fill("#lookup-box textarea", "3.4")
    page.click("#lookup-btn")
    page.wait_for_selector("#lookup-out .card[data-clause='3.4']", timeout=30_000)
    assert "设立算力服务券支持中小企业购买算力服务" in page.inner_text("#lookup-out")
    citation = page.input_value("#citation-text textarea")
    assert citation.startswith("《武汉市加快推进数智经济高质量发展若干政策措施（征求意见稿）》第三条第4项")
    shot(page, "lookup")


def test_subsidy_calculator(page):
    page.get_by_role("tab", name="补贴测算").click()
    page.click("#rule-select input")
    page.locator("ul[role=listbox] li", has_text="（1.3-2）").click()
    assert "1.3-2" in page.input_value("#rule-select input")
    page.fill("#calc-base textarea", "三百万")
    page.click("#calc-btn")
    page.wait_for_selector("#calc-out .total", timeout=30_000)
    out = page.inner_text("#calc-out")
    assert "15万元（150000元）" in out and "300万元 × 5% = 15万元" in out
    shot(page, "calculator")


def test_eligibility_self_check_and_report(page):
    page.get_by_role("tab", name="资格自测").click()
    page.get_by_label("是", exact=True).check()
    page.get_by_label("算力服务费用").fill("80万元")
    page.get_by_label("模型采购费用").fill("40万元")
    page.get_by_label("入选武汉市优秀开源软件项目").check()
    page.click("#elig-btn")
    page.wait_for_selector("#elig-out table", timeout=30_000)
    out = page.inner_text("#elig-out")
    assert "符合条件的测算合计：70万元（700000元）" in out
    page.wait_for_selector("#elig-report a", timeout=30_000)
    assert page.get_attribute("#elig-report a", "href").startswith("data:text/markdown")  # no file written on the server
    shot(page, "eligibility")
