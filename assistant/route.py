"""Routing: which documents and clauses answer a question, and which facts go to which rule.

Owns, in this order:

1. **documents**: a document the question names (its place, title or id), else the documents
   of the best hits (several when they score alike);
2. **clauses**: clause references, then clauses whose rules take a number the user stated
   (matched by base), then measures the question names (lexicon terms), then the best hits;
3. **facts → claims**: each stated number goes to at most one rule of a chosen clause in the
   same document: money by its base (the document's own words, its variant sidecar, the generic
   glossary, shared characters, then embedding similarity above a calibrated threshold), counts
   to per-unit rules and count conditions, areas, months, last year's value, amounts received,
   LPR; tier keys (国家级, A类, 辅导备案) to tiered rules;
4. **status** of each measure: counted, conditional (a subject the user never claimed: not in
   the total), not eligible, needs a fact (what to ask, with quick replies), review conditions
   (遴选/评审/择优: amounts are upper bounds).

A measure enters the total only if the question names it (its name, base, object or tier) or
the user's facts meet its subject. Does not word the answer (``compose``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from assistant import phrases
from assistant.calculator import Claim, calculate_claims, combine
from assistant.errors import AmountError, MissingFactError
from assistant.rules import canonical_base
from assistant.types import BlockStatus, Calculation, CapScope, Condition, Hit, Rule, RuleKind

CLOSE_SCORE = 0.75  # a hit this close to the best one (see ``closeness``) is shown too
MAX_MEASURES = 3
BASE_SIMILARITY = 0.55  # embedding similarity above which a stated amount is matched to a base (calibrated)
GENERIC_SUBJECTS = {"企业", "申报单位", "单位", "项目", "机构", "主体", "申请人", "个人", "单个项目", "单个企业", "所在区"}
_CLASS_SUBJECT = re.compile(r"(企业|单位|机构|数商|主体|公司|人才|团队|银行|个人)$")
_REVIEW = re.compile(r"[^，。；]*(遴选|评审|择优|综合评定|综合评估|示范效应明显|视情|优秀等次)[^，。；]*")
_GENERIC_BASE_CHARS = {"费用", "金额", "总额", "资金", "服务", "项目", "实际", "年度", "投入"}


@dataclass(frozen=True)
class Facts:
    """What the user has told us, across the turns of one conversation."""

    stated: tuple = ()  # understand.Stated
    subjects: tuple[tuple[str, bool], ...] = ()
    level: str | None = None

    def subject(self, name: str) -> bool | None:
        for s, v in self.subjects:
            if s == name or (len(s) >= 3 and (s in name or name in s)):
                return v
        return None

    def with_subject(self, name: str, value: bool) -> "Facts":
        subjects = dict(self.subjects)
        subjects[name] = value
        return Facts(self.stated, tuple(subjects.items()), self.level)

    def merged_over(self, older: "Facts") -> "Facts":
        """These facts, with the older ones behind them (each older number one turn further back;
        routing lets a newer number for the same rule replace an older one)."""
        from dataclasses import replace as dc_replace

        subjects = dict(older.subjects)
        subjects.update(dict(self.subjects))
        stated = tuple(dc_replace(s, turn=s.turn + 1) for s in older.stated) + tuple(self.stated)
        return Facts(stated, tuple(subjects.items()), self.level or older.level)


@dataclass(frozen=True)
class Measure:
    """One rule (or one clause without a rule) as it stands in this answer."""

    clause_id: str
    doc_id: str
    rule: Rule | None
    status: BlockStatus
    calculation: Calculation | None = None
    conditions: tuple[Condition, ...] = ()
    if_text: str = ""
    ask: str = ""
    options: tuple[str, ...] = ()
    ask_subject: str = ""
    named: bool = False


@dataclass
class Route:
    doc_ids: list[str]
    clause_ids: list[str]
    measures: list[Measure] = field(default_factory=list)


# ---------------------------------------------------------------- documents


def choose_documents(u, hits: list[Hit], corpus, lexicon, active: set[str], focus: tuple[str, ...] = ()) -> list[str]:
    """Documents the question is about, best first."""
    named: list[str] = []
    for ref in u.clause_refs:
        m = re.match(r"([a-z][a-z0-9-]*):", ref)
        if m and m.group(1) in active:
            named.append(m.group(1))
    for m in u.terms:
        if m.term.kind in ("region", "title") and m.term.doc_id in active and m.term.doc_id not in named:
            if m.term.kind == "title" and not m.term.clause_ids or m.term.kind == "region":
                named.append(m.term.doc_id)
    for p in u.places:
        for d in corpus.documents:
            if d.id in active and d.id not in named and (p.full in (getattr(d, "region", "") or "") or p.name in d.title):
                named.append(d.id)
    level_word = re.search(r"(区里|区级|本区|县里|县级|本县|市里|市级政策|本市)", u.question)
    if level_word and not named:
        lv = level_word.group(1)[0]
        named = [d.id for d in corpus.documents if d.id in active and getattr(d, "level", "") == lv]
    if named:
        return named
    if focus and (u.follow_up or u.reply) and all(f in active for f in focus):
        return list(focus)
    ranked: list[str] = []
    for h in hits:
        if h.clause.doc_id in active and h.clause.doc_id not in ranked:
            ranked.append(h.clause.doc_id)
    if not ranked:
        return []
    # terms the question uses pull their documents in; a second document must score close to the first
    term_docs = {m.term.doc_id for m in u.terms if m.term.kind not in ("region", "distinctive") and m.term.doc_id in active}
    close = closeness(hits)
    out = [ranked[0]]
    for d in ranked[1:3]:
        best = max((close.get(h.clause.id, 0) for h in hits if h.clause.doc_id == d), default=0)
        if d in term_docs and (best >= CLOSE_SCORE or ranked[0] not in term_docs):
            out.append(d)
    if ranked[0] not in term_docs and term_docs:
        out = [d for d in ranked if d in term_docs][:1] + [d for d in out if d not in term_docs]
    return out


def closeness(hits: list[Hit]) -> dict[str, float]:
    """How close each hit is to the best one, 0..1, from the raw BM25 and dense scores."""
    bm = [h.bm25_score for h in hits if h.bm25_score is not None]
    ds = [h.dense_sim for h in hits if h.dense_sim is not None]
    out = {}
    for h in hits:
        parts = []
        if bm and max(bm) > 0:
            parts.append((h.bm25_score or 0.0) / max(bm))
        if len(ds) > 1:
            lo, hi = min(ds), max(ds)
            parts.append(((h.dense_sim if h.dense_sim is not None else lo) - lo) / (hi - lo) if hi > lo else 1.0)
        out[h.clause.id] = sum(parts) / len(parts) if parts else 0.0
    return out


# ---------------------------------------------------------------- clauses and facts


def base_score(context: str, rule: Rule, lexicon) -> float:
    """How surely ``context`` (the words around a stated amount) names this rule's base, 0..1."""
    if not rule.base:
        return 0.0
    base = rule.base
    canon = canonical_base(base)
    if base in context or (len(canon) >= 3 and canon in context):
        return 1.0
    for th in rule.thresholds:
        if th.unit == "元" and th.measure and th.measure in context:
            return 0.97
    if len(canon) >= 2 and canon in context:
        return 0.95
    doc = rule.clause_id.split(":", 1)[0] if ":" in rule.clause_id else None
    for m in lexicon.find(context, kinds=("variant",)):
        if doc is not None and m.term.doc_id != doc:
            continue
        means = m.term.means
        if means == base or means in base or base in means or canonical_base(means) == canon:
            return 0.9
        if rule.name.startswith(means) or means in rule.name:
            return 0.85
    for t in lexicon.glossary.matches(context):
        if len(t) >= 2 and (t in base or canonical_base(t) in canon or canon in t):
            return 0.8
    for part in re.split(r"[、和及与]", rule.subject):
        part = re.sub(r"(费用|等)$", "", part)
        if len(part) >= 2 and part not in ("企业", "单位", "项目", "申报单位") and part in context:
            return 0.85
    common = _longest_common(canon, context)
    if len(common) >= 2 and common not in _GENERIC_BASE_CHARS:
        return min(0.79, 0.25 + 0.1 * len(common))  # 2 shared characters alone are not enough
    return 0.0


