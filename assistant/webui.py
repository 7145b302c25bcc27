"""Gradio Blocks UI: 智能问答, 条款查询, 补贴测算, 资格自测. Chinese text, no CDN assets.

Owns layout and HTML rendering only; every action calls ``Service`` / library functions.
All user text and clause text is escaped before it reaches HTML or Markdown.
"""

from __future__ import annotations

import base64
import html
import os
import re
import time

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

from assistant.amounts import format_yuan  # noqa: E402
from assistant.errors import PolicyError, UnknownClauseError  # noqa: E402

EXAMPLES = [
    "我们是中小企业，去年算力服务费80万元，另外调用大模型API花了40万元，能拿多少补贴？",
    "模型券归哪个部门管？",
    "数据交易额300万元能拿多少奖励？",
    "一人公司（OPC）创业有什么支持？",
    "这个政策什么时候开始施行？",
]
CSS = """
.card {border:1px solid #d0d7de;border-radius:8px;padding:10px 12px;margin:8px 0;background:#fff}
.card h4 {margin:0 0 4px 0;font-size:15px}
.card .dept {color:#57606a;font-size:13px;margin-top:6px}
.card details {margin-top:6px;font-size:13px;color:#333}
.card mark {background:#fff3b0;padding:0 2px}
.notice {background:#fff8e1;border:1px solid #f0c36d;border-radius:6px;padding:8px 12px;margin:6px 0;font-size:14px}
.calc {font-family:ui-monospace,monospace;font-size:13px;background:#f6f8fa;padding:6px 8px;border-radius:6px;margin:4px 0}
.total {font-size:16px;font-weight:600;margin:8px 0}
.degraded {background:#ffebe9;border:1px solid #ff8182;border-radius:6px;padding:6px 10px;margin:6px 0}
table.res {border-collapse:collapse;width:100%;font-size:13px} table.res td, table.res th {border:1px solid #d0d7de;padding:4px 6px}
"""
MAX_QUESTION_CHARS = 5000  # the answer path reads the first 2000 characters anyway
MAX_LOOKUP_CHARS = 200
MAX_AMOUNT_CHARS = 64
TOO_LONG = "<div class='notice'>输入过长，请精简后再试。</div>"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!<>|~])")


def esc(text) -> str:
    return html.escape(str(text or ""), quote=True)


def md_escape(text: str) -> str:
    """Show text literally in a Markdown-rendering component (links, tags, emphasis stay text)."""
    return _MD_SPECIAL.sub(r"\\\1", text or "")


