"""The answer path: understand → retrieve → calculate → compose → verify. Deterministic by default.

``ask(question, engine, conversation)`` returns a typed ``Answer``. Every clause it cites
was retrieved and exists; every number in the answer text appears in a cited clause or
in a calculation (``verify`` drops any line that breaks this); a question the policy
does not cover gets ``refused=True`` with the fixed ``phrases.REFUSAL`` sentence and no
amounts. User text can never change a rate or a cap: amounts come only from
``calculator`` over rules parsed from clause text.

``Engine`` only holds the pieces (corpus, retriever, optional LLM); the steps are plain
functions so each can be tested alone.
"""

from __future__ import annotations

import re
import threading
from dataclasses import replace
import unicodedata
import uuid
from dataclasses import dataclass, field

from assistant import phrases
from assistant.amounts import format_yuan
from assistant.calculator import Claim, calculate_claims, total_yuan
from assistant.corpus import Corpus
from assistant.errors import EmptyQueryError
from assistant.text import tokenize
from assistant.types import Answer, Calculation, Citation, Condition, FINAL_SECTION, Hit, Rule, RuleKind
from assistant.understand import SUBJECT_WORDS, Facts, Understanding, understand

MAX_QUESTION_CHARS = 2000
CLOSE_SCORE = 0.75  # a second hit this close to the best one (see ``closeness``) is shown too
MAX_CITATIONS = 5
ASK_SUBJECTS = {"中小企业"}  # size class is never implied by the question's other facts
GENERIC_WORDS = set("""补贴 补助 奖励 支持 资金 政策 企业 公司 申请 武汉 武汉市 多少 怎么 如何 可以 能 有 钱 元 万元 万
请问 一下 条件 标准 规定 措施 相关 哪些 什么 享受 获得 领取 给予 优惠 扶持 项目 我们 我 想 要 需要 办理 问 问题 今年 明年 去年 年度 每年
能否 是否 补 奖 拿 花 花了 费用 多 少 元钱 块 块钱 情况 方面 一些 那些 这些 的话 有关 关于 对于 部门 单位 时间 具体 全部 所有
我司 本司 贵司 属于 一共 总共 合计 加起来 能补 能拿 可以拿 大概 左右 大约 差不多 听说 是不是 对不对 告诉 帮我 麻烦""".split())
_NUMERIC = re.compile(r"^[\d.,%％零〇一二两三四五六七八九十百千万亿元块]+$")


@dataclass
class Conversation:
    """What carries over between turns: facts, topic clauses, the last question."""

    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    facts: Facts = field(default_factory=Facts)
    topic: tuple[str, ...] = ()
    last_question: str = ""
    turns: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def to_state(self) -> dict:
        """Every field as JSON-ready data, found generically (``storage.state_of``); the lock is not state."""
        from assistant.storage import state_of

        return state_of(self)

    @classmethod
    def from_state(cls, state: dict) -> "Conversation":
        from assistant.storage import from_state

        return from_state(cls, state)


@dataclass
class Engine:
    corpus: Corpus
    retriever: object  # HybridRetriever
    llm: object | None = None  # optional phrasing only (see llm.py)
    degraded: bool = False


# ---------------------------------------------------------------- entry point


def ask(question: str, engine: Engine, conversation: Conversation | None = None) -> Answer:
    """Answer one question (one turn of ``conversation`` if given)."""
    original = clean_question(question)
    q = strip_markup(original) or original
    conv = conversation or Conversation()
    with conv.lock:
        u = understand(q)
        if conv.turns and not u.follow_up and len(q) <= 20 and not _specific_terms(q, engine):
            u = replace(u, follow_up=True)  # "归哪个部门？" right after a question about a measure
        facts = u.facts.merged_over(conv.facts) if conv.turns else u.facts
        hits, degraded = _retrieve(q, u, engine, conv)
        answer = _answer(q, u, facts, hits, engine, conv)
        if degraded or engine.degraded:
            answer = _with_note(answer, phrases.DEGRADED_NOTE, degraded=True)
        conv.turns += 1
        conv.facts = facts
        conv.last_question = q
        if not answer.refused and answer.citations:
            conv.topic = tuple(c.clause_id for c in answer.citations[:2])
    answer = _replace(answer, question=original, conversation_id=conv.id)
    if engine.llm is not None and not answer.refused:
        from assistant.llm import rephrase

        answer = rephrase(engine.llm, answer)
    return answer