def _longest_common(a: str, b: str) -> str:
    best = ""
    for i in range(len(a)):
        for j in range(i + len(best) + 1, len(a) + 1):
            if a[i:j] in b:
                best = a[i:j]
            else:
                break
    return best


def named_clauses(u, doc_ids: list[str], corpus) -> dict[str, float]:
    """Clauses whose measures the question names, with a strength (longer, more specific terms win)."""
    out: dict[str, float] = {}
    weight = {"measure": 3.0, "variant": 2.5, "base": 2.0, "tier": 1.5, "condition": 2.0, "subject": 1.5, "distinctive": 1.0,
              "title": 1.2, "department": 0.5}
    spans: list[tuple[int, int]] = []
    for m in sorted(u.terms, key=lambda m: -(m.end - m.start)):
        if m.term.doc_id not in doc_ids or m.term.kind not in weight:
            continue
        if m.term.kind == "distinctive" and any(a <= m.start and m.end <= b for a, b in spans):
            continue
        spans.append((m.start, m.end))
        cids = list(m.term.clause_ids)
        if m.term.kind == "variant" and not cids:
            continue
        if len(cids) > 4 and m.term.kind not in ("department",):
            continue
        for cid in cids:
            if corpus.has(cid):
                out[cid] = out.get(cid, 0.0) + weight[m.term.kind] * min(len(m.term.text), 8) / 4
    return out


def _mentions(rule: Rule, t: str) -> bool:
    return t in rule.segment or t in rule.name or bool(rule.base and t in rule.base) or any(t in k.key or k.key in t for k in rule.tiers)