def theme():
    # System fonts only: the default theme would fetch web fonts from a CDN.
    return gr.themes.Base(font=["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "system-ui", "sans-serif"],
                          font_mono=["ui-monospace", "monospace"])


# ---------------------------------------------------------------- HTML pieces


def clause_card(service, clause_id: str, open_article: bool = True) -> str:
    corpus = service.corpus
    c = corpus.get(clause_id)
    article = corpus.article_of(c)
    sentences = []
    for cid in article.clause_ids:
        t = esc(corpus.get(cid).text)
        sentences.append(f"<mark>{t}</mark>" if cid == c.id else t)
    dept = f"<div class='dept'>责任单位：{esc('、'.join(c.departments))}</div>" if c.departments else ""
    doc = corpus.document_of(c)
    badge = "" if corpus.is_active(c.doc_id) else f" <span class='degraded'>{esc(doc.status.label if doc.status.value == 'superseded' else '已过期')}，仅供查阅</span>"
    source = f"<div class='dept'>出处：{esc(doc.full_title)}</div>" if len(corpus.documents) > 1 else ""
    return (f"<div class='card' data-clause='{esc(c.id)}'><h4>[{esc(c.id)}] {esc(article.label)} {esc(c.article_title)}{badge}</h4>{source}"
            f"<div>{esc(c.text)}</div>{dept}"
            f"<details{' open' if open_article else ''}><summary>所在条全文</summary>{''.join(sentences)}</details></div>")


def answer_panel(service, answer: dict) -> str:
    parts = []
    if answer.get("degraded"):
        parts.append("<div class='degraded'>⚠ 向量检索暂不可用，本次回答仅基于关键词检索。</div>")
    if answer.get("calculations"):
        parts.append("<h3>测算</h3>")
        for calc in answer["calculations"]:
            flag = "" if calc["eligible"] else "（不符合条件）"
            parts.append(f"<div class='calc'>[{esc(calc['clause_id'])}] {esc(calc['formula'])} → {esc(format_yuan(calc['amount_yuan']))}{flag}</div>")
        if answer.get("total_yuan") is not None:
            parts.append(f"<div class='total'>合计：{esc(format_yuan(answer['total_yuan']))}（{answer['total_yuan']}元）</div>")
    if answer.get("citations"):
        parts.append("<h3>引用条款</h3>")
        parts.extend(clause_card(service, c["clause_id"], open_article=False) for c in answer["citations"])
    for n in answer.get("notes", []):
        parts.append(f"<div class='notice'>{esc(n)}</div>")
    return "".join(parts) or "<div class='notice'>暂无引用。</div>"


def draft_banner(service) -> str:
    doc = service.corpus.documents[0]
    if doc.dates_fixed:
        return f"<b>{esc(doc.full_title)}</b>"
    return (f"<b>{esc(doc.full_title)}</b>　<span class='notice'>{esc(doc.status.label)}：施行日期（{esc(doc.effective_from)}）"
            f"与有效期（至{esc(doc.effective_until)}）尚未确定，回答仅供参考。</span>")


# ---------------------------------------------------------------- actions


def lookup(service, query: str) -> tuple[str, str]:
    from assistant.corpus import normalize_clause_id

    q = (query or "").strip()
    if len(q) > MAX_LOOKUP_CHARS:
        return TOO_LONG, ""
    if not q:
        return "<div class='notice'>请输入条款编号（如 3.4、第三条）、关键词或责任单位。</div>", ""
    corpus = service.corpus
    try:
        if normalize_clause_id(q) or corpus.has(q):
            clauses = [corpus.get(q)]
        elif re.fullmatch(r"第[一二三四五六七八九十\d]+条|\d{1,2}|附则", q):
            clauses = corpus.article_clauses(q)
        elif any(q in d for d in corpus.departments):
            clauses = corpus.by_department(q)
        else:
            clauses = corpus.by_keyword(q)
            if not clauses:
                clauses = [h.clause for h in service.engine.retriever.search(q, 5)]
    except UnknownClauseError:
        return f"<div class='notice'>未找到条款“{esc(q)}”，请检查编号（如 3.4、第三条第四项），或输入关键词、责任单位查询。</div>", ""
    except PolicyError as err:
        return f"<div class='notice'>{esc(err.message)}</div>", ""
    cards = "".join(clause_card(service, c.id) for c in clauses)
    header = f"<div>找到 {len(clauses)} 条：</div>"
    return header + cards, corpus.citation_text(clauses[0]) if clauses else ""


def rule_choices(service) -> list[tuple[str, str]]:
    return [(f"[{r.clause_id}] {r.name}（{r.id}）", r.id) for r in service.corpus.rules]


def calculate_view(service, rule_id: str, base: str, level: str | None, count) -> str:
    from assistant.amounts import parse_amount
    from assistant.calculator import calculate
    from assistant.types import RuleKind

    if not rule_id:
        return "<div class='notice'>请先选择一项措施。</div>"
    if len(str(base or "")) > MAX_AMOUNT_CHARS:
        return TOO_LONG
    rule = service.corpus.rule(rule_id)
    if rule is None:
        return "<div class='notice'>请先选择一项措施。</div>"
    try:
        base_v = parse_amount(base) if rule.kind is RuleKind.RATE else None
        n = int(count or 1)
        calc = calculate(rule, base_v, level=level or None, count=max(1, n))
    except (PolicyError, ValueError) as err:
        return f"<div class='notice'>{esc(getattr(err, 'message', str(err)))}</div>"
    verdict = "符合条件" if calc.eligible else "不符合条件"
    label = "最高可得" if calc.is_upper_bound else "测算金额"
    notes = "".join(f"<div class='notice'>{esc(n)}</div>" for n in rule.notes)
    return (f"<div class='total'>{label}：{esc(format_yuan(calc.amount_yuan))}（{calc.amount_yuan}元）· {verdict}</div>"
            f"<div class='calc'>{esc(calc.formula)}</div>{notes}{clause_card(service, rule.clause_id, open_article=False)}")


def eligibility_view(service, is_sme: str, flags: list[str], level: str | None, *amount_values) -> tuple[str, str]:
    from assistant.amounts import parse_amount
    from assistant.eligibility import FLAGS, Profile, check, report_markdown, total_yuan

    keys = base_keys(service)
    amounts = {}
    if any(len(str(v or "")) > MAX_AMOUNT_CHARS for v in amount_values):
        return TOO_LONG, ""
    try:
        for key, text in zip(keys, amount_values):
            if text and str(text).strip():
                amounts[key] = parse_amount(text)
    except PolicyError as err:
        return f"<div class='notice'>{esc(err.message)}</div>", ""
    facts = {"is_sme": {"是": True, "否": False}.get(is_sme)}
    label_to_flag = {label: key for key, (label, _) in FLAGS.items()}
    for label in flags or []:
        facts[label_to_flag[label]] = True
    profile = Profile(amounts, facts, level or None)
    results = check(profile, service.corpus)
    if not results:
        return "<div class='notice'>请填写金额或勾选情况后再测算。</div>", ""
    label = {"eligible": "✓ 符合", "not_eligible": "✗ 不符合", "unknown": "？待确认"}
    rows = []
    for m in results:
        calc = m.calculation
        amount = "—" if not calc else (f"最高{format_yuan(calc.amount_yuan)}" if m.rule.kind.value == "cap_only" else format_yuan(calc.amount_yuan))
        conds = "；".join(f"{label[{'met': 'eligible', 'not_met': 'not_eligible', 'unknown': 'unknown'}[s]][0]} {c}" for c, s in m.conditions)
        rows.append(f"<tr><td>[{esc(m.rule.clause_id)}] {esc(m.rule.name)}</td><td>{label[m.status]}</td><td>{esc(conds)}</td>"
                    f"<td>{esc(calc.formula if calc else '')}</td><td>{esc(amount)}</td><td>{esc('、'.join(m.departments))}</td></tr>")
    total = total_yuan(results)
    table = ("<table class='res'><tr><th>措施</th><th>结论</th><th>条件</th><th>测算</th><th>金额</th><th>责任单位</th></tr>"
             + "".join(rows) + "</table>"
             f"<div class='total'>符合条件的测算合计：{esc(format_yuan(total))}（{total}元）</div>"
             "<div class='notice'>不含仅规定上限、需评审确定金额的措施；同一事项按“就高不重复”执行。</div>")
    return table, report_link(report_markdown(results, service.corpus, profile))


def report_link(markdown: str) -> str:
    """A download link that carries the report itself (a data: URL): no file is written on the server."""
    data = base64.b64encode(markdown.encode("utf-8")).decode("ascii")
    name = f"资格自测报告-{time.strftime('%Y%m%d-%H%M%S')}.md"
    return (f"<a class='report' download='{esc(name)}' href='data:text/markdown;charset=utf-8;base64,{data}'>"
            f"⬇ 下载报告（Markdown）：{esc(name)}</a>")


def base_keys(service) -> list[str]:
    seen: dict[str, None] = {}
    for r in service.corpus.rules:
        if r.base_key:
            seen.setdefault(r.base_key, None)
    return list(seen)


# ---------------------------------------------------------------- layout


def build_ui(service) -> gr.Blocks:
    from assistant.eligibility import FLAGS

    with gr.Blocks(title="政策通 · 武汉数智经济政策助手", analytics_enabled=False) as demo:
        gr.Markdown("## 政策通 · 武汉市数智经济政策助手")
        gr.HTML(f"<div id='banner'>{draft_banner(service)}</div>")
        with gr.Tab("智能问答", id="chat"):
            conv_id = gr.State(None)
            last = gr.State(None)
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="对话", height=560, elem_id="chatbot", render_markdown=True, line_breaks=True,
                                      feedback_options=None, placeholder="用自己的话问政策，例如：我们租用云上GPU，有补贴吗？")
                    with gr.Row():
                        box = gr.Textbox(show_label=False, placeholder="请输入问题，回车发送", scale=5, elem_id="question", max_length=MAX_QUESTION_CHARS)
                        send = gr.Button("发送", variant="primary", scale=1, elem_id="send")
                    with gr.Row():
                        new = gr.Button("新对话", size="sm", elem_id="new-chat")
                        up = gr.Button("👍 有帮助", size="sm", elem_id="thumb-up")
                        down = gr.Button("👎 有错误", size="sm", elem_id="thumb-down")
                    fb = gr.Markdown("")
                    gr.Examples(EXAMPLES, inputs=box, label="示例问题")
                with gr.Column(scale=2):
                    panel = gr.HTML("<div class='notice'>回答的引用条款、测算和说明会显示在这里。</div>", elem_id="answer-panel")

            def respond(question, history, cid):
                history = list(history or [])
                q = (question or "").strip()[:MAX_QUESTION_CHARS]
                if not q:
                    yield history, cid, None, "<div class='notice'>请输入问题。</div>", ""
                    return
                history.append({"role": "user", "content": md_escape(q)})
                history.append({"role": "assistant", "content": ""})
                try:
                    for item in service.ask_stream(q, cid):
                        if isinstance(item, str):
                            history[-1] = {"role": "assistant", "content": md_escape(item)}
                            yield history, cid, None, "<div class='notice'>正在生成…</div>", ""
                        else:
                            d = item.to_dict()
                            history[-1] = {"role": "assistant", "content": md_escape(d["answer"])}
                            yield history, item.conversation_id, d, answer_panel(service, d), ""
                except PolicyError as err:
                    history[-1] = {"role": "assistant", "content": md_escape(err.message)}
                    yield history, cid, None, "", ""

            send.click(respond, [box, chat, conv_id], [chat, conv_id, last, panel, box])
            box.submit(respond, [box, chat, conv_id], [chat, conv_id, last, panel, box])
            new.click(lambda: ([], None, None, "<div class='notice'>已开始新对话。</div>", ""), None, [chat, conv_id, last, panel, fb])

            def rate(value, answer, cid, request: gr.Request):
                if not answer:
                    return "请先提问，再评价回答。"
                allowed, wait = service.limiter.allow("feedback", getattr(request.client, "host", None) or "unknown")
                if not allowed:
                    return f"反馈过于频繁，请 {wait} 秒后再试。"
                service.store.add_feedback(question=answer["question"], answer=answer, rating=value, conversation_id=cid)
                return "感谢反馈，已记录。" if value > 0 else "感谢指正，已记录，我们会据此改进。"

            def rate_up(answer, cid, request: gr.Request):
                return rate(1, answer, cid, request)

            def rate_down(answer, cid, request: gr.Request):
                return rate(-1, answer, cid, request)

            up.click(rate_up, [last, conv_id], fb)
            down.click(rate_down, [last, conv_id], fb)

        with gr.Tab("条款查询", id="lookup"):
            with gr.Row():
                lq = gr.Textbox(show_label=False, placeholder="条款编号（3.4、第三条）、关键词（流片）或责任单位（市人才工作局）", scale=5, elem_id="lookup-box",
                                max_length=MAX_LOOKUP_CHARS)
                lb = gr.Button("查询", variant="primary", scale=1, elem_id="lookup-btn")
            cite = gr.Textbox(label="可朗读引文（点击右侧按钮复制）", buttons=["copy"], interactive=False, elem_id="citation-text")
            lout = gr.HTML(elem_id="lookup-out")
            lb.click(lambda q: lookup(service, q), lq, [lout, cite])
            lq.submit(lambda q: lookup(service, q), lq, [lout, cite])

        with gr.Tab("补贴测算", id="calc"):
            choices = rule_choices(service)
            with gr.Row():
                rsel = gr.Dropdown(choices, label="措施（由条款原文解析）", value=choices[0][1] if choices else None, elem_id="rule-select")
                amt = gr.Textbox(label="计算基数", placeholder="如 80万元、三百万、1.2亿元", elem_id="calc-base", max_length=MAX_AMOUNT_CHARS)
            with gr.Row():
                lvl = gr.Dropdown(["", "国家级", "省级"], value="", label="级别（分级奖励用）")
                cnt = gr.Number(1, label="数量（固定奖励用）", precision=0, minimum=1)
            cbtn = gr.Button("计算", variant="primary", elem_id="calc-btn")
            cout = gr.HTML(elem_id="calc-out")
            cbtn.click(lambda r, b, lv, n: calculate_view(service, r, b, lv, n), [rsel, amt, lvl, cnt], cout)

        with gr.Tab("资格自测", id="eligibility"):
            sme = gr.Radio(["是", "否", "不确定"], value="不确定", label="是否属于中小企业", elem_id="is-sme")
            keys = base_keys(service)
            with gr.Row():
                amount_boxes = [gr.Textbox(label=k, placeholder="如 80万元", elem_id=f"amt-{i}", max_length=MAX_AMOUNT_CHARS)
                                for i, k in enumerate(keys)]
            flags = gr.CheckboxGroup([label for label, _ in FLAGS.values()], label="贵单位的情况（可多选）", elem_id="flags")
            elvl = gr.Dropdown(["", "国家级", "省级"], value="", label="获评园区级别（如有）")
            ebtn = gr.Button("开始自测", variant="primary", elem_id="elig-btn")
            eout = gr.HTML(elem_id="elig-out")
            efile = gr.HTML("", elem_id="elig-report")
            ebtn.click(lambda s, f, lv, *a: eligibility_view(service, s, f, lv, *a), [sme, flags, elvl, *amount_boxes], [eout, efile])
    return demo
