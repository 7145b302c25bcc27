"""Gradio Blocks UI: 智能问答, 条款查询, 补贴测算, 资格自测, 政策文件. Chinese text, no CDN assets.

Owns layout, HTML rendering and the small browser script (``SCRIPT``: citation cards, quick
replies, copy buttons, keyboard flow); every action calls ``Service`` or library functions
(``Corpus.lookup``, ``eligibility``, ``report``). All user text and clause text is escaped before
it reaches HTML; colours come from the theme's variables so light and dark both read.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import time

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

from assistant.amounts import format_yuan  # noqa: E402
from assistant.errors import PolicyError  # noqa: E402

EXAMPLES = [  # (button text, the question it sends)
    ("中小企业：算力费80万、模型API 40万，能补多少？", "我们是中小企业，去年算力服务费80万元，另外调用大模型API花了40万元，能拿多少补贴？"),
    ("算力服务费80万元能补多少？", "算力服务费80万元能补多少？"),
    ("模型券归哪个部门管？", "模型券归哪个部门管？"),
    ("这个政策什么时候施行？", "这个政策什么时候开始施行？"),
]
ALL_DOCS = "__all__"
MAX_QUESTION_CHARS = 5000
MARK = {"met": "✓", "not_met": "✗", "unknown": "？", "review": "待评审"}
MARK_WORDS = {"met": "已满足", "not_met": "不满足", "unknown": "待确认", "review": "待评审"}
STATUS_WORDS = {"counted": "计入合计", "conditional": "有条件", "not_eligible": "不符合条件", "needs_fact": "需补充信息",
                "info": "标准", "review": "需人工核对"}
ELIG_WORDS = {"eligible": "符合条件", "review": "条件已满足，待部门评审", "unknown": "条件待确认", "not_eligible": "不符合条件"}
# 👍 / 👎 as inline SVG masks: they render without any emoji font and take the text colour (light and dark)
# an example button: put its question in the box and press 发送 (the one chat listener sends it)
_SEND_JS = """() => {
  const box = document.querySelector('#question textarea');
  box.value = %s; box.dispatchEvent(new Event('input', {bubbles: true}));
  setTimeout(() => document.querySelector('#send').click(), 50);
}"""
_THUMB = ("data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'><path d='M2 21h4V9H2v12zm20-11c0-1.1-.9-2-2-2h-6.3"
          "l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6C6.2 7.9 6 8.4 6 9v10c0 1.1.9 2 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z'/></svg>")
_TRASH = ("data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'><path d='M6 19c0 1.1.9 2 2 2h8c1.1 0 2-.9 2-2V7H6v12z"
          "M19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z'/></svg>")

CSS = """
.gradio-container {max-width: 1400px !important}
footer {display: none !important}
#app-head {display:flex; flex-wrap:wrap; align-items:baseline; gap:4px 14px; margin:0}
#app-head h1 {font-size:20px; margin:0; line-height:1.3}
#app-head .sub {color: var(--body-text-color-subdued); font-size:13px}
#top-row {align-items:center} #banner {margin:0}
.banner {font-size:12px; line-height:1.4; border-left:3px solid var(--color-accent); padding:4px 8px; margin:4px 0; background: var(--background-fill-secondary);
  color: var(--body-text-color); border-radius:4px}
.card {border:1px solid var(--border-color-primary); border-radius:8px; padding:10px 12px; margin:8px 0;
  background: var(--background-fill-primary); color: var(--body-text-color)}
.card h4 {margin:0 0 4px 0; font-size:15px}
.card .doc, .card .dept, .meta {color: var(--body-text-color-subdued); font-size:13px; margin-top:4px}
.card details {margin-top:6px; font-size:13px}
.card mark, mark.hl {background: var(--color-accent-soft); color: var(--body-text-color); padding:0 2px; border-radius:2px}
.card .tools {margin-top:6px}
.notice {background: var(--background-fill-secondary); border:1px solid var(--border-color-accent, var(--border-color-primary));
  border-radius:6px; padding:6px 10px; margin:6px 0; font-size:13px; color: var(--body-text-color)}
.notice ul {margin:2px 0 2px 16px; padding:0}
.calc {font-family: var(--font-mono); font-size:13px; background: var(--background-fill-secondary); color: var(--body-text-color);
  padding:6px 8px; border-radius:6px; margin:4px 0; white-space:pre-wrap}
.total {font-size:16px; font-weight:600; margin:8px 0}
.degraded {background: var(--error-background-fill); color: var(--error-text-color); border:1px solid var(--error-border-color);
  border-radius:6px; padding:6px 10px; margin:6px 0}
button.mini, a.mini {font-size:12px; padding:2px 8px; border:1px solid var(--border-color-primary); border-radius:6px;
  background: var(--button-secondary-background-fill); color: var(--button-secondary-text-color); cursor:pointer; text-decoration:none}
button.mini:focus-visible {outline:2px solid var(--color-accent)}
#chatbot {height: calc(100vh - 390px) !important; min-height: 220px; overflow-y:auto !important; border:1px solid var(--border-color-primary);
  border-radius:8px; padding:8px; background: var(--background-fill-secondary)}