def rule_named(rule: Rule, u, named: dict[str, float], siblings: list[Rule] | None = None, shared_bases: frozenset = frozenset()) -> bool:
    """The question names this rule: a term of it (its name, base, object or condition words)
    that its sibling rules in the same clause do not share. Who the user is (a subject, a tier
    such as 国家级 or D类) is a fact for the claim, not the measure's name."""
    if rule.clause_id not in named:
        return False
    others = [r for r in (siblings or []) if r.id != rule.id]
    for m in u.terms:
        if rule.clause_id not in m.term.clause_ids:
            continue
        t = m.term.means if m.term.kind == "variant" else m.term.text
        if m.term.kind == "distinctive" and len(t) < 3 and len(m.term.clause_ids) > 2:
            continue  # a short word several clauses use does not name one measure
        if m.term.kind in ("department", "region", "title", "tier"):
            continue
        if m.term.kind == "subject" and (is_size_class(t) or t in GENERIC_SUBJECTS or not specific_subject(t)):
            continue  # 中小企业 / 用人单位 say who the user is; 国家级企业技术中心 names what is awarded
        if rule.base and rule.base in shared_bases and (t == rule.base or canonical_base(t) == canonical_base(rule.base)
                                                        or t in rule.base) and t not in re.sub(r"（按.*计）$", "", rule.name):
            continue  # 算力服务费用 names 3.4 and 3.5 alike: it picks neither
        if _mentions(rule, t) and not any(_mentions(o, t) for o in others):
            return True
    return False


def route(u, facts: Facts, hits: list[Hit], engine, doc_ids: list[str], topic: tuple[str, ...] = ()) -> Route:
    corpus = engine.corpus
    ranked = [h.clause.id for h in hits if h.clause.doc_id in doc_ids]
    chosen: list[str] = []

    # 1. clause references
    for ref in u.clause_refs:
        cid = resolve_ref(ref, corpus, doc_ids)
        if cid and cid not in chosen:
            chosen.append(cid)
    exact = [h.clause.id for h in hits if "exact" in h.sources and h.clause.doc_id in doc_ids]
    for cid in exact:
        if cid not in chosen:
            chosen.append(cid)

    named = named_clauses(u, doc_ids, corpus)
    if topic and (u.follow_up or u.reply):
        for cid in topic:  # what the user asked about a turn ago is what "这个/那…呢" names
            if corpus.has(cid) and corpus.get(cid).doc_id in doc_ids:
                named[cid] = max(named.get(cid, 0.0), 2.5)
    candidate_rules = [r for r in corpus.rules if corpus.get(r.clause_id).doc_id in doc_ids]

    # 2. stated money → the rule whose base it names
    assigned: dict[str, list] = {}
    amounts = [s for s in facts.stated if s.kind == "money" and s.role in ("amount", "previous")]
    scores: dict[int, float] = {}
    for s in [a for a in amounts if a.role == "amount"]:
        rule, score = _best_rule_for_amount(s, candidate_rules, u, facts, named, ranked, engine, chosen + list(topic))
        if rule is not None:
            assigned.setdefault(rule.id, []).append(s)
            scores[id(s)] = score
    for rid, got in list(assigned.items()):
        # a newer number replaces an older one; of one turn's numbers, those that name the base best
        # ("贷款800万元…本金损失了500万元" → the loss, not the loan)
        newest = min(s.turn for s in got)
        got = [s for s in got if s.turn == newest]
        top = max(scores[id(s)] for s in got)
        assigned[rid] = [s for s in got if scores[id(s)] >= top - 0.01]
        cid = next(r.clause_id for r in candidate_rules if r.id == rid)
        if cid not in chosen:
            chosen.append(cid)

    # 3. topic of a follow-up
    if (u.follow_up or u.reply or (facts.stated and not named and not u.clause_refs)) and topic:
        for cid in topic:
            if cid not in chosen and corpus.has(cid) and corpus.get(cid).doc_id in doc_ids:
                chosen.append(cid)

    # 4. measures the question names, strongest first (a clause named only by the base of an amount
    #    that went to another rule is not named: "算力服务费80万" names the base, not every measure using it)
    used_bases = {r.base for r in candidate_rules if r.id in assigned and r.base}
    base_only = _named_only_by_bases(u, used_bases, doc_ids)
    for cid, score in sorted(named.items(), key=lambda kv: (-kv[1], ranked.index(kv[0]) if kv[0] in ranked else 99)):
        if len([c for c in chosen if not corpus.get(c).is_final_provision]) >= MAX_MEASURES:
            break
        if cid in base_only or cid in chosen or corpus.get(cid).is_final_provision:
            continue
        rules_here = corpus.rules_for(cid)
        if rules_here and not any(rule_named(r, u, named, rules_here) for r in rules_here):
            continue  # named only by words it shares with other measures, or by a tier word
        if score >= 2.0 or cid in ranked[:5]:
            chosen.append(cid)

    # 5. best hits
    close = closeness([h for h in hits if h.clause.doc_id in doc_ids])
    measures_ranked = [c for c in ranked if not corpus.get(c).is_final_provision]
    for i, cid in enumerate(measures_ranked[:3]):
        if cid in chosen or len(chosen) >= MAX_MEASURES:
            continue
        if (i == 0 and not chosen) or close.get(cid, 0.0) >= CLOSE_SCORE and not named:
            chosen.append(cid)
    if not chosen and ranked:
        chosen.append(ranked[0])

    r = Route(doc_ids, chosen)
    r.measures = _measures(u, facts, chosen, assigned, named, engine, topic if (u.follow_up or u.reply) else ())
    return r


