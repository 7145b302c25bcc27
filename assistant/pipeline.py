"""The answer path: understand → retrieve → scope → route → compose. Deterministic.

``ask(question, engine, conversation)`` returns a typed ``Answer``: every clause it cites exists
and was retrieved or looked up in the chosen document; every amount comes from ``calculator``
over rules read from clause text; a question the documents in force do not cover is refused
with the fixed ``phrases.REFUSAL``; middling evidence gets "可能相关的条款" without amounts.

``Engine`` holds the corpus, the retriever (``Retriever`` protocol) and the lexicon; the
conversation holds what carries over between turns: the user's facts, the topic, and a pending
clarifying question that a short reply (是 / 不是 / 国家级) answers. Polishing by an LLM and the
claims verifier sit at the edge (service, CLI), not here.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import unicodedata
import uuid
from dataclasses import dataclass, field, replace
from typing import Protocol

from assistant import phrases
from assistant.calculator import total_yuan
from assistant.compose import block, compose, maybe, measure_name, refusal
from assistant.errors import EmptyQueryError
from assistant.route import Facts, choose_documents, is_size_class, route, sibling_said
from assistant.scope import decide
from assistant.types import Answer, BlockStatus, Hit
from assistant.understand import Understanding, understand

MAX_QUESTION_CHARS = 2000


class Retriever(Protocol):
    corpus: object
    embedder: object

    def search_ex(self, query: str, k: int = 5) -> tuple[list[Hit], bool]: ...


@dataclass
class Engine:
    corpus: object  # Corpus
    retriever: Retriever
    lexicon: object = None  # Lexicon; derived from the corpus if not given
    degraded: bool = False

    def __post_init__(self) -> None:
        if self.lexicon is None:
            self.lexicon = getattr(self.retriever, "lexicon", None)
        if self.lexicon is None:
            from assistant.lexicon import build_lexicon

            self.lexicon = build_lexicon(self.corpus)


@dataclass(frozen=True)
class Pending:
    """A clarifying question the product asked and the user may answer with one word."""

    kind: str  # "yes_no" | "choice" | "amount"
    question: str  # the user's question that raised it (answered again once the fact is known)
    subject: str = ""  # for yes_no: the recipient asked about
    options: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()


@dataclass
class Conversation:
    """What carries over between turns. ``to_state``/``from_state`` serialise every field generically."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    facts: Facts = field(default_factory=Facts)
    topic: tuple[str, ...] = ()  # clause ids of the last answer's measures
    topic_rules: tuple[str, ...] = ()  # rule ids the last answer identified (which award of a clause)
    docs: tuple[str, ...] = ()  # documents of the last answer
    pending: Pending | None = None
    last_question: str = ""
    turns: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def reset(self) -> None:
        self.facts, self.topic, self.docs, self.pending, self.last_question, self.turns = Facts(), (), (), None, "", 0
        self.topic_rules = ()

    def to_state(self) -> dict:
        """JSON-ready state of every field (``storage.state_of``: a field added later needs no storage change)."""
        from assistant.storage import state_of

        return state_of(self)

    @classmethod
    def from_state(cls, state: dict) -> "Conversation":
        """Rebuilt from ``to_state`` output; fields it lacks take their defaults, unknown ones are ignored."""
        from assistant.storage import from_state

        return from_state(cls, state)


# ---------------------------------------------------------------- entry point


def ask(question: str, engine: Engine, conversation: Conversation | None = None, doc: str | None = None) -> Answer:
    """Answer one question (one turn of ``conversation`` if given).

    ``doc`` (a document id or clause-id prefix) limits the answer to that document: the others are
    treated as if they were not in force. An unknown ``doc`` raises ``UnknownDocumentError``.
    """
    original = clean_question(question)
    q = strip_markup(original) or original
    only = engine.corpus.document(doc).id if doc else None
    conv = conversation or Conversation()
    with conv.lock:
        answer = _turn(q, engine, conv, only)
    return replace(answer, question=original, conversation_id=conv.id)