#chatbot .empty {color: var(--body-text-color-subdued); padding:16px}
.msg {border-radius:10px; padding:8px 10px; margin:6px 0; max-width:95%; color: var(--body-text-color); line-height:1.55}
.msg.user {background: var(--color-accent-soft); margin-left:auto; width:fit-content; white-space:pre-wrap}
.msg.bot {background: var(--background-fill-primary); border:1px solid var(--border-color-primary)}
.bottom-line {font-weight:600; font-size:15px}
.block {border-left:3px solid var(--border-color-primary); padding:2px 0 2px 8px; margin:6px 0}
.block.counted {border-left-color: var(--color-accent)}
.block.not_eligible {opacity:.85}
.block .conds {font-size:13px} .block .dept {color: var(--body-text-color-subdued); font-size:12px}
.block .formula {font-family: var(--font-mono); font-size:12px; color: var(--body-text-color-subdued)}
a.cite {color: var(--link-text-color, var(--color-accent)); text-decoration: underline dotted; cursor:pointer}
.quick {display:flex; flex-wrap:wrap; gap:6px; margin-top:6px}
.quick button {border:1px solid var(--color-accent); color: var(--color-accent); background: var(--background-fill-primary);
  border-radius:16px; padding:3px 14px; cursor:pointer; font-size:14px}
.quick button:disabled {opacity:.45; cursor:default}
.ask {margin-top:6px; font-weight:500}
.msg details.cites {margin-top:6px} .msg .tools {margin-top:6px; display:flex; gap:6px}
#cite-pop {position:fixed; z-index:1000; left:50%; top:50%; transform:translate(-50%,-50%); width:min(560px, 92vw); max-height:80vh;
  overflow:auto; background: var(--background-fill-primary); color: var(--body-text-color); border:1px solid var(--border-color-primary);
  border-radius:10px; box-shadow:0 8px 30px rgba(0,0,0,.35); padding:8px 12px}
#cite-pop .close {float:right}
.examples-row {gap:6px !important; flex-wrap:wrap !important}
.examples-row button {flex: 0 1 auto !important; min-width:0 !important; font-size:13px !important; padding:4px 10px !important;
  white-space:nowrap; overflow:hidden; text-overflow:ellipsis; max-width:100%}
.icon-btn::before {content:""; display:inline-block; width:16px; height:16px; margin-right:4px; vertical-align:-3px; background: currentColor;
  -webkit-mask: var(--icon) center/contain no-repeat; mask: var(--icon) center/contain no-repeat}
#thumb-up {--icon: url("THUMB")} #thumb-down {--icon: url("THUMB")} #thumb-down::before {transform: rotate(180deg)}
#trash {--icon: url("TRASH"); max-width:90px; flex-direction: row !important}
.measure-grid {display:grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap:8px}
.doc-list .card h4 {font-size:14px}
.badge {display:inline-block; font-size:12px; padding:0 6px; border-radius:8px; border:1px solid var(--border-color-primary); margin-right:4px}
.badge.draft {border-color: var(--color-accent); color: var(--color-accent)} .badge.off {color: var(--error-text-color)}
#elig-report a {margin-right:10px; font-size:14px}
@media (min-width: 900px) { .msg details.cites {display:none} }
@media (max-width: 899px) {
  #side {display:none !important}
  #chatbot {height: auto !important; min-height: 120px; max-height: none; overflow: visible !important}
  #ask-row {position: fixed; left: 0; right: 0; bottom: 0; z-index: 20; background: var(--background-fill-primary);
    padding: 6px 8px; margin: 0; border-top: 1px solid var(--border-color-primary)}
  .gradio-container {padding-left: 6px !important; padding-right: 6px !important; padding-bottom: 72px !important}
  #app-head h1 {font-size:17px}
  #chat-tools {margin-bottom: 84px !important}
  #top-row {flex-wrap: wrap !important} #top-row > * {min-width: 100% !important}
  .tab-container button {padding: 0 5px !important; font-size: 13px !important; min-width: 0 !important}
  .overflow-menu {display: none !important}
}
""".replace("THUMB", _THUMB).replace("TRASH", _TRASH)

# Gradio picks its own texts (tooltips, menus) by the browser's language; this product is Chinese everywhere.
# The browser script: citation cards, quick replies, copy buttons, the lookup's keyboard flow.
HEAD = """
<script>
try { Object.defineProperty(navigator, 'language', {get: () => 'zh-CN'});
      Object.defineProperty(navigator, 'languages', {get: () => ['zh-CN', 'zh']}); } catch (e) {}