def _named_only_by_bases(u, bases: set[str], doc_ids: list[str]) -> set[str]:
    """Clauses every naming term of which is (a variant of) one of ``bases``."""
    if not bases:
        return set()
    by_clause: dict[str, list[bool]] = {}
    for m in u.terms:
        if m.term.doc_id not in doc_ids:
            continue
        t = m.term.means if m.term.kind == "variant" else m.term.text
        is_base = any(t == b or canonical_base(t) == canonical_base(b) or (len(t) >= 2 and t in b) for b in bases)
        for cid in m.term.clause_ids:
            by_clause.setdefault(cid, []).append(is_base or m.term.kind == "distinctive" and any(t in b for b in bases))
    return {cid for cid, flags in by_clause.items() if flags and all(flags)}


def resolve_ref(ref: str, corpus, doc_ids: list[str]) -> str | None:
    from assistant.understand import clause_ref_to_id

    cid = clause_ref_to_id(ref)
    if cid is None:
        return None
    if corpus.has(cid):
        return cid
    for d in doc_ids:
        prefix = next((c.id.split(":", 1)[0] + ":" for c in corpus.clauses if c.doc_id == d and ":" in c.id), "")
        if prefix and corpus.has(prefix + cid):
            return prefix + cid
    return None


def _best_rule_for_amount(s, rules: list[Rule], u, facts: Facts, named, ranked, engine, preferred: list[str]) -> tuple[Rule | None, float]:
    money_rules = [r for r in rules if r.kind in (RuleKind.RATE, RuleKind.MARGINAL, RuleKind.INTEREST)
                   or (r.tiers and any(t.threshold for t in r.tiers)) or (r.kind is RuleKind.TIERED and r.base)]
    if not money_rules:
        return None, 0.0
    contexts = [s.context, s.window or s.context, s.after]
    scored: list[tuple[float, Rule]] = []
    for r in money_rules:
        score = max(base_score(contexts[0], r, engine.lexicon), 0.95 * base_score(contexts[1], r, engine.lexicon))
        if score == 0:  # only when nothing before the number names a base: "100万元的研发投入"
            score = 0.6 * base_score(re.split(r"\d", contexts[2])[0], r, engine.lexicon)
        # the measure itself named in the same stretch of words ("…应用场景项目入选，总投入200万元")
        if any(r.clause_id in m.term.clause_ids and m.term.kind in ("measure", "variant", "condition", "subject", "distinctive")
               and m.term.text in (s.window or "") for m in u.terms):
            score += 0.04
        v = facts.subject(r.subject)
        if score > 0 and v is True:
            score += 0.05
        elif v is False:
            score -= 0.3
        if r.tiers and any(t.threshold for t in r.tiers) and r.tier_label and r.tier_label in contexts[1]:
            score = max(score, 0.96)
        scored.append((score, r))
    best = max(s for s, _ in scored)
    if best < 0.5:
        sim = _embedding_scores(s.context or u.question, money_rules, engine)
        scored = [(max(sc, sim.get(r.id, 0.0)), r) for sc, r in scored]
        best = max(sc for sc, _ in scored)
    if best < 0.5:
        # an amount with no base words: the one rate rule the question names, or of the follow-up topic
        pool = [r for r in money_rules if rule_named(r, u, named)] or [r for r in money_rules if r.clause_id in preferred]
        if pool:
            pool.sort(key=lambda r: (_subject_penalty(r, facts), ranked.index(r.clause_id) if r.clause_id in ranked else 99))
            return pool[0], 0.5
        return None, 0.0
    top = [r for sc, r in scored if sc >= best - 0.02]
    top.sort(key=lambda r: (_subject_penalty(r, facts), not _meets(r, s.value), -named.get(r.clause_id, 0.0),
                            preferred.index(r.clause_id) if r.clause_id in preferred else 50,
                            ranked.index(r.clause_id) if r.clause_id in ranked else 99))
    return top[0], best


def _meets(rule: Rule, value: Decimal) -> bool:
    """The amount satisfies the rule's own money thresholds (bands: 200万元以上、500万元以下 at 5%)."""
    return all(t.comparator.holds(value, t.amount.value) for t in rule.thresholds if t.unit == "元")