_MARKUP = re.compile(r"<[^>]{0,200}>|\]\((?:javascript|https?|data|vbscript):[^)]*\)|(?:javascript|vbscript|data):\S*|https?://\S+", re.I)


def strip_markup(q: str) -> str:
    """The question without HTML tags, link targets and URLs: they carry no policy meaning."""
    return re.sub(r"\s+", " ", _MARKUP.sub(" ", q).replace("[", " ").replace("]", " ")).strip()


def clean_question(question: str) -> str:
    if question is None:
        raise EmptyQueryError()
    q = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in str(question))
    q = re.sub(r"\s+", " ", q).strip()
    if not q:
        raise EmptyQueryError()
    return q[:MAX_QUESTION_CHARS]


# ---------------------------------------------------------------- retrieve


def _retrieve(q: str, u: Understanding, engine: Engine, conv: Conversation) -> tuple[list[Hit], bool]:
    """Hits from documents in force only: superseded or expired policies stay browsable, never answer."""
    query = q
    if conv.turns and conv.last_question and (u.follow_up or not _has_own_topic(q, engine)):
        query = f"{conv.last_question} {q}"
    hits, degraded = engine.retriever.search_ex(query, 15)
    return [h for h in hits if engine.corpus.is_active(h.clause.doc_id)][:10], degraded


def _has_own_topic(q: str, engine: Engine) -> bool:
    return bool(_specific_terms(q, engine))


def _specific_terms(q: str, engine: Engine) -> list[str]:
    """Words of the question that name something this policy talks about."""
    kw = engine.retriever.keyword
    vocab_df = kw.doc_freq
    n = max(1, len(kw.ids))
    glossary_terms = engine.retriever.glossary.matches(q)
    out = [t for t in tokenize(q) if t not in GENERIC_WORDS and not any(t in w for w in _FACT_WORDS)
           and len(t) >= 2 and 0 < vocab_df.get(t, 0) <= n * 0.3]
    return out + [t for t in glossary_terms if t not in ("责任单位", "施行", "有效期", "就高不重复")]


# Words that state who the asker is (中小企业 …) are facts for the current topic, not a new topic.
_FACT_WORDS = {w for s in ASK_SUBJECTS for w in SUBJECT_WORDS[s]}


def unknown_terms(q: str, engine: Engine) -> list[str]:
    """Content words the policy never uses and the glossary does not know."""
    vocab_df = engine.retriever.keyword.doc_freq
    glossary = engine.retriever.glossary
    covered = {v.lower() for e in glossary.entries for v in e.variants}
    return [t for t in tokenize(q) if t not in GENERIC_WORDS and len(t) >= 2 and t not in vocab_df
            and not _NUMERIC.match(t) and not any(t in c or c in t for c in covered)]


def _scope_words() -> dict[str, tuple[str, ...]]:
    from assistant.text import _data_text

    out: dict[str, tuple[str, ...]] = {}
    for line in _data_text("scope.tsv").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, _, words = line.partition("\t")
            out[kind] = tuple(words.split())
    return out


_SCOPE = None


def off_topic(q: str, corpus: Corpus) -> str | None:
    """A topic or place this corpus does not cover, if the question names one."""
    global _SCOPE
    if _SCOPE is None:
        _SCOPE = _scope_words()
    titles = " ".join(d.title for d in corpus.documents)
    for w in _SCOPE.get("off_topic", ()):
        if w in q:
            return w
    for w in _SCOPE.get("places", ()):
        if w in q and w not in titles:
            return w
    return None


def mentioned_departments(q: str, corpus: Corpus) -> list[str]:
    return [d for d in corpus.departments if d in q]


def in_scope(q: str, u: Understanding, hits: list[Hit], engine: Engine, conv: Conversation) -> bool:
    if not hits:
        return False
    if "exact" in hits[0].sources:
        return True
    if off_topic(q, engine.corpus):
        return False
    if mentioned_departments(q, engine.corpus) or u.has("dates") or u.has("conflicts"):
        return True
    if conv.turns and conv.topic and (u.follow_up or u.facts.amounts or u.facts.subjects or u.facts.count):
        return True
    specific = _specific_terms(q, engine)
    if not specific:
        return False
    if u.injection:
        return True  # the persona/instruction words are noise; the measure named is what we answer about
    return len(unknown_terms(q, engine)) <= len(specific) + 1