(function () {
  function copyText(text, btn) {
    const done = () => { if (btn) { const old = btn.textContent; btn.textContent = '已复制'; setTimeout(() => btn.textContent = old, 1500); } };
    if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done, () => fallback(text, done)); }
    else { fallback(text, done); }
  }
  function fallback(text, done) {
    const ta = document.createElement('textarea'); ta.value = text; document.body.appendChild(ta); ta.select();
    try { document.execCommand('copy'); } catch (e) {} ta.remove(); done();
  }
  window.__policyCopy = copyText;
  function showCard(card) {
    let pop = document.getElementById('cite-pop');
    if (!pop) { pop = document.createElement('div'); pop.id = 'cite-pop'; pop.setAttribute('role', 'dialog'); document.body.appendChild(pop); }
    pop.innerHTML = '<button class="mini close" type="button" aria-label="关闭">关闭</button>';
    const c = card.cloneNode(true); c.querySelectorAll('details').forEach(d => d.open = true); pop.appendChild(c);
    pop.style.display = 'block'; pop.querySelector('.close').focus();
  }
  document.addEventListener('click', function (ev) {
    const t = ev.target.closest('a.cite, .quick button, button.copy, #cite-pop .close');
    if (!t) { const pop = document.getElementById('cite-pop'); if (pop && !ev.target.closest('#cite-pop')) pop.style.display = 'none'; return; }
    if (t.matches('#cite-pop .close')) { t.closest('#cite-pop').style.display = 'none'; return; }
    ev.preventDefault();
    if (t.matches('a.cite')) {
      const scope = t.closest('.turn') || document;
      const card = scope.querySelector('.card[data-clause="' + CSS.escape(t.dataset.cid) + '"]')
                || document.querySelector('#answer-panel .card[data-clause="' + CSS.escape(t.dataset.cid) + '"]');
      if (card) showCard(card);
    } else if (t.matches('.quick button')) {
      const box = document.querySelector('#question textarea');
      box.value = t.dataset.reply; box.dispatchEvent(new Event('input', {bubbles: true}));
      t.closest('.quick').querySelectorAll('button').forEach(b => b.disabled = true);
      setTimeout(() => document.querySelector('#send').click(), 50);
    } else if (t.matches('button.copy')) {
      copyText(t.dataset.copy, t);
    }
  });
  document.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape') { const pop = document.getElementById('cite-pop'); if (pop) pop.style.display = 'none'; }
  });
  // 条款查询: when results arrive, the first card's copy button takes the focus: Enter copies, Tab goes to the next card.
  // Gradio hard-codes a few English labels; this product speaks Chinese everywhere.
  const zh = {'More tabs': '更多页面', 'Dropdown': '下拉选择', 'Clear': '清除', 'Copy': '复制', 'Close': '关闭'};
  let chatHeight = 0;
  const tick = () => {
    document.querySelectorAll('[aria-label],[title]').forEach(e => {
      for (const a of ['aria-label', 'title']) { const v = e.getAttribute(a); if (v && zh[v]) e.setAttribute(a, zh[v]); }
    });
    const b = document.querySelector('#lookup-out button.copy');
    if (b && !b.dataset.focused) { b.dataset.focused = '1'; b.focus(); }
    const chat = document.getElementById('chatbot');
    if (chat && chat.scrollHeight !== chatHeight) { chatHeight = chat.scrollHeight; chat.scrollTop = chat.scrollHeight; }
  };
  let queued = false;
  const watch = () => {
    tick();
    new MutationObserver(() => { if (!queued) { queued = true; setTimeout(() => { queued = false; tick(); }, 50); } })
      .observe(document.body, {childList: true, subtree: true, attributes: true, attributeFilter: ['aria-label', 'title']});
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch); else watch();
})();
</script>
"""


def esc(text) -> str:
    return html.escape(str(text or ""), quote=True)


def theme():
    # System fonts only: the default theme would fetch web fonts from a CDN.
    return gr.themes.Base(font=["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "system-ui", "sans-serif"],
                          font_mono=["ui-monospace", "monospace"])


def link_ids(escaped: str, known, turn: int | str = "") -> str:
    """``[3.4]`` in already escaped text → a link that opens the clause's citation card (known ids only)."""
    def sub(m: re.Match) -> str:
        cid = html.unescape(m.group(1))
        if cid not in known:
            return m.group(0)
        return f"<a href='#' class='cite' data-cid='{esc(cid)}' data-turn='{turn}' title='查看条款原文'>[{esc(cid)}]</a>"

    return re.sub(r"\[([^\[\]<>]{1,60})\]", sub, escaped)


# ---------------------------------------------------------------- HTML pieces


def clause_card(service, clause_id: str, open_article: bool = False, copy: bool = True) -> str:
    corpus = service.corpus
    c = corpus.get(clause_id)
    article = corpus.article_of(c)
    sentences = []
    for cid in article.clause_ids:
        t = esc(corpus.get(cid).text)
        sentences.append(f"<mark class='hl'>{t}</mark>" if cid == c.id else t)
    dept = f"<div class='dept'>责任单位：{esc('、'.join(c.departments))}</div>" if c.departments else ""
    doc = corpus.document_of(c)
    badge = "" if corpus.is_active(c.doc_id) else f" <span class='badge off'>{esc(doc.status.label if doc.status.value == 'superseded' else '已过期')}，仅供查阅</span>"
    citation = corpus.citation_text(c)
    tools = (f"<div class='tools'><button class='mini copy copy-cite' type='button' data-copy='{esc(citation)}' "
             f"title='复制可朗读引文（回车）'>复制引文</button></div>") if copy else ""
    return (f"<div class='card' data-clause='{esc(c.id)}'><h4>[{esc(c.id)}] {esc(article.label)} {esc(c.article_title)}{badge}</h4>"
            f"<div class='doc'>出处：{esc(doc.full_title)}{esc(_label(c))}</div><div>{esc(c.text)}</div>{dept}"
            f"<details{' open' if open_article else ''}><summary>所在条全文</summary>{''.join(sentences)}</details>{tools}</div>")


def _label(c) -> str:
    from assistant.numerals import int_to_chinese

    return f"附则第{int_to_chinese(c.item_no)}项" if c.article_no is None else f"第{int_to_chinese(c.article_no)}条第{int_to_chinese(c.item_no)}项"


def _amount(b: dict) -> str:
    ub = "（上限）" if b["is_upper_bound"] else ""
    if b["status"] == "counted" and b["amount_yuan"] is not None:
        return f"{format_yuan(b['amount_yuan'])}{ub}"
    if b["status"] == "conditional" and b["amount_yuan"] is not None:
        return f"{b['if']}：{format_yuan(b['amount_yuan'])}{ub}（未计入合计）"
    if b["status"] == "conditional":
        return f"{b['if']}可申请" + (f"；标准：{b['standard']}" if b["standard"] else "")
    if b["status"] == "not_eligible":
        failed = [c["condition"] for c in b["conditions"] if c["status"] == "not_met"]
        return "不符合条件" + (f"（{failed[0]}）" if failed else "")
    if b["status"] == "needs_fact":
        return "需补充信息后测算" + (f"；标准：{b['standard']}" if b["standard"] else "")
    if b["status"] == "review":
        return "金额需人工核对" + (f"：{b['note']}" if b["note"] else "")
    return f"标准：{b['standard']}" if b["standard"] else (b["note"] or "")