def _turn(q: str, engine: Engine, conv: Conversation, only: str | None = None) -> Answer:
    lexicon = engine.lexicon
    u = understand(q, lexicon)
    active = {d.id for d in engine.corpus.documents if engine.corpus.is_active(d.id) and only in (None, d.id)}

    # a one-word reply to our own question: record the fact and answer the pending question again
    if conv.pending is not None:
        resolved = _resolve_pending(u, conv)
        if resolved is not None:
            facts, pending_q = resolved
            conv.pending = None
            u2 = understand(pending_q, lexicon)
            return _answer(pending_q, replace(u2, follow_up=True), facts, engine, conv, active, carried=True)
        if conv.pending.kind == "choice" and u.reply == "yes":
            # "是的" to "请问类别是A还是B？" picks neither: the same question again, its options to tap
            pending_q = conv.pending.question
            u2 = understand(pending_q, lexicon)
            again = _answer(pending_q, replace(u2, follow_up=True), conv.facts, engine, conv, active, carried=True)
            return replace(again, answer=f"{phrases.PICK_ONE}\n{again.answer}")
        if u.subjects and not _own_topic(u, active):
            # "我们是中小企业，去年花了60万元" answers the question and adds facts: a follow-up
            u = replace(u, follow_up=True)
    conv.pending = None

    if conv.turns and not u.follow_up and _statement(u):
        u = replace(u, follow_up=True)  # facts told after a question belong to it
    told_before = bool(conv.turns) and conv.last_question and not _ASKING.search(conv.last_question)
    # the turn before only told facts ("我们租了300平方米…，没有其他减免。"): this question is about them
    follow = bool(conv.turns) and (u.follow_up or told_before or (len(q) <= 20 and not _own_topic(u, active))
                                   or any(sibling_said(q, c, engine.corpus) for c in conv.topic))  # "4A级" after the 3A级 item
    if follow and not u.follow_up:
        u = replace(u, follow_up=True)  # "能补多少？" after a question: about what was asked before
    own = Facts(u.stated, u.subjects, _level(u), (q,))
    if follow:
        facts = own.merged_over(conv.facts)
    else:
        # who the user is carries over; the numbers and topic of an earlier question do not
        facts = Facts(own.stated, tuple({**dict(conv.facts.subjects), **dict(own.subjects)}.items()), own.level, own.said)
    return _answer(q, u, facts, engine, conv, active, carried=follow)


def _answer(q: str, u: Understanding, facts: Facts, engine: Engine, conv: Conversation, active: set[str], carried: bool) -> Answer:
    corpus = engine.corpus
    query = f"{conv.last_question} {q}" if carried and conv.last_question and len(q) <= 30 else q
    # limited to some documents: look deeper so that enough of their clauses remain
    hits, degraded = engine.retriever.search_ex(query, 20 if len(active) >= len(corpus.documents) else 60)
    hits = [h for h in hits if h.clause.doc_id in active][:12]
    decision = decide(u, hits, engine.lexicon, corpus, active, has_topic=carried and bool(conv.topic))
    if decision.decision == "refuse":
        answer = refusal(q, _pointers(u, hits, corpus, active), decision.reason)
    elif decision.decision == "maybe":
        ids = [h.clause.id for h in hits if not h.clause.is_final_provision][:3]
        answer = maybe(q, ids, corpus, _doc_notes(corpus, {corpus.get(c).doc_id for c in ids}))
    else:
        doc_ids = choose_documents(u, hits, corpus, engine.lexicon, active, conv.docs if carried else ())
        if not doc_ids:
            answer = refusal(q, [])
        else:
            answer = _answer_in_documents(q, u, facts, hits, engine, conv, doc_ids, carried)
    if degraded or engine.degraded:
        answer = replace(answer, notes=answer.notes + (phrases.DEGRADED_NOTE,), degraded=True)
    # remember
    conv.turns += 1
    conv.facts = facts
    conv.last_question = q
    if not answer.refused and answer.scope == "answer":
        if not answer.blocks:
            conv.topic = tuple(c.clause_id for c in answer.citations[:1])
            conv.topic_rules = ()
        conv.docs = answer.documents[:2]
    else:
        conv.topic, conv.topic_rules = (), ()
    return replace(answer, scope=answer.scope if not answer.refused else "refuse")


