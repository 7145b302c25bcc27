"""The self-check report: Markdown, and a printable PDF with CJK fonts.

Owns: one ``Report`` record built from a self-check (document, every input as answered, each
measure with its conditions, amount — upper bounds marked —, departments and cited clause, the
total and the document's draft/validity notice) and its two renderings. Only this module imports
weasyprint (HTML → PDF through the system's pango and fontconfig; the CJK glyphs come from the
system's Noto CJK fonts, fonts-noto-cjk on Debian). Nothing is written to disk: the PDF is bytes.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from assistant.amounts import format_yuan
from assistant.errors import ReportError

STATUS_LABEL = {"eligible": "符合条件", "review": "条件已满足，待部门评审", "unknown": "待确认", "not_eligible": "不符合条件"}
MARK = {"met": "✓ 已满足", "not_met": "✗ 不满足", "unknown": "？待确认", "review": "待评审"}
PDF_CSS = """
@page { size: A4; margin: 16mm 15mm 18mm 15mm;
        @bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; font-size: 8pt; color: #666; } }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif;
       font-size: 10pt; line-height: 1.5; color: #111; }
h1 { font-size: 16pt; margin: 0 0 4pt 0; } h2 { font-size: 12pt; margin: 12pt 0 4pt 0; border-bottom: 1px solid #999; }
.meta { color: #444; font-size: 9pt; } .notice { border: 1px solid #c90; background: #fff8e1; padding: 4pt 6pt; margin: 6pt 0; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0; } td, th { border: 1px solid #aaa; padding: 3pt 5pt; vertical-align: top; }
th { background: #eee; text-align: left; } .measure { page-break-inside: avoid; border: 1px solid #bbb; padding: 5pt 7pt; margin: 6pt 0; }
.measure h3 { font-size: 11pt; margin: 0 0 3pt 0; } .amount { font-weight: bold; } .cite { color: #333; font-size: 9pt; margin-top: 3pt; }
.total { font-size: 12pt; font-weight: bold; margin: 8pt 0; } ul { margin: 2pt 0 2pt 14pt; padding: 0; }
"""


@dataclass(frozen=True)
class Report:
    title: str  # the document's full title
    status_line: str  # 征求意见稿 · 施行日期… · 有效期至…
    notice: str  # the document's dates/draft note ("" if none)
    created: str
    inputs: tuple[tuple[str, str], ...]  # (question, answer as given)
    measures: tuple[dict, ...]
    total_yuan: int
    total_is_upper_bound: bool
    notes: tuple[str, ...]


def build_report(form, answers, results, corpus) -> Report:
    from assistant.compose import citation
    from assistant.eligibility import total_is_upper_bound, total_yuan

    doc = corpus.document(form.doc_id)
    status = doc.status_text or doc.status.label
    if doc.trial and doc.trial not in status:
        status += f"（{doc.trial}）"
    status_line = (f"{doc.level + '级 · ' if doc.level else ''}{status} · 施行日期：{doc.effective_from or '未写明'}"
                   f" · 有效期至：{doc.effective_until or '未写明'}" + ("" if corpus.is_active(doc.id) else " · 已失效，仅供查阅"))
    inputs = tuple((q.label, answers.shown.get(q.key, "未填")) for q in form.questions if q.key in answers.shown)
    measures = []
    for m in results:
        calc = m.calculation
        amount = m.amount_text(not_eligible="0元（条件未满足）")
        c = citation(corpus, m.rule.clause_id)
        measures.append({"name": m.rule.name, "clause_id": m.rule.clause_id, "status": STATUS_LABEL[m.status],
                         "conditions": [(t, MARK[s]) for t, s in m.conditions], "amount": amount,
                         "formula": calc.formula if calc else "", "departments": "、".join(m.departments) or "原文未写明",
                         "citation": f"[{c.clause_id}] {c.document}{c.label}：{c.text}"})
    notes = list(answers.notes)
    notes.append("同一事项符合多项政策的，按“就高不重复”等原则执行；实际金额以责任单位实施细则和审核结果为准。")
    notes.append("标注“上限”的金额是可获得的最高额；“最高”类措施的金额由评审确定，不计入合计。")
    notes += sorted({n for m in results for n in m.rule.notes})
    return Report(doc.full_title, status_line, doc.dates_note() or "", dt.datetime.now().strftime("%Y年%m月%d日 %H:%M"),
                  inputs, tuple(measures), total_yuan(results), total_is_upper_bound(results), tuple(notes))


def report_markdown(r: Report) -> str:
    lines = ["# 政策资格自测报告", "", f"依据：{r.title}", f"文件状态：{r.status_line}", f"生成时间：{r.created}", ""]
    if r.notice:
        lines += [f"> {r.notice}", ""]
    lines.append("## 填报信息")
    lines += [f"- {q}：{a}" for q, a in r.inputs] or ["- （未填写）"]
    lines += ["", "## 各项措施"]
    for m in r.measures:
        lines += ["", f"### {m['name']} [{m['clause_id']}] — {m['status']}", f"- 金额：{m['amount']}"]
        if m["formula"]:
            lines.append(f"- 算式：{m['formula']}")
        for text, mark in m["conditions"]:
            lines.append(f"- 条件：{text}（{mark}）")
        lines += [f"- 责任单位：{m['departments']}", f"- 条款原文：{m['citation']}"]
    lines += ["", f"**测算合计：{format_yuan(r.total_yuan)}（{r.total_yuan}元）" + ("，为可获得的上限" if r.total_is_upper_bound else "") + "**",
              "", "## 说明"]
    lines += [f"- {n}" for n in r.notes]
    return "\n".join(lines) + "\n"


def report_html(r: Report) -> str:
    e = html.escape
    rows = "".join(f"<tr><td>{e(q)}</td><td>{e(a)}</td></tr>" for q, a in r.inputs) or "<tr><td colspan='2'>（未填写）</td></tr>"
    measures = []
    for m in r.measures:
        conds = "".join(f"<li>{e(t)}（{e(mark)}）</li>" for t, mark in m["conditions"]) or "<li>原文未列明其他条件</li>"
        formula = f"<div>算式：{e(m['formula'])}</div>" if m["formula"] else ""
        measures.append(f"<div class='measure'><h3>{e(m['name'])} [{e(m['clause_id'])}] — {e(m['status'])}</h3>"
                        f"<div class='amount'>金额：{e(m['amount'])}</div>{formula}<div>条件：</div><ul>{conds}</ul>"
                        f"<div>责任单位：{e(m['departments'])}</div><div class='cite'>条款原文：{e(m['citation'])}</div></div>")
    total = f"测算合计：{format_yuan(r.total_yuan)}（{r.total_yuan}元）" + ("，为可获得的上限" if r.total_is_upper_bound else "")
    notice = f"<div class='notice'>{e(r.notice)}</div>" if r.notice else ""
    notes = "".join(f"<li>{e(n)}</li>" for n in r.notes)
    return (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>政策资格自测报告</title><style>{PDF_CSS}</style></head><body>"
            f"<h1>政策资格自测报告</h1><div class='meta'>依据：{e(r.title)}<br>文件状态：{e(r.status_line)}<br>生成时间：{e(r.created)}</div>"
            f"{notice}<h2>填报信息</h2><table><tr><th>项目</th><th>填写</th></tr>{rows}</table>"
            f"<h2>各项措施</h2>{''.join(measures) or '<p>没有适用的措施。</p>'}<div class='total'>{e(total)}</div>"
            f"<h2>说明</h2><ul>{notes}</ul></body></html>")


def report_pdf(r: Report) -> bytes:
    """The report as PDF bytes (A4, page numbers, CJK text that copies and searches as text)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as err:  # OSError: the system's pango is missing
        raise ReportError(f"缺少 PDF 组件：{type(err).__name__}") from None
    return HTML(string=report_html(r)).write_pdf()