def block_html(b: dict, known, turn) -> str:
    conds = " ".join(f"<span title='{MARK_WORDS[c['status']]}'>{MARK[c['status']]} {esc(c['condition'])}</span>" for c in b["conditions"])
    formula = f"<div class='formula'>算式：{esc(b['formula'])}</div>" if b["formula"] and b["status"] in ("counted", "conditional", "not_eligible") else ""
    dept = f"<div class='dept'>责任单位：{esc('、'.join(b['departments']))}</div>" if b["departments"] else ""
    return (f"<div class='block {esc(b['status'])}'><div><b>{esc(b['name'])}</b> {link_ids(esc('[' + b['clause_id'] + ']'), known, turn)} · "
            f"<span class='amt'>{esc(_amount(b))}</span></div>" + (f"<div class='conds'>{conds}</div>" if conds else "") + formula + dept + "</div>")


def _other_lines(a: dict) -> list[str]:
    """Lines of the answer text that are not the bottom line, a measure block, the total or the question."""
    out = []
    for line in a["answer"].split("\n"):
        s = line.strip()
        if not s or s == a["summary"] or s.startswith("【") or s.startswith("算式：") or s.startswith("合计：") or s in a["asks"]:
            continue
        if a["blocks"] and any(s == d for d in (a.get("documents") or [])):
            continue
        out.append(s)
    return out


def copy_text(service, a: dict) -> str:
    """The answer as clean Chinese text with its citations (what the copy button gives)."""
    parts = [a["answer"].strip()]
    if a["citations"]:
        parts.append("引用条款：")
        for c in a["citations"]:
            dept = f"（责任单位：{'、'.join(c['departments'])}）" if c["departments"] else ""
            parts.append(f"[{c['clause_id']}] {c['document']}{c['label']}：{c['text']}{dept}")
    if a["notes"]:
        parts.append("说明：")
        parts.extend(f"· {n}" for n in a["notes"])
    return "\n".join(parts)


def notes_html(notes: list[str], folded: bool = False) -> str:
    """All notices of one answer merged into one box (folded under a chat answer: the panel shows them open)."""
    if not notes:
        return ""
    items = "".join(f"<li>{esc(n)}</li>" for n in dict.fromkeys(notes))
    if folded:
        return f"<details class='notice notes'><summary>说明（{len(dict.fromkeys(notes))}条）</summary><ul>{items}</ul></details>"
    return f"<div class='notice notes'><b>说明</b><ul>{items}</ul></div>"


def turn_html(service, turn: int, question: str, a: dict | None, *, pending: str = "", latest: bool = True) -> str:
    user = f"<div class='msg user'>{esc(question)}</div>"
    if a is None:
        body = f"<div class='msg bot'>{esc(pending) or '正在查找相关条款…'}</div>"
        return f"<div class='turn' data-turn='{turn}'>{user}{body}</div>"
    if a.get("error"):
        return f"<div class='turn' data-turn='{turn}'>{user}<div class='msg bot'>{esc(a['error'])}</div></div>"
    known = {c["clause_id"] for c in a["citations"]}
    parts = []
    if a.get("degraded"):
        parts.append("<div class='degraded'>⚠ 向量检索暂不可用，本次回答仅基于关键词检索。</div>")
    if a["summary"]:
        parts.append(f"<div class='bottom-line'>{link_ids(esc(a['summary']), known, turn)}</div>")
    parts.extend(f"<div class='line'>{link_ids(esc(line), known, turn)}</div>" for line in _other_lines(a))
    parts.extend(block_html(b, known, turn) for b in a["blocks"])
    counted = [b for b in a["blocks"] if b["status"] == "counted" and b["amount_yuan"] is not None]
    if len(counted) > 1 and a["total_yuan"] is not None:
        parts.append(f"<div class='total'>合计：{esc(format_yuan(a['total_yuan']))}" + ("（上限）" if a["total_is_upper_bound"] else "") + "</div>")
    for ask in a["asks"]:
        if ask != a["summary"]:
            parts.append(f"<div class='ask'>{esc(ask)}</div>")
    if a["quick_replies"]:
        dis = "" if latest else " disabled"
        parts.append("<div class='quick'>" + "".join(f"<button type='button' data-reply='{esc(r)}'{dis}>{esc(r)}</button>"
                                                    for r in a["quick_replies"]) + "</div>")
    parts.append(notes_html(a["notes"], folded=True))
    if a["citations"]:
        cards = "".join(clause_card(service, c["clause_id"]) for c in a["citations"] if service.corpus.has(c["clause_id"]))
        parts.append(f"<details class='cites'><summary>引用条款（{len(a['citations'])}条）</summary>{cards}</details>")
    parts.append(f"<div class='tools'><button class='mini copy copy-answer' type='button' data-copy='{esc(copy_text(service, a))}'>复制回答</button></div>")
    return f"<div class='turn' data-turn='{turn}'>{user}<div class='msg bot'>{''.join(parts)}</div></div>"


def transcript(service, turns: list) -> str:
    if not turns:
        return "<div class='empty'>用自己的话问政策，例如：我们租用云上GPU，有补贴吗？回答会先给结论，再列出每项措施和引用条款。</div>"
    return "".join(turn_html(service, i, t["question"], t.get("answer"), pending=t.get("pending", ""), latest=i == len(turns) - 1)
                   for i, t in enumerate(turns))