def _answer_in_documents(q, u, facts, hits, engine, conv, doc_ids, carried) -> Answer:
    corpus = engine.corpus
    lead: list[str] = []
    cited: list[str] = []
    notes: list[str] = []
    meta = any(u.has(i) for i in ("dates", "department", "procedure", "penalty", "payment", "conflicts"))
    # "第十条第三项讲的是什么": a clause looked up by its number is shown, not computed
    looked_up = u.has("lookup") and bool(u.clause_refs) and not u.stated and not u.has("amount")
    meta = meta or looked_up
    wants_amount = (u.has("amount") or u.has("eligibility") or bool(u.amounts) or not meta) and not looked_up
    if u.injection:
        notes.append(phrases.INJECTION_NOTE)

    summary = ""
    dept_clauses = _department_question(u, corpus, doc_ids)
    if dept_clauses is not None:
        dept, ids = dept_clauses
        summary = phrases.DEPT_LIST.format(dept=dept, n=len(ids))
        by_doc: dict[str, list[str]] = {}
        for cid in ids:
            by_doc.setdefault(corpus.get(cid).doc_id, []).append(cid)
        for d, cids in by_doc.items():
            if len(by_doc) > 1:
                lead.append(corpus.document_of(corpus.get(cids[0])).full_title)
            lead.extend(f"[{c}] {corpus.get(c).article_title}：{_snippet(corpus.get(c).text)}" for c in cids)
        return compose(q, [], lead=lead, cited=ids, corpus=corpus, calcs=[], total=None, total_ub=False,
                       notes=notes + _doc_notes(corpus, set(by_doc)), asks=[], quick_replies=(), doc_ids=list(by_doc), summary=summary)
    if u.has("dates") and not _about_document_dates(u, q):
        # "生活补贴最长能领多久", "被降级了多久以后才能再申报": a measure's own period, in its clause's words
        found = [h.clause.id for h in hits[:3] if h.clause.doc_id in doc_ids and _PERIOD_TEXT.search(h.clause.text)
                 and not h.clause.is_final_provision][:1]
        lead.extend(f"{corpus.get(c).text} [{c}]" for c in found)
        cited += found
    elif u.has("dates"):
        if not carried and len(doc_ids) == 1 and not any(m.term.kind in ("region", "title") for m in u.terms) \
                and not engine.lexicon.documents_by_title_words(q) and re.search(r"(这个|本|该)?(政策|文件|办法|措施)", q):
            # "这个政策什么时候施行" with several policies in force and none named: each one's dates
            doc_ids = _active_by_hits(corpus, hits)[:3]
        # "以前的《…奖励办法》现在还有效吗": the clause that names that other document (废止, 同时执行) answers it
        for title in re.findall(r"《([^》]{4,60})》", q):
            if any(title in d.title or d.title in title for d in corpus.documents if d.id in doc_ids):
                continue
            naming = [c.id for c in corpus.clauses if c.doc_id in doc_ids and title in c.text][:1]
            lead.extend(f"{corpus.get(c).text} [{c}]" for c in naming)
            cited += naming
        for d in doc_ids[:3]:
            doc = corpus.document_of(next(c for c in corpus.clauses if c.doc_id == d))
            line, ids = _dates_line(doc, corpus)
            lead.append(line)
            cited += ids
            when = _asked_vs_term(q, doc)  # "到2029年还能申报吗": say which side of the term it falls
            if when:
                lead.append((phrases.AFTER_EXPIRY if when == "after" else phrases.WITHIN_TERM).format(
                    title=doc.full_title, start=doc.effective_from, until=doc.effective_until))
    # "奖补资金怎么申报" with several policies in force, none named and no measure's term used: each one's own rules
    active = {d.id for d in corpus.documents if corpus.is_active(d.id)}
    term_docs: dict[str, set[str]] = {}
    for m in u.terms:
        term_docs.setdefault(m.term.text, set()).add(m.term.doc_id)
    # every word it uses is every document's ("奖补资金怎么申报"); a word only one document has
    # ("岚川文旅奖补资金", "兑现") leads to that document
    about_any = not carried and not u.clause_refs and not any(m.term.kind in ("region", "title") for m in u.terms) \
        and all(active <= ds for ds in term_docs.values())
    for intent, what in (("procedure", "申报程序"), ("payment", "资金拨付方式和时间"), ("penalty", "违规处理办法")):
        if u.has(intent):
            docs = (_active_by_hits(corpus, hits) if about_any else doc_ids)[:3 if about_any else 2]
            strict = about_any and len(docs) > 1
            found_in = {d: _clauses_about(intent, d, hits, corpus, q, strict=strict) for d in docs}
            if strict:
                # none named: the document whose own clause says more of what was asked comes first
                # ("奖补资金怎么申报？每年截止到什么时候" → the one with 奖补资金…每年3月31日前), then the best hit
                docs.sort(key=lambda d: -_coverage(q, [corpus.get(c).text for c in found_in[d][:1]]))
            for d in docs:
                found = found_in[d]
                if found:
                    title = f"{corpus.document_of(corpus.get(found[0])).full_title}：" if about_any and len(docs) > 1 else ""
                    lead.extend(f"{title if i == 0 else ''}{corpus.get(c).text} [{c}]" for i, c in enumerate(found[:2]))
                    cited += found[:2]
                else:
                    doc = corpus.document_of(next(c for c in corpus.clauses if c.doc_id == d))
                    depts = "、".join(doc.departments[:3]) if hasattr(doc, "departments") else ""
                    lead.append(phrases.PROCEDURE_NONE.format(title=doc.full_title, what=what, depts=f"（{depts}）" if depts else ""))
    interprets = False
    if u.has("department") and _INTERPRETS.search(q):
        # "这个政策由哪个部门负责解释": the document's own interpretation clause, not a measure's department
        for d in doc_ids[:2]:
            found = [c.id for c in corpus.clauses if c.doc_id == d and _INTERPRETS.search(c.text)]
            lead.extend(f"{corpus.get(c).text} [{c}]" for c in found[:1])
            cited += found[:1]
            interprets = interprets or bool(found)
    if u.has("conflicts"):
        for d in doc_ids[:2]:
            found = _clauses_about("conflicts", d, hits, corpus, q)
            lead.extend(f"{corpus.get(c).text} [{c}]" for c in found[:1])
            cited += found[:1]
            if found and len(doc_ids) == 1 and not carried and not any(x.kind == "money" for x in facts.stated):
                # "两边能一起拿吗": the rule on having both is the answer; no measure's amount is asked for (with
                # several documents in play the measures stay: they show which document the question is about)
                wants_amount = False

    r = route(u, facts if wants_amount else Facts((), facts.subjects, facts.level), hits, engine, doc_ids,
              conv.topic if carried else (), conv.topic_rules if carried else ())
    measures = r.measures
    if meta and not wants_amount:
        # a question about dates / procedure / departments: name the measure, compute nothing
        measures = [dataclasses.replace(m, calculation=None, status=BlockStatus.INFO, ask="", options=())
                    if m.status in (BlockStatus.COUNTED, BlockStatus.CONDITIONAL) else m for m in measures]
        if lead:
            # "申报材料交给哪个单位": the procedure clause found names where; a measure the question does not name
            # would only add its own department ("模型券归哪个单位管？想咨询下申报流程" names its measure: kept)
            keep = u.has("department") and not interprets and (not u.has("procedure") or any(m.named for m in measures[:1]))
            measures = measures[:1] if keep else []
    if u.has("department") and measures:
        firsts: list = []
        for m in measures:  # one line per clause
            if all(f.clause_id != m.clause_id for f in firsts):
                firsts.append(m)
        firsts = firsts[:2]
        for m in firsts:  # an article's department note covers all its items: cite its first item too
            art = corpus.article_of(corpus.get(m.clause_id))
            head = art.clause_ids[0] if art.clause_ids else m.clause_id
            if head != m.clause_id and corpus.get(head).departments == corpus.get(m.clause_id).departments and head not in cited:
                cited.append(head)
        summary = "；".join(f"{measure_name(corpus, m.clause_id, m.rule)}的责任单位：{'、'.join(corpus.get(m.clause_id).departments) or phrases.NOT_STATED}"
                            for m in firsts)
    blocks = [block(m, corpus) for m in measures]
    calcs = [m.calculation for m in measures if m.calculation is not None and m.status in (BlockStatus.COUNTED, BlockStatus.NOT_ELIGIBLE)]
    counted = [m for m in measures if m.status is BlockStatus.COUNTED and m.calculation is not None]
    failed = [m for m in measures if m.status is BlockStatus.NOT_ELIGIBLE and m.calculation is not None]
    total = total_yuan([m.calculation for m in counted + failed]) if counted or failed else None
    total_ub = any(m.calculation.is_upper_bound for m in counted)
    # one clarifying question at a time: a size class (中小企业) first, then the measure the question names
    asking = sorted([m for m in measures if m.ask], key=lambda m: (not (m.ask_subject and is_size_class(m.ask_subject)), not m.named))
    asks = [asking[0].ask] if asking else []
    quick = asking[0].options if asking else ()
    pending = asking[0] if asking else None
    # the topic a follow-up ("这个…", "那…呢") refers to: the measures this question identified
    conv.topic = tuple(dict.fromkeys(m.clause_id for m in measures if m.named)) or tuple(m.clause_id for m in measures[:1])
    conv.topic_rules = tuple(m.rule.id for m in measures if m.named and m.rule is not None)
    if pending is not None:
        conv.pending = Pending("yes_no" if pending.ask_subject else ("choice" if pending.options else "amount"), q,
                               pending.ask_subject, pending.options, tuple(doc_ids))
    used_docs = list(dict.fromkeys([m.doc_id for m in measures] + [corpus.get(c).doc_id for c in cited] or doc_ids))
    for m in measures:
        if m.rule is not None and (m.calculation is not None or m.status is not BlockStatus.INFO):
            notes.extend(n for n in m.rule.notes if n not in notes)
    if total_ub or any(b.is_upper_bound for b in blocks):
        notes.append(phrases.UPPER_BOUND_NOTE)
    overlap = _overlap_clause(corpus, used_docs) if len(counted) > 1 else None
    if overlap:
        notes.append(phrases.OVERLAP_NOTE_AT.format(cid=overlap))
        cited.append(overlap)
    notes += _doc_notes(corpus, set(used_docs))
    if calcs or u.has("amount"):
        notes.append(phrases.FINAL_NOTE)
    answer = compose(q, blocks, lead=lead, cited=cited, corpus=corpus, calcs=calcs, total=total, total_ub=total_ub, notes=notes,
                     asks=asks, quick_replies=quick, doc_ids=used_docs, summary=summary if summary else "")
    # the self-check: no line states a quantity or a clause id its sources do not carry
    return verify(answer, corpus, retrieved={h.clause.id for h in hits} | {c.clause_id for c in answer.citations})


