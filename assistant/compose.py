"""Word the answer: the bottom line first, then one compact block per measure.

Owns the answer's text and its typed parts (``summary``, ``MeasureBlock``s, citations, notes,
asks and quick replies) from what ``route`` decided. Clause text is not repeated in the answer:
it lives in the citations. Every figure here comes from a calculation or a rule's own text.
Fixed phrases are in ``phrases``. Does not decide anything about amounts.
"""

from __future__ import annotations

from assistant import phrases
from assistant.amounts import format_yuan
from assistant.types import Answer, BlockStatus, Citation, MeasureBlock
from assistant.views import rule_summary

MARK = {"met": "✓ 已满足", "not_met": "✗ 不满足", "unknown": "？待确认", "review": "待评审"}


def citation(corpus, clause_id: str) -> Citation:
    from assistant.numerals import int_to_chinese

    c = corpus.get(clause_id)
    doc = corpus.document_of(c)
    if c.article_no is None:
        label = f"附则第{int_to_chinese(c.item_no)}项"
    else:
        label = f"第{int_to_chinese(c.article_no)}条第{int_to_chinese(c.item_no)}项"
    return Citation(c.id, c.article_title, c.text, c.departments, doc.id, doc.full_title, label)


def measure_name(corpus, clause_id: str, rule=None) -> str:
    if rule is not None:
        return rule.name
    rules = corpus.rules_for(clause_id)
    if len(rules) == 1:
        return rules[0].name
    return corpus.get(clause_id).article_title


def block(m, corpus) -> MeasureBlock:
    clause = corpus.get(m.clause_id)
    calc = m.calculation
    standard = rule_summary(m.rule) if m.rule is not None else ""
    note = ""
    if m.status is BlockStatus.REVIEW:
        note = next((n.reason for n in corpus.non_computable if n.clause_id == m.clause_id), "")
    elif m.rule is None:
        note = next((n.reason for n in corpus.non_computable if n.clause_id == m.clause_id), "")
    if getattr(m, "refer", ""):
        note = phrases.GOVERNED.format(cond=m.refer_condition, cid=m.refer)
    also: list[str] = []
    if calc is not None and m.rule is not None:
        if calc.clause_id != m.clause_id:
            also.append(calc.clause_id)
        for cap in m.rule.caps:
            if cap.clause_id and calc.capped and f"上限{format_yuan(cap.amount.value)}，按" in calc.formula and cap.clause_id not in also:
                also.append(cap.clause_id)
    if m.rule is not None:
        # the items of the article that change how this award pays (差额补足, 分期拨付, 比例提高) are part of its sources
        also += [c for c in m.rule.modifiers if c != m.clause_id and c not in also and corpus.has(c)]
    return MeasureBlock(
        clause_id=m.clause_id, doc_id=clause.doc_id, name=measure_name(corpus, m.clause_id, m.rule), status=m.status,
        rule_id=m.rule.id if m.rule else None,
        amount_yuan=calc.amount_yuan if calc is not None and m.status in (BlockStatus.COUNTED, BlockStatus.CONDITIONAL, BlockStatus.NOT_ELIGIBLE) else None,
        is_upper_bound=bool(calc and calc.is_upper_bound), if_text=m.if_text, formula=calc.formula if calc else "",
        conditions=m.conditions, departments=clause.departments, standard=standard, note=note, also=tuple(also),
    )


def block_lines(b: MeasureBlock) -> list[str]:
    """``【算力服务券补助】[3.4] 20万元（上限）· 申请主体为中小企业 ✓ 已满足 · 责任单位：市数据局`` + the formula."""
    if b.status is BlockStatus.COUNTED and b.amount_yuan is not None:
        amount = f"{format_yuan(b.amount_yuan)}" + ("（上限）" if b.is_upper_bound else "")
    elif b.status is BlockStatus.CONDITIONAL and b.amount_yuan is not None:
        amount = f"{b.if_text}：{format_yuan(b.amount_yuan)}" + ("（上限）" if b.is_upper_bound else "") + "（未计入合计）"
    elif b.status is BlockStatus.CONDITIONAL:
        amount = f"{b.if_text}可申请；标准：{b.standard}" if b.standard else b.if_text
    elif b.status is BlockStatus.NOT_ELIGIBLE:
        failed = [c.text for c in b.conditions if c.status == "not_met"]
        amount = "不符合条件" + (f"（{failed[0]}）" if failed else "")
    elif b.status is BlockStatus.NEEDS_FACT:
        amount = f"标准：{b.standard}（需补充信息后测算）" if b.standard else "需补充信息后测算"
    elif b.status is BlockStatus.REVIEW:
        amount = "金额需人工核对" + (f"：{b.note}" if b.note else "")
    elif b.standard and b.note:
        amount = f"标准：{b.standard}；{b.note}"
    else:
        amount = f"标准：{b.standard}" if b.standard else (b.note or "")
    parts = [f"【{b.name}】[{b.clause_id}]", amount] if amount else [f"【{b.name}】[{b.clause_id}]"]
    for c in b.conditions:
        parts.append(f"{c.text}（{MARK[c.status]}）")
    if b.departments:
        parts.append(f"责任单位：{'、'.join(b.departments)}")
    lines = [" · ".join(parts)]
    if b.formula and b.status in (BlockStatus.COUNTED, BlockStatus.CONDITIONAL, BlockStatus.NOT_ELIGIBLE):
        lines.append(f"  算式：{b.formula}")
    return lines