def answer_panel(service, a: dict | None) -> str:
    """The side panel: exactly the current turn (its amounts, citation cards and notices)."""
    if not a or a.get("error"):
        return "<div class='notice'>回答的引用条款、测算和说明会显示在这里。</div>"
    parts = []
    if a.get("degraded"):
        parts.append("<div class='degraded'>⚠ 向量检索暂不可用，本次回答仅基于关键词检索。</div>")
    calcs = [b for b in a["blocks"] if b["formula"] and b["status"] in ("counted", "not_eligible")]
    if calcs:
        parts.append("<h3>测算</h3>")
        parts.extend(f"<div class='calc'>[{esc(b['clause_id'])}] {esc(b['formula'])}</div>" for b in calcs)
        if a["total_yuan"] is not None:
            parts.append(f"<div class='total'>合计：{esc(format_yuan(a['total_yuan']))}（{a['total_yuan']}元）"
                         + ("，为可获得的上限" if a["total_is_upper_bound"] else "") + "</div>")
    if a["citations"]:
        parts.append("<h3>引用条款</h3>")
        parts.extend(clause_card(service, c["clause_id"]) for c in a["citations"] if service.corpus.has(c["clause_id"]))
    parts.append(notes_html(a["notes"]))
    return "".join(parts)


def doc_choices(service) -> list[tuple[str, str]]:
    corpus = service.corpus
    return [("范围：全部政策文件", ALL_DOCS)] + [(f"{d.title}（{_status(d, corpus)}）", d.id) for d in corpus.documents]


def _status(d, corpus) -> str:
    s = d.status_text or d.status.label
    if d.trial and d.trial not in s:
        s += f"·{d.trial}"
    if not corpus.is_active(d.id):
        s = "已失效"
    return s


def _doc(doc: str | None) -> str | None:
    return None if not doc or doc == ALL_DOCS else doc


def banner(service, doc: str | None = None) -> str:
    corpus = service.corpus
    docs = [corpus.document(doc)] if _doc(doc) else list(corpus.documents)
    lines = []
    for d in docs[:3]:
        note = d.dates_note()
        if note:
            lines.append(f"{esc(d.full_title)}：{esc(note)}" if len(docs) > 1 else esc(note))
    if len(docs) > 3:
        lines.append(f"另有 {len(docs) - 3} 份文件，见“政策文件”")
    return "".join(f"<div class='banner'>{line}</div>" for line in lines)


def header(service) -> str:
    corpus = service.corpus
    n = len(corpus.documents)
    active = sum(1 for d in corpus.documents if corpus.is_active(d.id))
    regions = "、".join(dict.fromkeys(d.region for d in corpus.documents if d.region))
    sub = f"已收录 {n} 份政策文件（{active} 份用于回答）" + (f" · {esc(regions)}" if regions else "")
    return f"<div id='app-head'><h1>政策通 · 政策知识助手</h1><span class='sub'>{sub}</span></div>"


def documents_view(service) -> str:
    corpus = service.corpus
    cards = []
    for d in corpus.documents:
        status = d.status_text or d.status.label
        cls = "draft" if d.status.value == "draft" else ("off" if not corpus.is_active(d.id) else "")
        badges = [f"<span class='badge'>{esc(d.level + '级') if d.level else '级别未写明'}</span>",
                  f"<span class='badge {cls}'>{esc(status)}</span>"]
        if d.trial and d.trial not in status:
            badges.append(f"<span class='badge'>{esc(d.trial)}</span>")
        if not corpus.is_active(d.id):
            badges.append("<span class='badge off'>不再用于回答，仅供查阅</span>")
        validity = f"施行日期：{d.effective_from or '未写明'} · 有效期至：{d.effective_until or '未写明'}"
        if d.validity:
            validity += f"（原文：{d.validity}）"
        note = d.dates_note()
        prefix = d.clauses[0].id.split(":", 1)[0] + ":" if d.clauses and ":" in d.clauses[0].id else "无前缀（如 3.4）"
        cards.append(f"<div class='card' data-doc='{esc(d.id)}'><h4>{esc(d.full_title)}</h4><div>{''.join(badges)}</div>"
                     f"<div class='meta'>{esc(d.region or '地区未写明')} · {len(d.clauses)} 个条款 · 条款编号：{esc(prefix)} · 文件编号：{esc(d.id)}</div>"
                     f"<div class='meta'>{esc(validity)}</div>" + (f"<div class='notice'>{esc(note)}</div>" if note else "") + "</div>")
    return f"<div class='doc-list'>{''.join(cards)}</div>"


# ---------------------------------------------------------------- 条款查询


def lookup(service, query: str, doc: str | None = None) -> str:
    q = (query or "").strip()
    if not q:
        return "<div class='notice'>请输入条款编号（3.4、3-4、第三条第四项、p2:3.1）、责任单位（人才局）或关键词（流片）。</div>"
    if len(q) > 200:
        return "<div class='notice'>输入过长，请精简后再试。</div>"
    corpus = service.corpus
    how = ""
    try:
        clauses = corpus.lookup(q, doc=_doc(doc))
        if not clauses:
            clauses = [h.clause for h in service.engine.retriever.search(q, 5) if _doc(doc) in (None, h.clause.doc_id)]
            how = "（原文中没有这个词，以下为意思最接近的条款）"
    except PolicyError as err:
        return f"<div class='notice'>{esc(err.message)}</div>"
    if not clauses:
        return f"<div class='notice'>没有找到与“{esc(q)}”相关的条款。</div>"
    head = f"<div class='meta'>找到 {len(clauses)} 条{how}：按回车复制第一条的引文，Tab 键切换到下一条。</div>"
    return head + "".join(clause_card(service, c.id) for c in clauses[:60])


# ---------------------------------------------------------------- 补贴测算

CALC_FIELDS = ("tier", "base", "previous", "measure", "units", "area", "periods", "received", "lpr")
MAX_CONDITIONS = 4


def rule_choices(service, doc: str | None = None) -> list[tuple[str, str]]:
    corpus = service.corpus
    multi = len(corpus.documents) > 1 and not _doc(doc)
    out = []
    for r in corpus.rules:
        c = corpus.get(r.clause_id)
        if _doc(doc) and c.doc_id != _doc(doc):
            continue
        d = corpus.document_of(c)
        out.append((f"{r.name} · {_label(c)}" + (f" · {d.title[:14]}" if multi else ""), r.id))
    return out