# ---------------------------------------------------------------- helpers


_YES_WORDS = ("是", "否", "不确定")


def _resolve_pending(u: Understanding, conv: Conversation) -> tuple[Facts, str] | None:
    p = conv.pending
    assert p is not None
    if p.kind == "yes_no" and u.reply in ("yes", "no"):
        return conv.facts.with_subject(p.subject, u.reply == "yes"), p.question
    if p.kind == "yes_no" and u.reply == "unsure":
        return conv.facts, p.question + "（不确定是否属于" + p.subject + "）"
    if p.kind == "yes_no" and u.subjects and len(u.question) <= 12:
        facts = conv.facts
        for name, v in u.subjects:
            facts = facts.with_subject(name, v)
        return facts, p.question
    if p.kind == "choice":
        said = [o for o in p.options if o in u.question or (len(u.question) <= 6 and u.question.rstrip("的。！") in o)]
        # "不是国家级，是省级的": an option the reply denies is not picked
        denied = [o for o in said if re.search(r"(不是|并非|非|不属于|没有|不算)$", u.question[:max(u.question.find(o), 0)])]
        picked = next((o for o in said if o not in denied), None)
        if denied:
            other = [m.group(1) for m in _LEVEL_WORDS.finditer(u.question) if m.group(1) not in denied]
            picked = other[0] if other else (picked or "不是")  # "不是国家级，是省级的" → 省级
        if picked is None and u.reply == "yes" and p.options and set(p.options[1:]) <= {"不是", "否", "不确定"}:
            picked = p.options[0]  # "请问获批的是否为国家级？" — 是的 (a 是 to "A、B还是C？" picks nothing: asked again)
        if picked in ("不是",) or (picked is None and u.reply == "no"):
            picked = "否"
        if picked and picked != "不确定":
            if u.stated:  # "3个产品拿了绿色食品认证，1个拿了有机产品认证": the counts come with the choice
                return Facts(u.stated, u.subjects, picked, (u.question,)).merged_over(conv.facts), p.question
            return Facts(conv.facts.stated, conv.facts.subjects, picked, conv.facts.said), p.question
    if p.kind == "amount" and u.stated and len(u.question) <= 30:
        own = Facts(u.stated, u.subjects, None, (u.question,))  # its words too ("…，是品牌旗舰店")
        return own.merged_over(conv.facts), p.question
    return None