def _embedding_scores(context: str, rules: list[Rule], engine) -> dict[str, float]:
    """Cosine similarity of the amount's words with each base (USE / e5 embeddings), above the threshold."""
    embedder = getattr(engine.retriever, "embedder", None)
    if embedder is None or not context.strip():
        return {}
    try:
        import numpy as np

        texts = [r.base or r.name for r in rules]
        vecs = embedder.embed_queries([context] + texts)
        q, others = np.asarray(vecs[0]), np.asarray(vecs[1:])
        sims = others @ q / (np.linalg.norm(others, axis=1) * np.linalg.norm(q) + 1e-9)
    except Exception:  # noqa: BLE001 - a failing embedder only loses this fallback
        return {}
    return {r.id: (0.5 + float(s) - BASE_SIMILARITY) for r, s in zip(rules, sims) if float(s) >= BASE_SIMILARITY}


def _subject_penalty(rule: Rule, facts: Facts) -> int:
    v = facts.subject(rule.subject)
    if v is True:
        return 0
    if v is False:
        return 3
    return 1 if specific_subject(rule.subject) else 0


def is_size_class(subject: str) -> bool:
    """中小企业 and the like: a size class the user must state; nothing else in a question implies it."""
    from assistant.understand import SIZE_CLASS

    return subject.endswith(SIZE_CLASS) or subject in ("小微企业", "中型企业", "小型企业")


def specific_subject(subject: str) -> bool:
    """A recipient the user must be (中小企业, 牵头研发单位, 数据供方企业), not a generic 企业 or a project."""
    s = subject.strip()
    return bool(s) and s not in GENERIC_SUBJECTS and bool(_CLASS_SUBJECT.search(s)) and not s.endswith("项目")


# ---------------------------------------------------------------- measures


def _measures(u, facts: Facts, chosen: list[str], assigned: dict[str, list], named: dict[str, float], engine,
              topic: tuple[str, ...] = ()) -> list[Measure]:
    corpus = engine.corpus
    out: list[Measure] = []
    for cid in chosen:
        clause = corpus.get(cid)
        rules = corpus.rules_for(cid)
        if not rules:
            out.append(Measure(cid, clause.doc_id, None, BlockStatus.REVIEW if _listed(corpus, cid) else BlockStatus.INFO))
            continue
        shared = frozenset(r.base for r in rules if r.base and _base_shared(r, corpus))
        relevant = [r for r in rules if r.id in assigned or rule_named(r, u, named, rules, shared)]
        picked = set()
        if not relevant and len(rules) > 1 and named.get(cid, 0.0) >= 1.0:
            relevant = _closest_siblings(rules, u)
            picked = {r.id for r in relevant}
        if len(relevant) > 1:
            relevant = _by_level(relevant, u)
            picked = {r.id for r in relevant} if picked else picked
        primary = cid == next((c for c in chosen if not corpus.get(c).is_final_provision), None) and named.get(cid, 0.0) >= 1.0
        for r in relevant or rules:
            identified = (r.id in assigned and not _base_shared(r, engine.corpus) or rule_named(r, u, named, rules, shared)
                          or (cid in topic and (len(rules) == 1 or r.id in assigned)) or (r.id in picked and len(picked) == 1)
                          or (primary and len(relevant or rules) == 1 and not specific_subject(r.subject))
                          or (r.id in assigned and facts.subject(r.subject) is True))
            out.append(_measure(r, u, facts, assigned.get(r.id, []), identified, engine))
    return out


_LEVELS = ("国际级", "国家级", "省级", "市级", "区级", "县级")


def _required_level(rule: Rule) -> str | None:
    """The one level a tier-less award is for ("对获批…国家级中小企业产业集群的，给予所在区500万元")."""
    if rule.tiers:
        return None
    head = rule.segment.split("给予")[0]
    found = [lv for lv in _LEVELS if lv in head]
    return found[0] if len(found) == 1 and not re.search(r"(及以上|以上)", head) else None


def _by_level(rules: list[Rule], u) -> list[Rule]:
    """Sibling awards that differ by level ("国家级…给予100万元；省级…给予30万元"): the level the question names."""
    said = [lv for lv in _LEVELS if lv in u.question]
    if not said or any(r.tiers for r in rules):
        return rules
    picked = [r for r in rules if any(lv in r.segment for lv in said)]
    return picked or rules


def _closest_siblings(rules: list[Rule], u) -> list[Rule]:
    """No sibling is named by a word of its own: the ones sharing most of the question's words."""
    words = {m.term.text for m in u.terms if len(m.term.text) >= 2}
    scores = [(sum(1 for w in words if w in r.segment), r) for r in rules]
    best = max(sc for sc, _ in scores)
    return [r for sc, r in scores if sc == best] if best > 0 else []