def calc_form(service, rule_id: str | None) -> list:
    """Visibility, labels and choices of the calculator's inputs for one measure: only what its rule needs."""
    from assistant.eligibility import rule_form

    rule = service.corpus.rule(rule_id) if rule_id else None
    qs = rule_form(rule, service.corpus).questions if rule else ()
    conds = [q for q in qs if q.kind == "yes_no"][:MAX_CONDITIONS]
    updates = [gr.update(visible=i < len(conds), label=conds[i].label if i < len(conds) else "", value="不确定")
               for i in range(MAX_CONDITIONS)]
    by_field = {}
    for q in qs:
        by_field.setdefault(q.key.split(":", 1)[0], q)
    for f in CALC_FIELDS:
        q = by_field.get(f)
        if f == "tier":
            updates.append(gr.update(visible=q is not None, choices=list(q.options[:-1]) if q else [], value=None, label=q.label if q else "档次"))
        else:
            updates.append(gr.update(visible=q is not None, label=q.label + ("（元、万元、亿元）" if q and q.kind == "amount" else "") if q else f,
                                     value=""))
    hint = ""
    if rule is not None:
        from assistant.views import rule_summary

        hint = f"<div class='meta'>标准：{esc(rule_summary(rule))}</div>"
    keys = [q.key for q in conds]
    return updates + [keys, hint]


def calculate_view(service, rule_id: str, cond_keys: list, *values) -> str:
    from assistant.eligibility import check_rule, parse_answers, rule_form

    if not rule_id:
        return "<div class='notice'>请先选择一项措施。</div>"
    rule = service.corpus.rule(rule_id)
    if rule is None:
        return "<div class='notice'>请先选择一项措施。</div>"
    form = rule_form(rule, service.corpus)
    cond_values, field_values = values[:MAX_CONDITIONS], values[MAX_CONDITIONS:]
    raw = {k: v for k, v in zip(cond_keys, cond_values)}
    by_field = {q.key.split(":", 1)[0]: q.key for q in form.questions}
    for f, v in zip(CALC_FIELDS, field_values):
        if f in by_field and v not in (None, ""):
            raw[by_field[f]] = str(v)
    if any(len(str(v or "")) > 64 for v in raw.values()):
        return "<div class='notice'>输入过长，请精简后再试。</div>"
    try:
        answers = parse_answers(form, raw)
        m = check_rule(rule, answers, service.corpus, always=True)
    except PolicyError as err:
        return f"<div class='notice'>{esc(err.message)}</div>"
    calc = m.calculation
    verdict = ELIG_WORDS[m.status]
    if calc is None:
        amount = "需补充：" + "、".join(m.missing) if m.missing else "请填写计算所需的数额"
    else:
        word = "最高可得" if m.is_upper_bound else "测算金额"
        amount = f"{word}：{format_yuan(calc.amount_yuan)}（{calc.amount_yuan}元）"
    conds = "".join(f"<li class='cond {s}'>{MARK[s]} {esc(t)}（{MARK_WORDS[s]}）</li>" for t, s in m.conditions) \
        or "<li>原文未列明申请主体或其他条件</li>"
    notes = list(answers.notes) + list(rule.notes)
    if m.status == "unknown":
        notes.insert(0, "有条件尚未确认：选择“是”或“否”后重新计算；确认之前不能说符合条件。")
    return (f"<div class='total' id='calc-verdict'>{esc(verdict)} · {esc(amount)}</div>"
            + (f"<div class='calc'>{esc(calc.formula)}</div>" if calc else "")
            + f"<div><b>条件</b><ul class='conds'>{conds}</ul></div>{notes_html(notes)}"
            + clause_card(service, rule.clause_id))


# ---------------------------------------------------------------- 资格自测


def eligibility_view(service, doc_id: str, raw: dict) -> tuple[str, str]:
    from assistant.eligibility import check, parse_answers, self_check_form, total_is_upper_bound, total_yuan
    from assistant.report import build_report, report_markdown, report_pdf

    corpus = service.corpus
    try:
        form = self_check_form(corpus, doc_id)
        answers = parse_answers(form, {k: v for k, v in raw.items() if v not in (None, "", "不确定")})
    except PolicyError as err:
        return f"<div class='notice'>{esc(err.message)}</div>", ""
    results = check(form, answers, corpus)
    if not results:
        return "<div class='notice'>请至少回答一项（选择“是”、填写金额或选择档次）后再测算。</div>", ""
    cards = []
    for m in results:
        calc = m.calculation
        amount = m.amount_text()
        conds = "".join(f"<li>{MARK[s]} {esc(t)}（{MARK_WORDS[s]}）</li>" for t, s in m.conditions) or "<li>原文未列明其他条件</li>"
        cards.append(f"<div class='card measure {m.status}' data-rule='{esc(m.rule.id)}'><h4>{esc(m.rule.name)} "
                     f"<a href='#' class='cite' data-cid='{esc(m.rule.clause_id)}'>[{esc(m.rule.clause_id)}]</a></h4>"
                     f"<div><b>{esc(ELIG_WORDS[m.status])}</b> · {esc(amount)}</div>"
                     + (f"<div class='calc'>{esc(calc.formula)}</div>" if calc and m.status != "not_eligible" else "")
                     + f"<ul>{conds}</ul><div class='dept'>责任单位：{esc('、'.join(m.departments) or '原文未写明')}</div>"
                     f"<div style='display:none'>{clause_card(service, m.rule.clause_id)}</div></div>")
    total = total_yuan(results)
    ub = total_is_upper_bound(results)
    out = (f"<div class='total'>测算合计：{esc(format_yuan(total))}（{total}元）" + ("，为可获得的上限" if ub else "") + "</div>"
           f"<div class='measure-grid'>{''.join(cards)}</div>"
           + notes_html(list(answers.notes) + ["只有“符合条件”和“待部门评审”的措施计入合计；“最高”类措施的金额由评审确定，不计入合计。",
                                               "同一事项符合多项政策的，按“就高不重复”等原则执行。"]))
    report = build_report(form, answers, results, corpus)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    links = [_data_link(report_markdown(report).encode("utf-8"), "text/markdown;charset=utf-8", f"资格自测报告-{stamp}.md",
                        "下载 Markdown", "report-md")]
    try:
        links.insert(0, _data_link(report_pdf(report), "application/pdf", f"资格自测报告-{stamp}.pdf", "下载 PDF 报告（可打印）", "report-pdf"))
    except PolicyError as err:
        links.append(f"<span class='meta'>{esc(err.message)}</span>")
    return out, "".join(links)