# ---------------------------------------------------------------- choose, calculate, compose


def _answer(q: str, u: Understanding, facts: Facts, hits: list[Hit], engine: Engine, conv: Conversation) -> Answer:
    corpus = engine.corpus
    if not in_scope(q, u, hits, engine, conv):
        return _refusal(q, hits, engine)
    chosen = _choose_clauses(u, facts, hits, corpus, conv)
    lines: list[str] = []
    notes: list[str] = []
    calcs: list[Calculation] = []
    conditions: list[Condition] = []
    asks: list[str] = []

    if u.injection:
        notes.append(phrases.INJECTION_NOTE)

    shown: list[str] = []  # clauses the answer text rests on, in order: these are cited
    # dates / conflicts / department answers come first: they are what was asked
    if u.has("dates"):
        for c in corpus.clauses:
            if c.article_no is None and ("施行" in c.text or "有效期" in c.text):
                lines.append(f"{c.text} [{c.id}]")
                shown.append(c.id)
    if u.has("conflicts"):
        for c in corpus.clauses:
            if c.article_no is None and "就高不重复" in c.text:
                lines.append(f"{c.text} [{c.id}]")
                shown.append(c.id)
    measures = [cid for cid in chosen if corpus.get(cid).article_no is not None]
    if u.has("department") and measures:
        for cid in measures[:2]:
            c = corpus.get(cid)
            depts = "、".join(c.departments) or "原文未写明"
            lines.append(f"{_measure_name(corpus, c.id)}的责任单位：{depts} [{c.id}]")
            shown.append(cid)

    claims, asks, conditions = _claims(u, facts, measures, corpus, engine.retriever.keyword.doc_freq)
    if claims:
        calcs = calculate_claims(claims)
    conditions = _threshold_status(conditions, calcs, corpus)

    only_meta = (u.has("department") or u.has("dates")) and not (u.has("amount") or u.has("eligibility") or u.has("lookup"))
    if not only_meta or not shown:
        for cid in measures[:3]:
            lines.extend(_measure_lines(cid, corpus, calcs, conditions, u))
            if cid not in shown:
                shown.append(cid)

    total = total_yuan(calcs)
    if calcs and len(calcs) > 1:
        lines.append(f"合计：{format_yuan(total)}（{total}元）")
    elif calcs:
        lines.append(f"测算金额：{format_yuan(total)}（{total}元）")

    for a in asks:
        lines.append(a)
    if _overlapping(measures[:3], corpus) and not u.has("conflicts"):
        notes.append(phrases.OVERLAP_NOTE)
        shown.append(f"{FINAL_SECTION}.1")
    for cid in measures[:3]:
        for r in corpus.rules_for(cid):
            for n in r.notes:
                if n not in notes and cid in shown and (not calcs or any(c.rule_id == r.id for c in calcs)):
                    notes.append(n)
    if not shown and chosen:
        shown = chosen[:1]
    doc = corpus.document_of(corpus.get(shown[0])) if shown else corpus.documents[0]
    if not doc.dates_fixed:
        notes.append(phrases.DRAFT_NOTE.format(status=doc.status_text or doc.status.label,
                                               start=doc.effective_from or "未写明", end=doc.effective_until or "未写明"))
    if calcs or u.has("amount"):
        notes.append(phrases.FINAL_NOTE)

    cited = _citations(shown, corpus)
    answer = Answer(q, "\n".join(lines), False, cited, tuple(calcs), total, tuple(conditions), tuple(notes), asks=tuple(asks))
    # final provisions quoted for dates/conflicts are looked up, not retrieved: they count as sourced
    looked_up = {cid for cid in shown if corpus.get(cid).article_no is None}
    verified = verify(answer, corpus, retrieved={h.clause.id for h in hits} | set(chosen) | looked_up)
    if not verified.answer.strip() and cited:
        quoted = "\n".join(f"{c.text} [{c.clause_id}]" for c in cited)
        verified = verify(_replace(answer, answer=quoted), corpus, retrieved={c.clause_id for c in cited})
    return verified