_LEVEL_WORDS = re.compile(r"(国际级|国家级|省级|市级|区级|县级)")


def _level(u: Understanding) -> str | None:
    """The tier or level the user names (kept for later turns: "市里已经给了我们50万元" still means 国家级)."""
    tiers = [m.term.text for m in u.terms if m.term.kind == "tier"]
    if tiers:
        return max(tiers, key=len)
    m = _LEVEL_WORDS.search(u.question)
    return m.group(1) if m else None


_ASKING = re.compile(r"[？?吗呢么]|多少|几|怎么|如何|哪|什么|能否|可否|是否|有没有|能不能|可不可以|请问|算一下|帮我")


def _statement(u: Understanding) -> bool:
    """A turn that only tells facts ("我们前年已经拿过…5万元奖励。"): it adds to the last question."""
    if _ASKING.search(u.question) or u.clause_refs:
        return False
    # "是新评的国家4A级，之前没拿过任何A级奖励", "不是，当天就回去了": a reply to what was just said
    return bool(u.stated or u.subjects) or bool(_REPLY_LEAD.match(u.question))


_REPLY_LEAD = re.compile(r"^(?:是的?|不是|对|不对|没有|没|有的|属于|不属于|嗯)(?![否不])")


def _own_topic(u: Understanding, active: set[str]) -> bool:
    """The question names something of its own (a measure, base, object), not only who the user is."""
    return any(m.term.kind not in ("region", "department", "subject") and m.term.doc_id in active
               and not (m.term.kind == "distinctive" and len(m.term.text) < 3) for m in u.terms) or bool(u.clause_refs)