def summary_line(blocks: list[MeasureBlock], total: int | None, total_ub: bool, asks: list[str]) -> str:
    counted = [b for b in blocks if b.status is BlockStatus.COUNTED and b.amount_yuan is not None]
    conditional = [b for b in blocks if b.status is BlockStatus.CONDITIONAL and b.amount_yuan]
    failed = [b for b in blocks if b.status is BlockStatus.NOT_ELIGIBLE]
    parts: list[str] = []
    if counted and total is not None:
        if total > 0:
            what = counted[0].name if len(counted) == 1 else f"{len(counted)}项合计"
            parts.append(f"预计可申请约{format_yuan(total)}{'（上限）' if total_ub else ''}（{what}）")
        else:
            parts.append("按您提供的情况，" + "、".join(b.name for b in counted) + "测算金额为0元")
    if failed:
        parts.append("、".join(b.name for b in failed[:2]) + "的条件未满足")
    for b in conditional[:2]:
        parts.append(f"{b.if_text}，可申请约{format_yuan(b.amount_yuan)}{'（上限）' if b.is_upper_bound else ''}（{b.name}）")
    governed = [b for b in blocks if b.status is BlockStatus.INFO and b.standard and b.note.startswith(phrases.GOVERNED[:5])]
    if not parts and governed:
        parts.append(governed[0].note.replace("本项", governed[0].name))
    if not parts and asks:
        return asks[0]
    return "；".join(parts)


def compose(question: str, blocks: list[MeasureBlock], *, lead: list[str], cited: list[str], corpus, calcs, total: int | None,
            total_ub: bool, notes: list[str], asks: list[str], quick_replies: tuple[str, ...], doc_ids: list[str],
            summary: str = "") -> Answer:
    lines: list[str] = []
    by_doc: dict[str, list[MeasureBlock]] = {}
    for b in blocks:
        by_doc.setdefault(b.doc_id, []).append(b)
    multi = len({b.doc_id for b in blocks} | set(doc_ids if len(doc_ids) > 1 else [])) > 1
    summary = summary or summary_line(blocks, total, total_ub, asks)
    if summary:
        lines.append(summary)
    lines.extend(lead)
    for doc_id, bs in by_doc.items():
        if multi:
            doc = next(d for d in corpus.documents if d.id == doc_id)
            lines.append(doc.full_title)
        for b in bs:
            lines.extend(block_lines(b))
    counted = [b for b in blocks if b.status is BlockStatus.COUNTED and b.amount_yuan is not None]
    if len(counted) > 1 and total is not None:
        lines.append(f"合计：{format_yuan(total)}（{total}元）" + ("，为可获得的上限" if total_ub else ""))
    for a in asks:
        if a != summary:
            lines.append(a)
    # each measure's own clause first, then the clauses that bound or change them, then what the answer quotes
    ids = list(dict.fromkeys([b.clause_id for b in blocks] + [c for b in blocks for c in b.also] + cited))
    citations = tuple(citation(corpus, cid) for cid in ids if corpus.has(cid))
    conditions = tuple(c for b in blocks for c in b.conditions)
    return Answer(question, "\n".join(lines), False, citations, tuple(calcs), total, conditions, tuple(dict.fromkeys(notes)),
                  asks=tuple(asks), summary=summary, blocks=tuple(blocks), quick_replies=quick_replies,
                  documents=tuple(dict.fromkeys([b.doc_id for b in blocks] + [c.doc_id for c in citations] + doc_ids)),
                  total_is_upper_bound=total_ub)


def refusal(question: str, pointers: list[str], reason: str = "") -> Answer:
    """The fixed refusal; the nearest measures and why the question was judged out of scope go in the notes."""
    notes = (phrases.REFUSAL_NEAREST + "；".join(pointers) + "（仅供参考）",) if pointers else ()
    if reason:
        notes += (phrases.REFUSAL_REASON.format(reason=reason),)
    return Answer(question, phrases.REFUSAL, True, notes=notes, summary=phrases.REFUSAL, scope="refuse")


def maybe(question: str, clause_ids: list[str], corpus, notes: list[str]) -> Answer:
    lines = [phrases.MAYBE_LEAD]
    for cid in clause_ids:
        c = corpus.get(cid)
        doc = corpus.document_of(c)
        lines.append(f"【{measure_name(corpus, cid)}】[{cid}] {doc.full_title}" + (f" · 责任单位：{'、'.join(c.departments)}" if c.departments else ""))
    citations = tuple(citation(corpus, cid) for cid in clause_ids)
    return Answer(question, "\n".join(lines), False, citations, notes=tuple(notes), summary=phrases.MAYBE_LEAD, scope="maybe",
                  documents=tuple(dict.fromkeys(c.doc_id for c in citations)))