def _overlapping(ids: list[str], corpus: Corpus) -> bool:
    """Two shown measures support the same thing (same recipient type, e.g. 牵头研发单位)."""
    subjects = [r.subject for cid in ids for r in corpus.rules_for(cid) if r.subject not in ("企业", "申报单位")]
    return len(subjects) != len(set(subjects))


def _front(ids: list[str], cid: str) -> list[str]:
    return [cid] + [x for x in ids if x != cid]


def _choose_clauses(u: Understanding, facts: Facts, hits: list[Hit], corpus: Corpus, conv: Conversation) -> list[str]:
    """Clauses the answer rests on, most relevant first (at most 3 measures):
    explicit ids; the clause each named amount base needs (best-fitting subject, then rank);
    the conversation's topic on a follow-up; then hits that score close to the best one."""
    ranked = [h.clause.id for h in hits]
    exact = [h.clause.id for h in hits if "exact" in h.sources]
    depts = [d for d in corpus.departments if d in u.question]
    if depts and not exact:
        in_dept = [c for c in ranked if any(d in corpus.get(c).departments for d in depts)]
        if conv.turns and (u.follow_up or u.question.startswith("其中")):
            return in_dept[:1] or ranked[:1]
        if not _bases_needed(u, facts) and len(u.question) <= 30:
            return [c.id for c in corpus.by_department(depts[0])][:MAX_CITATIONS]
    topic = list(conv.topic[:1]) if conv.turns and conv.topic and not exact and u.follow_up else []
    chosen: list[str] = list(exact)

    def rank(cid: str) -> int:
        if cid in topic or cid in conv.topic and u.follow_up:
            return -1
        return ranked.index(cid) if cid in ranked else 99

    for base in _bases_needed(u, facts):
        candidates = [r for r in corpus.rules if r.base_key == base]
        candidates.sort(key=lambda r: (_subject_penalty(r, facts), rank(r.clause_id)))
        if candidates and candidates[0].clause_id not in chosen:
            chosen.append(candidates[0].clause_id)
    for cid in topic:
        if cid not in chosen:
            chosen.append(cid)
    if u.follow_up and topic:
        return chosen
    close = closeness(hits)
    measures = [c for c in ranked if corpus.get(c).article_no is not None]
    for i, cid in enumerate(measures[:3]):
        if cid in chosen or len(chosen) >= 3:
            continue
        if (i == 0 and not chosen) or close.get(cid, 0.0) >= CLOSE_SCORE:
            chosen.append(cid)
    return chosen or ranked[:1]


def closeness(hits: list[Hit]) -> dict[str, float]:
    """How close each hit is to the best one, 0..1, from the raw BM25 and dense scores
    (RRF scores are too flat to tell a second relevant clause from a neighbour)."""
    bm = [h.bm25_score for h in hits if h.bm25_score is not None]
    ds = [h.dense_sim for h in hits if h.dense_sim is not None]
    out = {}
    for h in hits:
        parts = []
        if bm:
            parts.append((h.bm25_score or 0.0) / max(bm))
        if len(ds) > 1:
            lo, hi = min(ds), max(ds)
            parts.append(((h.dense_sim if h.dense_sim is not None else lo) - lo) / ((hi - lo) or 1.0))
        out[h.clause.id] = 1.0 if "exact" in h.sources else (sum(parts) / len(parts) if parts else 0.0)
    return out


def _bases_needed(u: Understanding, facts: Facts) -> list[str]:
    out: list[str] = []
    if u.facts.amounts or u.follow_up or u.has("amount"):
        out = [a.base_key for a in facts.amounts if a.base_key]
    if u.follow_up or u.has("conflicts"):
        out += [b for b in u.bases_mentioned if b not in out]
    return list(dict.fromkeys(out))


def _subject_penalty(rule: Rule, facts: Facts) -> int:
    v = facts.subject(rule.subject)
    if v is True:
        return 0
    if v is False:
        return 2
    # the user named another subject type this rule is not for
    return 1 if any(val for s, val in facts.subjects if s != rule.subject) else 0