def _pointers(u, hits, corpus, active) -> list[str]:
    """For a refusal that used the documents' own words: the nearest measures, as a pointer."""
    if not any(m.term.kind in ("measure", "variant", "base") for m in u.terms):
        return []
    out = []
    for h in hits[:2]:
        if not h.clause.is_final_provision and corpus.rules_for(h.clause.id):
            doc = corpus.document_of(h.clause)
            out.append(f"{measure_name(corpus, h.clause.id)} [{h.clause.id}]（{doc.full_title}）")
    return out[:2]


def _doc_notes(corpus, doc_ids: set[str]) -> list[str]:
    notes = []
    for d in corpus.documents:
        if d.id not in doc_ids:
            continue
        note = d.dates_note() if hasattr(d, "dates_note") else None
        if note is None and not hasattr(d, "dates_note") and not d.dates_fixed:
            note = phrases.DRAFT_NOTE.format(status=d.status_text or d.status.label, start=d.effective_from or "未写明",
                                             end=d.effective_until or "未写明")
        if note:
            notes.append(note if len(doc_ids) == 1 else f"{d.full_title}：{note}")
    return notes


_DATE_WORDS = re.compile(r"(施行|生效|有效期|试行|起实施|之日起)")


_IN_FORCE_TEXT = re.compile(r"(起施行|起实施|起执行|施行日期|自发布之日|自印发之日|有效期(至|为|截至|截止|[一二三四五六七八九十\d]+年)|"
                            r"有效期[^，。；]{0,6}(年|日))")


def _dates_line(doc, corpus) -> tuple[str, list[str]]:
    """The document's own words on when it takes effect and until when: the clauses that say so, final
    provisions first ("本措施自2026年4月1日起施行，有效期三年"), not an award mentioning a certificate's 有效期."""
    scored = []
    for i, c in enumerate(doc.clauses):
        if not _DATE_WORDS.search(c.text):
            continue
        score = (3 if _IN_FORCE_TEXT.search(c.text) else 0) + (2 if c.is_final_provision else 0) \
            + (1 if re.search(r"\d{4}年|[X×]月", c.text) else 0) - (2 if re.search(r"(给予|奖励|补助|补贴)", c.text) else 0)
        if score >= 3:
            scored.append((-score, i, c.id))
    ids = [cid for _, _, cid in sorted(scored)][:2]
    if ids:
        text = "；".join(f"{corpus.get(c).text} [{c}]" for c in ids[:2])
        return f"{doc.full_title}：{text}", ids[:2]
    return phrases.DATES_UNKNOWN.format(title=doc.full_title), []


_PERIOD_TEXT = re.compile(r"[\d一二三四五六七八九十两]+\s*(?:个月|年|个工作日|日|天|周)")
_DOCUMENT_WORDS = re.compile(r"(政策|措施|文件|办法|意见|通知|细则|方案|规定)")
_DOCUMENT_DATES = re.compile(r"(施行|生效|有效期|过期|到期|截止日期|开始执行|什么时候开始|废止|失效|印发|发布|出台)")


def _about_document_dates(u: Understanding, q: str) -> bool:
    """Is a dates question about the document (its 施行, 有效期, 印发) rather than a measure's own period?"""
    if _DOCUMENT_WORDS.search(q) or _DOCUMENT_DATES.search(q):
        return True
    return not any(m.term.kind in ("measure", "base", "subject", "tier", "condition", "variant", "distinctive") for m in u.terms)


_ASKED_TIME = re.compile(r"(\d{4})\s*年(?:\s*(\d{1,2})\s*月)?")