def _base_shared(rule: Rule, corpus) -> bool:
    """Another rule of the same document computes on the same base (算力服务费用: 3.4 and 3.5)."""
    if not rule.base:
        return False
    doc = corpus.get(rule.clause_id).doc_id
    canon = canonical_base(rule.base)
    return any(r.id != rule.id and r.base and canonical_base(r.base) == canon and corpus.get(r.clause_id).doc_id == doc
               for r in corpus.rules)


def _listed(corpus, cid: str) -> bool:
    from assistant.types import Coverage

    return any(n.clause_id == cid and n.coverage is Coverage.REVIEW for n in corpus.non_computable)


def review_conditions(rule: Rule, clause_text: str) -> list[str]:
    """Conditions only the department decides (遴选/评审/择优/示范效应明显)."""
    found = []
    for m in _REVIEW.finditer(rule.segment + "。" + clause_text):
        phrase = m.group().strip("，。； ")
        if 2 <= len(phrase) <= 40 and phrase not in found and (m.start() < len(rule.segment) or rule.kind is not RuleKind.FIXED):
            found.append(phrase)
    return found[:2]


def _measure(rule: Rule, u, facts: Facts, amounts: list, named: bool, engine) -> Measure:
    corpus = engine.corpus
    clause = corpus.get(rule.clause_id)
    conds: list[Condition] = []
    status = BlockStatus.COUNTED
    if_text = ""
    ask = ""
    options: tuple[str, ...] = ()
    ask_subject = ""

    # who may receive it: a size class (中小企业) must be stated; another recipient type is implied when
    # the question identifies this measure itself (its name, its own base, its object words)
    if specific_subject(rule.subject):
        v = facts.subject(rule.subject)
        implied = v is None and (_subject_implied(rule, u) or (named and not is_size_class(rule.subject)))
        if v is True or implied:
            if v is True or _subject_implied(rule, u):
                conds.append(Condition(rule.clause_id, f"申请主体为{rule.subject}", "met"))
        elif v is False:
            conds.append(Condition(rule.clause_id, f"申请主体为{rule.subject}", "not_met"))
            status = BlockStatus.NOT_ELIGIBLE
        else:
            conds.append(Condition(rule.clause_id, f"申请主体为{rule.subject}", "unknown"))
            status = BlockStatus.CONDITIONAL
            if_text = f"如属{rule.subject}"
            if (named or amounts) and (u.has("amount") or u.has("eligibility") or amounts):
                ask = phrases.ASK_FACT.format(subject=rule.subject)
                ask_subject = rule.subject
                options = ("是", "否", "不确定")
    for phrase in review_conditions(rule, clause.text):
        conds.append(Condition(rule.clause_id, phrase, "review"))
    # a level the award requires ("获批国家级中小企业产业集群的，给予…"): the user's level, or ask
    level = _required_level(rule)
    if level and status is BlockStatus.COUNTED:
        said = [lv for lv in _LEVELS if lv in u.question] or ([facts.level] if facts.level in _LEVELS + ("否",) else [])
        if said and level not in said:
            conds.append(Condition(rule.clause_id, f"获批（获评）{level}", "not_met"))
            status = BlockStatus.NOT_ELIGIBLE
        elif not said:
            conds.append(Condition(rule.clause_id, f"获批（获评）{level}", "unknown"))
            status, if_text = BlockStatus.CONDITIONAL, f"如为{level}"
            if not ask and (u.has("amount") or u.has("eligibility")):
                ask, options = f"请问获批（获评）的是否为{level}？", (level, "不是", "不确定")
        else:
            conds.append(Condition(rule.clause_id, f"获批（获评）{level}", "met"))

    claim_kwargs = _claim_facts(rule, u, facts, amounts)
    calc = None
    needs_amount = rule.kind in (RuleKind.RATE, RuleKind.MARGINAL, RuleKind.INTEREST) and "base" not in claim_kwargs
    if needs_amount and not (rule.tiers and "measure" in claim_kwargs):
        if status is BlockStatus.NOT_ELIGIBLE:
            return Measure(rule.clause_id, clause.doc_id, rule, status, None, tuple(conds), named=named)
        if u.has("amount") and named and not ask and not any(x.kind == "money" and x.turn == 0 for x in facts.stated):
            ask = phrases.ASK_AMOUNT.format(base=rule.base)
        return Measure(rule.clause_id, clause.doc_id, rule, BlockStatus.INFO if status is BlockStatus.COUNTED else status,
                       None, tuple(conds), if_text, ask, options, ask_subject, named)
    if not named and rule.kind is not RuleKind.CAP_ONLY and not amounts and not claim_kwargs:
        # picked by retrieval alone, nothing stated for it: show its standard, no amount
        return Measure(rule.clause_id, clause.doc_id, rule, BlockStatus.INFO if status is BlockStatus.COUNTED else status,
                       None, tuple(conds), if_text, "", (), "", named)
    try:
        calc = combine(calculate_claims([Claim(rule, **kw) for kw in _split_claims(rule, claim_kwargs, facts, amounts, u)]), rule)
    except MissingFactError as err:
        opts = tuple(t.key for t in rule.tiers if t.threshold is None)[:6]
        question = f"请问{err.need}是{'、'.join(opts[:-1])}还是{opts[-1]}？" if len(opts) >= 2 else f"{err.message}。"
        return Measure(rule.clause_id, clause.doc_id, rule, BlockStatus.NEEDS_FACT, None, tuple(conds), if_text,
                       question if named or u.has("amount") else "", opts, "", named)
    except AmountError:
        return Measure(rule.clause_id, clause.doc_id, rule, BlockStatus.INFO, None, tuple(conds), named=named)
    for th in rule.thresholds:
        conds.append(Condition(rule.clause_id, f"{th.measure}{th.text}", "met" if calc.eligible else "not_met"))
    if not calc.eligible:
        status = BlockStatus.NOT_ELIGIBLE
    if status is BlockStatus.NOT_ELIGIBLE and calc.amount_yuan:
        from dataclasses import replace as dc_replace

        failed = next((c.text for c in conds if c.status == "not_met"), "条件")
        calc = dc_replace(calc, amount_yuan=0, eligible=False, reason=f"不满足“{failed}”",
                          formula=f"不满足“{failed}”，不予计算（若满足，按{calc.formula}）")
    if any(c.status == "review" for c in conds) and not calc.is_upper_bound and calc.amount_yuan:
        from dataclasses import replace

        calc = replace(calc, is_upper_bound=True)
    if status is BlockStatus.COUNTED and not named and rule.kind is not RuleKind.CAP_ONLY:
        status = BlockStatus.CONDITIONAL
        if_text = if_text or "如符合该项条件"
    if status is BlockStatus.COUNTED and not named and rule.kind is RuleKind.CAP_ONLY:
        status = BlockStatus.INFO
    return Measure(rule.clause_id, clause.doc_id, rule, status, calc, tuple(conds), if_text, ask, options, ask_subject, named)