def _claims(u: Understanding, facts: Facts, measures: list[str], corpus: Corpus, df: dict[str, int]):
    """Calculations the user's facts allow, questions for missing facts, and the conditions checklist.
    Each stated amount feeds exactly one rule: the best-fitting one among the chosen clauses."""
    claims: list[Claim] = []
    asks: list[str] = []
    conditions: list[Condition] = []
    if not (u.has("amount") or u.has("eligibility") or facts.amounts or facts.count):
        return claims, asks, conditions
    top = measures[:3]
    rules = [r for cid in top for r in corpus.rules_for(cid)]
    blocked: set[str] = set()
    for r in rules:
        v = facts.subject(r.subject)
        if r.subject in ASK_SUBJECTS:
            status = "met" if v else ("not_met" if v is False else "unknown")
            conditions.append(Condition(r.clause_id, f"申请主体为{r.subject}", status))
            if v is None:
                ask_text = phrases.ASK_SME if r.subject == "中小企业" else phrases.ASK_FACT.format(subject=r.subject)
                if ask_text not in asks:
                    asks.append(ask_text)
            if not v:
                blocked.add(r.id)
    rate_rules = [r for r in rules if r.kind is RuleKind.RATE]
    named = [a for a in facts.amounts if a.base_key]
    unnamed = [a for a in facts.amounts if not a.base_key]
    fed: set[str] = set()
    for a in named:
        fits = [r for r in rate_rules if r.base_key == a.base_key]
        if not fits:
            continue
        fits.sort(key=lambda r: (_subject_penalty(r, facts), top.index(r.clause_id)))
        fed.add(fits[0].id)
        if fits[0].id not in blocked:
            claims.append(Claim(fits[0], a.yuan))
    if unnamed and not named and len({r.clause_id for r in rate_rules}) >= 1:
        r = sorted(rate_rules, key=lambda r: (_subject_penalty(r, facts), top.index(r.clause_id)))[0]
        fed.add(r.id)
        if r.id not in blocked:
            claims.extend(Claim(r, a.yuan) for a in unnamed)
    for r in rate_rules:
        if r.threshold and (r.id in fed or r.clause_id == top[0]):
            conditions.append(Condition(r.clause_id, f"{r.threshold.measure}{r.threshold.text}", "unknown"))
        if r.id not in fed and r.clause_id == top[0] and not facts.amounts and u.has("amount") and r.base:
            text = phrases.ASK_AMOUNT.format(base=r.base)
            if text not in asks:
                asks.append(text)
    for r in rules:
        if r.id in blocked or r.kind in (RuleKind.RATE, RuleKind.CAP_ONLY):
            continue
        if not (r.clause_id == top[0] and not facts.amounts) and not _mentions_rule(u.question, r, df):
            continue
        if r.kind is RuleKind.FIXED:
            claims.append(Claim(r, count=facts.count or 1))
        elif r.kind is RuleKind.TIERED:
            if facts.level in dict(r.tiers):
                claims.append(Claim(r, level=facts.level))
            else:
                asks.append(f"请问获评的是{'还是'.join(dict(r.tiers))}？")
    return claims, asks, conditions


def _mentions_rule(question: str, rule: Rule, df: dict[str, int]) -> bool:
    """The question names something only this rule's clause talks about (智能工厂, 开源软件, 产业集群 …)."""
    words = set(tokenize(" ".join(rule.conditions) + rule.subject + rule.segment))
    return any(len(w) >= 2 and df.get(w, 99) <= 2 and w in question for w in words)


def _threshold_status(conditions: list[Condition], calcs: list[Calculation], corpus: Corpus) -> list[Condition]:
    out = []
    for cond in conditions:
        for calc in calcs:
            rule = corpus.rule(calc.rule_id)
            if rule and rule.threshold and cond.clause_id == rule.clause_id and cond.text == f"{rule.threshold.measure}{rule.threshold.text}":
                cond = Condition(cond.clause_id, cond.text, "met" if calc.eligible else "not_met")
        out.append(cond)
    return out


def _measure_name(corpus: Corpus, cid: str) -> str:
    rules = corpus.rules_for(cid)
    if rules:
        return rules[0].name if len(rules) == 1 else "、".join(r.name for r in rules)
    return corpus.get(cid).article_title