def _asked_vs_term(question: str, doc) -> str:
    """Where the time a question asks about ("到2029年还能申报吗", "2028年6月") lies against the document's
    fixed dates: "after" its end, "within" its term, or "" (no fixed dates, or it straddles one)."""
    import calendar
    import datetime as dt

    from assistant.dates import parse_date

    until = parse_date(doc.effective_until or "") if not doc.until_computed else None
    start_of_term = parse_date(doc.effective_from or "")
    m = _ASKED_TIME.search(question)
    if until is None or not m:
        return ""
    year = int(m.group(1))
    try:
        first = dt.date(year, int(m.group(2) or 1), 1)
        last = dt.date(year, 12, 31) if not m.group(2) else first.replace(day=calendar.monthrange(year, first.month)[1])
    except ValueError:
        return ""
    if first > until:
        return "after"
    if start_of_term is not None and start_of_term <= first and last <= until:
        return "within"
    return ""


def _active_by_hits(corpus, hits) -> list[str]:
    """Every document in force, the one with the best-ranked hit first."""
    first_hit: dict[str, int] = {}
    for i, h in enumerate(hits):
        first_hit.setdefault(h.clause.doc_id, i)
    return sorted((d.id for d in corpus.documents if corpus.is_active(d.id)), key=lambda d: first_hit.get(d, 99))


_INTERPRETS = re.compile(r"负责解释|解释权|(?<!政策)解释工作")

_INTENT_TEXT = {
    "procedure": re.compile(r"(申报|申请|受理|程序|流程|材料|提交|审核|公示|窗口|系统)"),
    "payment": re.compile(r"(拨付|兑现|发放|支付|到账|资金下达|分期|分年)"),
    "penalty": re.compile(r"(骗取|虚报|追回|失信|取消.{0,6}资格|追究|违规|弄虚作假|套取)"),
    "conflicts": re.compile(r"(就高不重复|不重复享受|不得重复|重复支持|叠加享受|从高)"),
}


_PROCEDURE_TEXT = re.compile(r"(申报程序|申请程序|申报流程|提交.{0,10}材料|受理|申报时间|集中申报|申报指南|认定办法|实施细则)")


def _clauses_about(intent: str, doc_id: str, hits, corpus, question: str = "", strict: bool = False) -> list[str]:
    """Clauses of the document that speak to a procedural intent (申报, 拨付, 违规, 就高不重复): those with more of
    the intent's words and more of the question's own words first, an award clause that merely mentions 申报 last.
    ``strict`` (a question asked of every document in force): only clauses about the procedure itself, so a
    document without one says so instead of showing an award that mentions 申报."""
    pat = _INTENT_TEXT[intent]
    rank = {h.clause.id: i for i, h in enumerate(hits)}
    q = re.sub(r"[，。？！、\s]", "", question)
    scored = []
    for c in corpus.clauses:
        if c.doc_id != doc_id:
            continue
        found = set(m.group() for m in pat.finditer(c.text))
        if strict and intent == "procedure":
            found |= set(m.group() for m in _PROCEDURE_TEXT.finditer(c.text))
            if not _PROCEDURE_TEXT.search(c.text) and not any(w in question for w in found - {"申报", "申请"}):
                continue  # "审核结果在哪里公示": a clause about 公示 answers it
        if not found:
            continue
        if intent == "procedure" and not (c.is_final_provision or _PROCEDURE_TEXT.search(c.text)):
            if c.id not in rank:
                continue
        shared = max((len(m) for m in _common_runs(q, c.text)), default=0) if q else 0
        award = 1 if re.search(r"给予[^，。；]{0,8}(万元|元|%)|给予[^，。；]{0,16}最高[\d.]+万?元", c.text) else 0
        if strict and award:
            continue
        score = 2 * len(found) + min(shared, 8) - 3 * award + (2 if c.id in rank and rank[c.id] < 5 else 0)
        scored.append((-score, rank.get(c.id, 99), c.id))
    return [cid for _, _, cid in sorted(scored)][:2]


def _coverage(question: str, texts: list[str]) -> int:
    """How many characters of the question (punctuation and question words aside) the texts share in runs of 2+."""
    q = re.sub(r"[，。？！、\s]|什么|怎么|多少|哪些|哪个|是否|能否", "", question)
    return max((sum(len(r) for r in _common_runs(q, t)) for t in texts), default=0)


def _common_runs(a: str, b: str) -> list[str]:
    """Stretches of at least 2 characters of ``a`` found in ``b`` (greedy, left to right)."""
    out, i = [], 0
    while i < len(a) - 1:
        j = i + 2
        if a[i:j] not in b:
            i += 1
            continue
        while j < len(a) and a[i:j + 1] in b:
            j += 1
        out.append(a[i:j])
        i = j
    return out