def _subject_implied(rule: Rule, u) -> bool:
    """The question describes the user as this rule's recipient, in the document's words."""
    for m in u.terms:
        t = m.term.means if m.term.kind == "variant" else m.term.text
        if m.term.kind in ("subject", "variant") and (t == rule.subject or (len(t) >= 3 and (t in rule.subject or rule.subject in t))):
            return True
    return False


def _claim_facts(rule: Rule, u, facts: Facts, amounts: list) -> dict:
    kw: dict = {}
    money = [s for s in amounts if s.role == "amount"]
    if money:
        if rule.tiers and any(t.threshold for t in rule.tiers) and not rule.rate and not rule.base:
            kw["measure"] = sum((s.value for s in money), Decimal(0))
        else:
            kw["base"] = sum((s.value for s in money), Decimal(0))
            for th in rule.thresholds:
                if th.unit == "元" and th.measure:
                    other = [s for s in facts.stated if s.kind == "money" and s.role == "amount" and s not in money
                             and th.measure in (s.context + s.after)]
                    if other:
                        kw["measure"] = other[0].value
    if rule.increment:
        prev = [s for s in facts.stated if s.role == "previous"]
        if prev:
            kw["previous"] = prev[0].value
    if rule.top_up:
        got = [s for s in facts.stated if s.role == "received"]
        if got:
            kw["received"] = got[0].value
    if rule.kind is RuleKind.INTEREST:
        ref = [s for s in facts.stated if s.role == "rate_ref"]
        if ref:
            kw["rate_ref"] = ref[0].value
    counts = [s for s in facts.stated if s.kind == "count"]
    keys = {t.key for t in rule.tiers}
    if rule.tiers and not any(t.threshold for t in rule.tiers):
        level = _tier_key(rule, u, facts, counts)
        if level:
            kw["level"] = level
    if counts:
        kw["counts"] = tuple((f"{c.noun}|{c.unit}", int(c.value)) for c in counts)
        unit = rule.per_unit.unit if rule.per_unit else ""
        fit = [c for c in counts if (unit and (c.unit == unit or (unit == "人" and c.unit in ("名", "位", "人")) or _convert(1, c.unit, unit)))
               or any(k in c.noun for k in keys)] if (rule.per_unit or rule.kind is RuleKind.FIXED) else []
        if not fit and rule.kind in (RuleKind.FIXED, RuleKind.PER_UNIT) and len(counts) == 1 and counts[0].unit not in ("年", "月"):
            fit = counts
        if fit and rule.kind in (RuleKind.FIXED, RuleKind.PER_UNIT):
            kw["count"] = int(sum(_convert(c.value, c.unit, unit) or c.value for c in fit))
    area = [s for s in facts.stated if s.kind == "area"]
    if area and rule.per_unit and rule.per_unit.unit in ("平方米", "亩"):
        kw["area"] = area[0].value
    if rule.schedule and rule.schedule.ratios and u.instalment:
        kw["instalment"] = u.instalment
    elif u.instalment and rule.per_unit and rule.per_unit.period and not any(s.kind == "duration" for s in facts.stated):
        kw["periods"] = 12 if rule.per_unit.period == "月" else 1  # "第一年能拿多少" of a monthly award
    durations = [s for s in facts.stated if s.kind == "duration"]
    if u.per_period and not durations:
        if rule.per_unit and rule.per_unit.period:
            kw["periods"] = 1
        elif rule.schedule and rule.schedule.per_year and rule.kind in (RuleKind.FIXED, RuleKind.CAP_ONLY, RuleKind.PER_UNIT, RuleKind.TIERED):
            kw["years"] = 1
    if durations and rule.per_unit and rule.per_unit.period:
        d = durations[0]
        periods = d.value * 12 if (rule.per_unit.period == "月" and d.unit == "年") else d.value
        kw["periods"] = int(periods)
    elif durations and rule.schedule and rule.schedule.per_year and rule.kind in (RuleKind.FIXED, RuleKind.CAP_ONLY):
        years = [d for d in durations if d.unit == "年"]
        if years:
            kw["years"] = int(years[0].value)
    return kw