def _measure_lines(cid: str, corpus: Corpus, calcs: list[Calculation], conditions: list[Condition], u: Understanding) -> list[str]:
    c = corpus.get(cid)
    lines = [f"【{_measure_name(corpus, cid)}】[{cid}] 原文：{c.text}"]
    if c.departments:
        lines.append(f"  责任单位：{'、'.join(c.departments)}")
    for cond in conditions:
        if cond.clause_id == cid:
            mark = {"met": "✓ 已满足", "not_met": "✗ 不满足", "unknown": "？待确认"}[cond.status]
            lines.append(f"  条件：{cond.text}（{mark}）")
    for calc in calcs:
        if calc.clause_id == cid:
            tail = phrases.UPPER_BOUND if calc.is_upper_bound else ""
            lines.append(f"  测算：{calc.formula} → {format_yuan(calc.amount_yuan)}（{calc.amount_yuan}元）{tail}")
    for r in corpus.rules_for(cid):
        if r.kind is RuleKind.CAP_ONLY:
            lines.append(f"  金额：{r.cap.text}{phrases.UPPER_BOUND}")
    return lines


def _citations(chosen: list[str], corpus: Corpus) -> tuple[Citation, ...]:
    out, seen = [], set()
    for cid in chosen:
        if cid in seen or not corpus.has(cid):
            continue
        seen.add(cid)
        c = corpus.get(cid)
        out.append(Citation(c.id, c.article_title, c.text, c.departments))
    return tuple(out[:MAX_CITATIONS])


def _refusal(q: str, hits: list[Hit], engine: Engine) -> Answer:
    """The fixed sentence, no amounts, no citations; when the question did name this policy's
    own terms (e.g. another city's 算力券), the nearest measures by name as a pointer."""
    notes: tuple[str, ...] = ()
    if hits and _specific_terms(q, engine):
        names = []
        for i, h in enumerate(hits[:2]):
            if h.clause.article_no is not None and (i == 0 or engine.corpus.rules_for(h.clause.id)):
                names.append(f"{_measure_name(engine.corpus, h.clause.id)} [{h.clause.id}]")
        if names:
            notes = (phrases.REFUSAL_NEAREST + "；".join(names) + "（本市政策，仅供参考）",)
    return Answer(q, phrases.REFUSAL, True, (), (), None, (), notes)


# ---------------------------------------------------------------- verify

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CITED = re.compile(r"\[([^\[\]]+)\]")


def sourced_numbers(answer: Answer) -> set[str]:
    """Every number the answer may state: those in its cited clauses and its calculations."""
    sources = " ".join([c.text for c in answer.citations] + [c.formula + f" {c.amount_yuan} {format_yuan(c.amount_yuan)}" for c in answer.calculations])
    if answer.total_yuan is not None:
        sources += f" {answer.total_yuan} {format_yuan(answer.total_yuan)}"
    return set(_NUMBER.findall(sources))


def unsourced_numbers(text: str, allowed: set[str]) -> list[str]:
    return [n for n in _NUMBER.findall(_CITED.sub("", text)) if n not in allowed]


def verify(answer: Answer, corpus: Corpus, retrieved: set[str]) -> Answer:
    """Drop answer lines that cite an unknown/unretrieved clause or state a number with no source."""
    cited = {c.clause_id for c in answer.citations}
    allowed_numbers = sourced_numbers(answer)
    kept = []
    for line in answer.answer.split("\n"):
        ids = _CITED.findall(line)
        if any(i not in cited or i not in retrieved for i in ids if corpus.has(i) or re.match(r"^[\d.附则]+$", i)):
            continue
        if unsourced_numbers(line, allowed_numbers):
            continue
        kept.append(line)
    notes = tuple(n for n in answer.notes if all(x in allowed_numbers or x in _note_numbers(corpus) for x in _NUMBER.findall(_CITED.sub("", n))))
    return _replace(answer, answer="\n".join(kept), notes=notes)


def _note_numbers(corpus: Corpus) -> set[str]:
    """Numbers a fixed note may carry: those of the documents' own dates and clause texts."""
    return set(_NUMBER.findall(" ".join(c.text for c in corpus.clauses)))


def _with_note(answer: Answer, note: str, degraded: bool) -> Answer:
    return _replace(answer, notes=answer.notes + (note,), degraded=degraded)


def _replace(ans: Answer, **changes) -> Answer:
    from dataclasses import replace

    return replace(ans, **changes)