def _overlap_clause(corpus, doc_ids: list[str]) -> str | None:
    for c in corpus.clauses:
        if c.doc_id in doc_ids and _INTENT_TEXT["conflicts"].search(c.text):
            return c.id
    return None


_DEPT_IN_Q = re.compile(r"([\u4e00-\u9fa5]{1,10}?(?:局|办|委员会|委|中心|集团|人民政府|管委会|办公室|厅|院))")


def match_departments(text: str, departments) -> list[str]:
    """Departments named in ``text``, also by short name (数据局 → 市数据局, 人才局 → 市人才工作局)."""
    found: list[str] = []
    for d in departments:
        if d in text:
            found.append(d)
    if found:
        return found
    for m in _DEPT_IN_Q.finditer(text):
        short = re.sub(r"^(请问|那|那么|咨询|关于|是|由)", "", m.group(1))
        if len(short) < 2:
            continue
        for d in departments:
            if _subsequence(short, d) and d not in found and short[-1] == d[-1]:
                found.append(d)
    return found


def _subsequence(short: str, full: str) -> bool:
    it = iter(full)
    return all(ch in it for ch in short)


def _department_question(u: Understanding, corpus, doc_ids: list[str]):
    """"市数据局负责哪些措施" → (department, every clause of it, grouped by document)."""
    if not u.has("department"):
        return None
    depts = match_departments(u.question, [d for d in corpus.departments])
    if not depts:
        return None
    named_measure = any(m.term.kind in ("measure", "variant", "base", "tier") for m in u.terms)
    if named_measure and not re.search(r"(负责哪些|管哪些|负责什么|哪些措施|哪些政策|负责的)", u.question):
        return None
    ids = [c.id for c in corpus.clauses if any(d in c.departments for d in depts) and corpus.is_active(c.doc_id)]
    return "、".join(depts), ids


def verify(answer: Answer, corpus, retrieved: set[str]) -> Answer:
    """Drop answer lines that ``assistant.verify`` finds unfaithful to the answer's citations and
    calculations (unknown or unretrieved clause ids, quantities without a source in the same role),
    and notes whose quantities appear nowhere in the corpus."""
    from assistant import verify as checks

    known = {c.id for c in corpus.clauses}
    cited = {c.clause_id for c in answer.citations}
    sources = checks.sources_for(answer, known=known, retrieved=cited & set(retrieved))
    # notes quote their own documents (dates, readings): those documents' clauses are their sources
    docs = set(answer.documents) | {c.doc_id for c in answer.citations}
    note_sources = checks.sources_for(answer, known=known, clauses={c.id: c.text for c in corpus.clauses if c.doc_id in docs})
    out = checks.drop_unverified_lines(answer, sources, note_sources)
    if answer.answer.strip() and not out.answer.strip():
        # every line had a finding: name the clauses that apply, with no figure, rather than answer nothing
        lines = [phrases.UNVERIFIED_LINE.format(name=b.name, cid=b.clause_id,
                                                depts=f" · 责任单位：{'、'.join(b.departments)}" if b.departments else "")
                 for b in answer.blocks]
        lines = lines or [f"[{c.clause_id}] {c.article}：{phrases.SEE_SOURCE}" for c in answer.citations[:3]]
        out = replace(out, answer="\n".join(dict.fromkeys(lines)))
    return out


def _snippet(text: str, n: int = 36) -> str:
    return text if len(text) <= n else text[:n] + "…"


def clean_question(question: str) -> str:
    if question is None:
        raise EmptyQueryError()
    q = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in str(question))
    q = re.sub(r"\s+", " ", q).strip()
    if not q:
        raise EmptyQueryError()
    return q[:MAX_QUESTION_CHARS]


_MARKUP = re.compile(r"<[^>]{0,200}>|\]\((?:javascript|https?|data|vbscript):[^)]*\)|(?:javascript|vbscript|data):\S*|https?://\S+", re.I)


def strip_markup(q: str) -> str:
    """The question without HTML tags, link targets and URLs: they carry no policy meaning."""
    return re.sub(r"\s+", " ", _MARKUP.sub(" ", q).replace("[", " ").replace("]", " ")).strip()


def open_engine(settings, *, quiet: bool = True) -> Engine:
    """The engine for ``settings`` (index opened or built), without the web service around it."""
    from assistant.bootstrap import open_retriever

    retriever, _ = open_retriever(settings, quiet=quiet)
    return Engine(retriever.corpus, retriever)