def _key_for_count(c, keys: list[str]) -> str | None:
    """The tier a count belongs to: "1名B类人才" (key after) or "全日制博士研究生2名" (key before)."""
    after, before = c.after[:16], (c.window or c.context)[-12:]
    hits = [k for k in keys if after.startswith(k) or after[:len(k) + 6].find(k) >= 0 or before.endswith(k)]
    return max(hits, key=len) if hits else None


def _split_claims(rule: Rule, kw: dict, facts: Facts, amounts: list, u) -> list[dict]:
    """The claims a question makes on one rule: one per stated amount when each is its own case
    (三起案件分别80万元、80万元、30万元; 4项，每项150万元), one per tier named, else one."""
    per_claim_cap = any(c.scope in (CapScope.UNIT, CapScope.ITEM, CapScope.CLAIM) for c in rule.caps)
    money = [s for s in amounts if s.role == "amount"]
    if "base" in kw and per_claim_cap:
        if len(money) >= 2:
            return [{**kw, "base": s.value} for s in money]
        each = re.search(r"(每项|每个|每笔|每件|每起|每家|都是|均为|各)", money[0].window + money[0].context) if money else None
        n = next((int(c.value) for c in facts.stated if c.kind == "count" and c.turn == 0 and 1 < c.value <= 50), None)
        if each and n:
            return [dict(kw) for _ in range(n)]
    stages = _named_keys(rule, u)
    if len(stages) >= 2 and rule.tier_label not in ("级别", "类别", "档次") and "level" not in kw or \
            len(stages) >= 2 and re.search(r"(先后|分别|都|各|两项|三项|一共|合计)", u.question):
        return [{**kw, "level": k} for k in stages]
    return _split_by_tier(rule, kw, facts)


def _named_keys(rule: Rule, u) -> list[str]:
    keys = [t.key for t in rule.tiers if t.threshold is None]
    return [k for k in keys if k in u.question or (len(k) >= 3 and k.rstrip("级类档") in u.question)]


def _split_by_tier(rule: Rule, kw: dict, facts: Facts) -> list[dict]:
    """One claim per tier when the user counts people or items per tier (2名省级、3名市级)."""
    keys = [t.key for t in rule.tiers if t.threshold is None]
    if not keys:
        return [kw]
    counts = [s for s in facts.stated if s.kind == "count" and s.turn == 0]
    per_key: dict[str, int] = {}
    for c in counts:
        k = _key_for_count(c, keys)
        if k:
            per_key[k] = per_key.get(k, 0) + int(c.value)
    if len(per_key) < 2:
        return [kw]
    return [{**kw, "level": k, "count": n} for k, n in per_key.items()]


_UNIT_FACTOR = {("兆瓦", "千瓦"): 1000, ("万千瓦", "千瓦"): 10000, ("兆瓦时", "千瓦时"): 1000, ("万吨", "吨"): 10000,
                ("年", "月"): 12, ("亩", "平方米"): Decimal("666.6667")}


def _convert(value, unit: str, to: str):
    """A count in another unit of the same measure (8兆瓦 → 8000千瓦); None if they do not convert."""
    if unit == to:
        return value
    f = _UNIT_FACTOR.get((unit, to))
    return None if f is None or to == "平方米" else value * f


def _tier_key(rule: Rule, u, facts: Facts, counts: list) -> str | None:
    keys = [t.key for t in rule.tiers]
    q = u.question
    hits = [k for k in keys if k in q]
    if not hits:
        hits = [k for k in keys if len(k) >= 3 and k.rstrip("级类档") in q]
    if not hits:
        for c in counts:
            hits += [k for k in keys if k in c.noun]
    if not hits and facts.level in keys:
        return facts.level
    if len(hits) >= 1:
        return max(hits, key=len)
    return None