def _data_link(data: bytes, mime: str, name: str, text: str, elem_id: str) -> str:
    """A download link that carries the file itself: nothing is written on the server."""
    b64 = base64.b64encode(data).decode("ascii")
    return f"<a id='{elem_id}' class='mini' download='{esc(name)}' href='data:{mime};base64,{b64}'>⬇ {esc(text)}</a>"


# ---------------------------------------------------------------- layout


def build_ui(service) -> gr.Blocks:
    from assistant.api import default_doc

    with gr.Blocks(title="政策通 · 政策知识助手", analytics_enabled=False) as demo:
        with gr.Row(equal_height=True, elem_id="top-row"):
            gr.HTML(header(service), scale=3, min_width=260)
            scope = gr.Dropdown(doc_choices(service), value=ALL_DOCS, label="政策文件范围", show_label=False, elem_id="doc-scope", scale=2,
                                min_width=240, interactive=True, container=False, info=None)
        ban = gr.HTML(banner(service), elem_id="banner")
        scope.change(lambda d: banner(service, d), scope, ban)

        with gr.Tabs():
            with gr.Tab("智能问答", id="chat"):
                conv_id = gr.State(None)
                turns = gr.State([])
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=300):
                        chat = gr.HTML(transcript(service, []), elem_id="chatbot")
                        with gr.Row(elem_id="ask-row", equal_height=True):
                            box = gr.Textbox(show_label=False, placeholder="请输入问题，回车发送", scale=6, elem_id="question",
                                             max_length=MAX_QUESTION_CHARS, lines=1, max_lines=4, container=False)
                            send = gr.Button("发送", variant="primary", scale=1, min_width=64, elem_id="send")
                            trash = gr.Button("清空", scale=0, min_width=72, elem_id="trash", elem_classes="icon-btn", variant="secondary")
                        with gr.Row(elem_classes="examples-row"):
                            ex_buttons = [gr.Button(label, size="sm", elem_classes="example", variant="secondary") for label, _ in EXAMPLES]
                        with gr.Row(elem_classes="examples-row", elem_id="chat-tools"):
                            new = gr.Button("新对话", size="sm", elem_id="new-chat")
                            up = gr.Button("有帮助", size="sm", elem_id="thumb-up", elem_classes="icon-btn")
                            down = gr.Button("有错误", size="sm", elem_id="thumb-down", elem_classes="icon-btn")
                            fb = gr.HTML("", elem_id="feedback-msg")
                    with gr.Column(scale=2, min_width=280, elem_id="side"):
                        panel = gr.HTML(answer_panel(service, None), elem_id="answer-panel")

                def respond(question, history, cid, doc):
                    history = list(history or [])
                    q = (question or "").strip()[:MAX_QUESTION_CHARS]
                    if not q:
                        yield transcript(service, history), history, cid, answer_panel(service, None), ""
                        return
                    history.append({"question": q, "answer": None})
                    yield transcript(service, history), history, cid, "<div class='notice'>正在查找…</div>", ""
                    try:
                        for item in service.ask_stream(q, cid, doc=_doc(doc)):
                            if isinstance(item, str):
                                history[-1] = {"question": q, "answer": None, "pending": item}
                                yield transcript(service, history), history, cid, "<div class='notice'>正在生成…</div>", ""
                            else:
                                d = item.to_dict()
                                history[-1] = {"question": q, "answer": d}
                                yield transcript(service, history), history, item.conversation_id, answer_panel(service, d), ""
                    except PolicyError as err:
                        history[-1] = {"question": q, "answer": {"error": err.message}}
                        yield transcript(service, history), history, cid, answer_panel(service, None), ""

                outs = [chat, turns, conv_id, panel, box]
                # one listener for every way of sending: while an answer streams, a second Enter, 发送 or
                # example click is ignored instead of racing the first answer for the same conversation
                gr.on([send.click, box.submit], respond, [box, turns, conv_id, scope], outs, trigger_mode="once")
                for b, (_, text) in zip(ex_buttons, EXAMPLES):
                    # clicking an example sends it: fill the box, then press 发送 (same listener as above)
                    b.click(None, None, None, js=_SEND_JS % json.dumps(text, ensure_ascii=False))

                def reset(cid):
                    service.reset(cid)  # server side too: facts, topic and the pending question are gone
                    return transcript(service, []), [], None, answer_panel(service, None), "", "<span class='meta'>已开始新对话。</span>"

                for b in (new, trash):
                    b.click(reset, conv_id, [chat, turns, conv_id, panel, box, fb])
                scope.change(reset, conv_id, [chat, turns, conv_id, panel, box, fb])

                def rate(value, history, cid, request: gr.Request | None):
                    last = next((t["answer"] for t in reversed(history or []) if t.get("answer") and not t["answer"].get("error")), None)
                    if not last:
                        return "<span class='meta'>请先提问，再评价回答。</span>"
                    host = getattr(getattr(request, "client", None), "host", None) or "unknown"
                    allowed, wait = service.limiter.allow("feedback", host)
                    if not allowed:
                        return f"<span class='meta'>反馈过于频繁，请 {wait} 秒后再试。</span>"
                    service.store.add_feedback(question=last["question"], answer=last, rating=value, conversation_id=cid)
                    return "<span class='meta'>" + ("感谢反馈，已记录。" if value > 0 else "感谢指正，已记录，我们会据此改进。") + "</span>"

                def rate_up(history, cid, request: gr.Request):
                    return rate(1, history, cid, request)

                def rate_down(history, cid, request: gr.Request):
                    return rate(-1, history, cid, request)

                up.click(rate_up, [turns, conv_id], fb)
                down.click(rate_down, [turns, conv_id], fb)

            with gr.Tab("条款查询", id="lookup"):
                with gr.Row(equal_height=True):
                    lq = gr.Textbox(show_label=False, placeholder="编号（3.4、3-4、第三条第四项、p2:3.1）、责任单位（人才局）或关键词（流片），回车查询",
                                    scale=6, elem_id="lookup-box", max_length=200, container=False, autofocus=False)
                    lb = gr.Button("查询", variant="primary", scale=1, min_width=64, elem_id="lookup-btn")
                lout = gr.HTML("<div class='meta'>一个输入框：编号的各种写法、责任单位简称、关键词都可以。结果中每条都有“复制引文”按钮。</div>",
                               elem_id="lookup-out")
                lb.click(lambda q, d: lookup(service, q, d), [lq, scope], lout)
                lq.submit(lambda q, d: lookup(service, q, d), [lq, scope], lout)

            with gr.Tab("补贴测算", id="calc"):
                choices = rule_choices(service)
                first = choices[0][1] if choices else None
                rsel = gr.Dropdown(choices, label="措施（由条款原文解析）", value=first, elem_id="rule-select", filterable=True)
                hint = gr.HTML("", elem_id="calc-hint")
                cond_boxes = [gr.Radio(["是", "否", "不确定"], value="不确定", label="", visible=False, elem_id=f"calc-cond-{i}", interactive=True)
                              for i in range(MAX_CONDITIONS)]
                with gr.Row():
                    fields = []
                    for f in CALC_FIELDS:
                        if f == "tier":
                            fields.append(gr.Dropdown([], label="档次", visible=False, elem_id="calc-tier", interactive=True))
                        else:
                            fields.append(gr.Textbox(label=f, visible=False, elem_id=f"calc-{f}", max_lines=1, interactive=True,
                                                     placeholder="如 80万元、三百万、1.2亿元" if f in ("base", "previous", "measure", "received") else ""))
                cond_keys = gr.State([])
                cbtn = gr.Button("计算", variant="primary", elem_id="calc-btn")
                cout = gr.HTML(elem_id="calc-out")
                form_outputs = cond_boxes + fields + [cond_keys, hint]
                rsel.change(lambda r: calc_form(service, r), rsel, form_outputs)
                demo.load(lambda r: calc_form(service, r), rsel, form_outputs)
                scope.change(lambda d: gr.update(choices=rule_choices(service, d), value=(rule_choices(service, d) or [(None, None)])[0][1]),
                             scope, rsel)
                cbtn.click(lambda r, k, *v: calculate_view(service, r, k, *v), [rsel, cond_keys, *cond_boxes, *fields], cout)

            with gr.Tab("资格自测", id="eligibility"):
                docs = [(d.title, d.id) for d in service.corpus.documents]
                edoc = gr.Dropdown(docs, value=default_doc(service.corpus), label="政策文件", elem_id="elig-doc")
                eout = gr.HTML(elem_id="elig-out", render=False)
                ereport = gr.HTML("", elem_id="elig-report", render=False)

                @gr.render(inputs=edoc)
                def self_check(doc_id):
                    from assistant.eligibility import self_check_form

                    form = self_check_form(service.corpus, doc_id)
                    comps = []
                    with gr.Column(elem_id="elig-form"):
                        yes_no = [q for q in form.questions if q.kind == "yes_no"]
                        others = [q for q in form.questions if q.kind != "yes_no"]
                        with gr.Row():
                            for q in others:
                                if q.kind == "choice":
                                    comps.append(gr.Dropdown(list(q.options), value=None, label=q.label, key=f"{doc_id}|{q.key}", min_width=200,
                                                             interactive=True))
                                else:
                                    tip = "如 80万元（只写数字按万元计）" if q.kind == "amount" else ("如 3.45%" if q.kind == "percent" else "数字")
                                    comps.append(gr.Textbox(label=q.label, placeholder=tip, key=f"{doc_id}|{q.key}", max_lines=1,
                                                            min_width=200, max_length=64, interactive=True))
                        with gr.Row():
                            for q in yes_no:
                                comps.append(gr.Radio(list(q.options), value="不确定", label=q.label, key=f"{doc_id}|{q.key}", min_width=260,
                                                      interactive=True))
                        btn = gr.Button("开始自测", variant="primary", elem_id="elig-btn")
                    keys = [q.key for q in others] + [q.key for q in yes_no]

                    def run(*values):
                        return eligibility_view(service, doc_id, dict(zip(keys, values)))

                    btn.click(run, comps, [eout, ereport])

                ereport.render()  # results and report links below the form
                eout.render()

            with gr.Tab("政策文件", id="documents"):
                gr.HTML(documents_view(service), elem_id="doc-list")
                gr.HTML("<div class='meta'>REST API 文档（离线可用）：<a href='/docs' target='_blank'>/docs</a>、"
                        "<a href='/redoc' target='_blank'>/redoc</a></div>")
    return demo
