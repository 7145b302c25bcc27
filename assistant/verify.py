"""Claims, not digits: is a text faithful to the sources it rests on?

Owns the one check that every answer passes, the deterministic ones and any LLM
rewrite of them:

- **against the sources** (``verify(text, sources)``): every quantity (value + unit,
  read by ``amounts.find_quantities``: Arabic or Chinese numerals, %, 元/万元/亿元,
  years, counts, ranges, dates) must equal a quantity of a cited clause or of a
  calculation *in the same role* - a 50% rate is not a 50万 amount, a cap (最高) is not
  a payout (可获得), a threshold (达…以上) is not a cap (…以下), 每年/累计 stay attached;
  a total (合计) must be the calculated total; every clause id (``3.4``,
  ``talent:3.2``, ``附则.1``) must exist and be among the retrieved clauses; no prompt
  echo, no "不设上限"-style contradiction.
- **against a reference answer** (``verify(text, sources, reference=answer)``): the
  rewrite keeps every amount, total, caveat (upper bound, 待评审, draft/validity),
  condition status (✓/✗/？), clarifying question and citation of the reference text.

It reads the structured ``Answer`` (citations, calculations, total, conditions, asks)
and generic quantity/id/caveat patterns, never one layout of the answer text, and
returns ``Finding`` records (kind, span, why) rather than a boolean. It does not decide
what to do with a finding: the pipeline drops the line, ``polish`` keeps the
deterministic answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from decimal import Decimal
from typing import Iterable, Mapping

from assistant import phrases
from assistant.amounts import find_quantities, format_yuan, mask
from assistant.types import Answer, Calculation, Finding, QuantityMention

KINDS = {
    "unsourced_quantity": "数量不在所引条款或测算中",
    "role_mismatch": "数量在来源中，但角色不同（比例/上限/门槛/金额/基数/合计）",
    "direction_flipped": "以上↔以下（门槛与上限）方向被改变",
    "qualifier_dropped": "来源中的“每年/年度/累计”被删掉",
    "qualifier_added": "来源中没有的“每年/年度/累计”被加上",
    "total_mismatch": "合计与测算合计不符",
    "unknown_clause": "条款编号不存在",
    "unretrieved_clause": "条款编号存在但不在检索到的条款中",
    "citation_added": "引用了参考回答没有引用的条款",
    "citation_dropped": "删掉了参考回答中的条款引用",
    "quantity_dropped": "删掉了参考回答中的金额或数字",
    "total_dropped": "删掉了参考回答中的合计",
    "caveat_dropped": "删掉了上限、评审、征求意见稿或施行日期等提示",
    "condition_dropped": "删掉了条件及其是否满足",
    "condition_changed": "改变了条件是否满足（✓/✗/？）",
    "question_dropped": "删掉了向用户提出的追问",
    "unsourced_department": "责任单位不是所引条款写明的",
    "contradiction": "与来源矛盾（如来源有上限却说不设上限）",
    "prompt_echo": "回答里混入了提示词",
    "too_long": "改写比参考回答长得多（只应改措辞和顺序）",
    "empty": "回答为空",
}

# ---------------------------------------------------------------- clause ids

_ID = r"(?:[A-Za-z][\w-]{0,31}:)?(?:\d{1,3}\.\d{1,3}|附则\.\d{1,3})"
_ID_LIST = rf"{_ID}(?:\s*[,，、/]\s*{_ID})*"
_ID_REF = re.compile(rf"[\[［【〔(（]\s*(?P<a>{_ID_LIST})\s*[\]］】〕)）]|第\s*(?P<b>{_ID})\s*(?:条|项|款)?|条款\s*(?P<c>{_ID})")
_ONE_ID = re.compile(_ID)


@dataclass(frozen=True)
class IdRef:
    start: int
    end: int
    ids: tuple[str, ...]


def find_ids(text: str) -> list[IdRef]:
    """Clause ids cited in ``text``: ``[3.4]``, ``【6.3】``, ``[3.4、6.3]``, ``第3.4条``, ``[talent:3.2]``, ``[附则.1]``."""
    out = []
    for m in _ID_REF.finditer(text or ""):
        inner = m.group("a") or m.group("b") or m.group("c")
        out.append(IdRef(m.start(), m.end(), tuple(_ONE_ID.findall(inner))))
    return out


def cited_ids(text: str) -> list[str]:
    return list(dict.fromkeys(i for r in find_ids(text) for i in r.ids))


# ---------------------------------------------------------------- roles

CAP, THRESHOLD, PAYOUT, BASE, INTERMEDIATE, UNKNOWN = "cap", "threshold", "payout", "base", "intermediate", "unknown"
ROLE_NAMES = {CAP: "上限", THRESHOLD: "门槛", PAYOUT: "可得金额", BASE: "计算基数", INTERMEDIATE: "中间结果", UNKNOWN: "金额"}
# which source roles an answer's role may rest on (money only; other dimensions compare value and direction)
_COMPATIBLE = {
    CAP: {CAP, UNKNOWN},
    THRESHOLD: {THRESHOLD, UNKNOWN},
    PAYOUT: {PAYOUT, UNKNOWN},
    BASE: {BASE, UNKNOWN},
    INTERMEDIATE: {INTERMEDIATE, PAYOUT, UNKNOWN},
    UNKNOWN: {CAP, THRESHOLD, PAYOUT, BASE, INTERMEDIATE, UNKNOWN},
}
_SEGMENT_END = "，。；;！!？?\n、,|｜·•"  # not "：": in "合计：40万元" the label is the role
_WINDOW = 14
_AFTER_CAP = re.compile(r"^\s*(?:的|为|作为|及|或)?\s*(?:以下|以内|之内|封顶|为限|顶格|上限|限额)")
_AFTER_THRESHOLD = re.compile(r"^\s*(?:及|或)?\s*(?:以上|起)")
_AFTER_BASE = re.compile(r"^\s*(?:×|\*|乘以?|的\s*(?:\d|百分之))")
_CAP = re.compile(r"最高|上限|不超过|不高于|至多|最多|封顶|顶格|以内|限额")
_THRESHOLD = re.compile(r"达到|达|超过|超出|超|不低于|不少于|至少|满|高于|多于|大于")
_TOTAL = re.compile(r"合计|总计|共计|一共|总共|加起来|合起来|总额|总金额|(?<!公)共")
_COMPUTED = re.compile(r"[=＝]|算得|计算为|算出|得出|结果为|结果是")
_PAYOUT = re.compile(r"→|可获得?|获得|可得|可申请|可领取?|可拿|能拿|能获得?|能得|可补|能补|可以拿|给予|发放|测算金额|金额为|预计|约为?|"
                     r"补助|补贴|奖励|资助|拿到|领到")
_BASE = re.compile(r"费用?|交易额|投入|成本|花了|花费|支出|收入|基数|本金|服务总额|服务金额|采购额?|贷款|金额是")
_PER_YEAR = re.compile(r"每年|年度|每一年|一个年度|/年|／年|年均|一年")
_CUMULATIVE = re.compile(r"累计")
_UP_WORDS = re.compile(r"以上|不低于|不少于|至少|超过|高于|达到?|起")
_DOWN_WORDS = re.compile(r"以下|以内|不超过|低于|少于|不高于|最高|最长|最多|至多|封顶|上限")


@dataclass(frozen=True)
class Claim:
    """A quantity in context: what it is (role), how it is qualified, which clauses it speaks for."""

    mention: QuantityMention
    role: str = UNKNOWN
    total: bool = False  # 合计/共计 … in front of it
    direction: str = ""  # "up" (以上, 达, 超过) | "down" (以下, 最高, 不超过) | ""
    qualifiers: frozenset[str] = frozenset()  # "per_year", "cumulative"
    ids: tuple[str, ...] = ()  # the clause ids it is cited with (locality); () = none nearby
    sentence_ids: tuple[str, ...] = ()  # all ids of its sentence (a summary sentence cites every measure)
    origin: str | None = None  # for sources: clause id it comes from; None = answer-wide (total, notes, asks)
    from_reference: bool = False
    sentence: str = field(default="", compare=False)  # the sentence it stands in


def read_claims(text: str, *, origin: str | None = None) -> list[Claim]:
    """Every quantity of ``text`` with its role, direction, qualifiers and nearby clause ids."""
    return list(_read_claims(text or "", origin))


@lru_cache(maxsize=65536)
def _read_claims(text: str, origin: str | None) -> tuple[Claim, ...]:
    refs = find_ids(text)
    masked = mask(text, _ID_REF)
    mentions = find_quantities(masked)
    locality = _localities(text, refs)
    out = []
    prev_end = 0
    for i, m in enumerate(mentions):
        seg_start = _segment_start(masked, m.start)
        before = masked[max(seg_start, prev_end, m.start - _WINDOW):m.start]
        next_start = mentions[i + 1].start if i + 1 < len(mentions) else len(masked)
        after = masked[m.end:min(next_start, _segment_end(masked, m.end), m.end + 8)]
        role, direction = _role(before, after)
        if out and re.fullmatch(r"\s*[（(]\s*", before) and out[-1].mention.value == m.value:
            role, direction = out[-1].role, out[-1].direction  # "20万元（200000元）" restates, same role
        segment_before = masked[max(seg_start, prev_end):m.start]
        quals = set()
        if _PER_YEAR.search(segment_before) or re.match(r"^\s*(?:/|／|每)年", after):
            quals.add("per_year")
        if _CUMULATIVE.search(segment_before):
            quals.add("cumulative")
        ids, sentence_ids = locality(m.start)
        out.append(Claim(m, role, bool(_TOTAL.search(before)), direction, frozenset(quals), ids, sentence_ids, origin,
                         sentence=_sentence_of(masked, m.start)))
        prev_end = m.end
    return tuple(out)


def _role(before: str, after: str) -> tuple[str, str]:
    if _AFTER_CAP.match(after):
        return CAP, "down"
    if _AFTER_THRESHOLD.match(after):
        return THRESHOLD, "up"
    direction = ""
    last_up = max((m.end() for m in _UP_WORDS.finditer(before)), default=-1)
    last_down = max((m.end() for m in _DOWN_WORDS.finditer(before)), default=-1)
    if last_up >= 0 or last_down >= 0:
        direction = "down" if last_down >= last_up else "up"
    if _CAP.search(before):
        return CAP, "down"
    if _THRESHOLD.search(before):
        return THRESHOLD, direction or "up"
    if _AFTER_BASE.match(after):
        return BASE, direction
    if re.match(r"^\s*计", after) and before.rstrip().endswith("按"):
        return PAYOUT, direction  # "按20万元计"
    closest = max(((m.end(), role) for role, cue in ((INTERMEDIATE, _COMPUTED), (PAYOUT, _PAYOUT), (BASE, _BASE))
                   for m in cue.finditer(before)), default=None)
    if closest:
        return closest[1], direction
    return UNKNOWN, direction


def _segment_start(text: str, pos: int) -> int:
    i = pos
    while i > 0 and text[i - 1] not in _SEGMENT_END:
        i -= 1
    return i


def _segment_end(text: str, pos: int) -> int:
    i = pos
    while i < len(text) and text[i] not in _SEGMENT_END:
        i += 1
    return i


MARK_AFTER_QUESTION_MARK = r"\s*(?:待确认|需确认|已满足|不满足|未满足|满足)"  # "（？待确认）" is a status mark, not a question
_SENTENCE = re.compile(rf"(?:[^。！!？?；;\n]|[？?](?={MARK_AFTER_QUESTION_MARK}))*(?:[。！!？?；;\n]+|$)")


def sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text`` (a line break ends a sentence too)."""
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text or "") if m.end() > m.start()]


def _localities(text: str, refs: list[IdRef]):
    """pos → clause ids that speak for a quantity there: those of its id-delimited piece of the sentence,
    else of its sentence, else of its line. ``[3.4] 算力券…`` puts ids before, ``算力券… [3.4]`` after."""
    spans = sentences(text)

    def at(pos: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        s, e = next(((s, e) for s, e in spans if s <= pos < e), (0, len(text)))
        inside = [r for r in refs if s <= r.start < e]
        if inside:
            every = tuple(i for r in inside for i in r.ids)
            lead = text[s:inside[0].start]
            ids_first = not re.search(r"\d", lead) and len(lead.strip()) <= 24
            if ids_first:
                own = [r for r in inside if r.start <= pos]
                piece = own[-1:] if own else inside[:1]
            else:
                piece = [r for r in inside if r.start >= pos][:1] or inside[-1:]
            return tuple(i for r in piece for i in r.ids), every
        ls = text.rfind("\n", 0, pos) + 1
        while True:
            le = text.find("\n", ls)
            le = len(text) if le < 0 else le
            ids = tuple(i for r in refs if ls <= r.start < le for i in r.ids)
            indented = text[ls:ls + 1].isspace()
            if ids or not indented or ls == 0:
                return ids, ids
            ls = text.rfind("\n", 0, ls - 1) + 1  # an indented line belongs to the item above it

    return at


# ---------------------------------------------------------------- sources


@dataclass(frozen=True)
class Sources:
    """What an answer may rest on. Build with ``sources_for``."""

    clauses: Mapping[str, str]  # cited clause id → verbatim text
    retrieved: frozenset[str]  # ids the answer may cite
    known: frozenset[str] | None = None  # ids that exist (None: not checked)
    calculations: tuple[Calculation, ...] = ()
    total_yuan: int | None = None
    texts: tuple[str, ...] = ()  # other trusted, answer-wide text: notes, clarifying questions
    counts: tuple[int, ...] = ()  # structural counts (两项措施): calculations, citations …
    claims: tuple[Claim, ...] = field(default=(), compare=False)
    departments: frozenset[str] = frozenset()  # departments the cited clauses name
    all_departments: frozenset[str] = frozenset()  # every department of the corpus (to spot a wrong one)

    def with_reference(self, reference: Answer) -> "Sources":
        """The reference answer's own text becomes an answer-wide source too."""
        extra = tuple(Claim(c.mention, c.role, c.total, c.direction, c.qualifiers, (), (), None, True)
                      for c in read_claims(reference.answer))
        return replace(self, claims=self.claims + extra)


def sources_for(answer: Answer, *, known: Iterable[str] | None = None, retrieved: Iterable[str] | None = None,
                clauses: Mapping[str, str] | None = None, all_departments: Iterable[str] = ()) -> Sources:
    """Sources of ``answer``: its citations (or ``clauses``), calculations, total, notes and questions.

    ``retrieved`` defaults to the cited ids; ``known`` (all ids of the corpus) enables the
    "does this id exist" check; ``all_departments`` the "is this the right department" check.
    """
    texts = dict(clauses) if clauses is not None else {c.clause_id: c.text for c in answer.citations}
    claims: list[Claim] = []
    for cid, text in texts.items():
        claims.extend(read_claims(text, origin=cid))
    for calc in answer.calculations:
        claims.extend(_calculation_claims(calc))
    for b in getattr(answer, "blocks", ()):
        # a conditional measure ("如属中小企业：20万元") is computed but not summed: its figures are sources too
        if b.formula:
            claims.extend(Claim(c.mention, c.role, c.total, c.direction, c.qualifiers, origin=b.clause_id)
                          for c in read_claims(b.formula))
        if b.amount_yuan is not None:
            claims.append(_money_claim(b.amount_yuan, PAYOUT, b.clause_id))
            if b.is_upper_bound:
                claims.append(_money_claim(b.amount_yuan, CAP, b.clause_id))
        if b.standard:
            claims.extend(Claim(c.mention, c.role, c.total, c.direction, c.qualifiers, origin=b.clause_id)
                          for c in read_claims(b.standard))
    if answer.total_yuan is not None:
        claims.append(_money_claim(answer.total_yuan, PAYOUT, None, total=True))
    for text in (*answer.notes, *answer.asks):
        claims.extend(read_claims(text))
    counts = {len(answer.calculations), len(answer.citations), len(answer.conditions), len(answer.asks),
              len({c.clause_id for c in answer.calculations})} - {0}
    departments = frozenset(d for c in answer.citations for d in c.departments)
    return Sources(texts, frozenset(retrieved if retrieved is not None else texts), frozenset(known) if known is not None else None,
                   tuple(answer.calculations), answer.total_yuan, tuple(answer.notes) + tuple(answer.asks),
                   tuple(sorted(counts)), tuple(claims), departments, frozenset(all_departments))


def _money_claim(yuan, role: str, origin: str | None, total: bool = False) -> Claim:
    text = format_yuan(yuan)
    return Claim(QuantityMention(0, 0, text, Decimal(yuan), "money"), role, total, "", frozenset(), (), (), origin)


def _calculation_claims(calc: Calculation) -> list[Claim]:
    out = [Claim(c.mention, c.role, c.total, c.direction, c.qualifiers, origin=calc.clause_id)
           for c in read_claims(f"{calc.formula}。{calc.reason}")]
    for key, value in calc.inputs.items():
        for v in value if isinstance(value, list) else [value]:
            if not isinstance(v, (int, Decimal)) or isinstance(v, bool):
                continue
            if key == "count":
                out.append(Claim(QuantityMention(0, 0, str(v), Decimal(v), "count"), UNKNOWN, origin=calc.clause_id))
            else:
                out.append(_money_claim(v, BASE, calc.clause_id))
    out.append(_money_claim(calc.amount_yuan, PAYOUT, calc.clause_id))
    if calc.is_upper_bound or calc.capped:
        out.append(_money_claim(calc.amount_yuan, CAP, calc.clause_id))
    return out


# ---------------------------------------------------------------- verify

# the prompt's own words: an answer about a policy never talks about 润色, 草稿 or 用户问题
_ECHO = re.compile(r"请输出润色后的回答|润色后的回答[:：]?|草稿回答[:：]?|用户问题[:：]?|你是政策咨询助手|润色器|润色|草稿|提示词|严格要求[:：]|"
                   r"不得增加、删除或修改任何数字")
MAX_GROWTH = 2.0  # a rewrite rewords; one more than twice as long as the draft (plus a greeting) is padding
_CONTRA_CAP = re.compile(r"不设(?:置)?(?:上限|封顶|限额)|没有(?:上限|限额|封顶)|无上限|不受上限|上不封顶|不封顶|不限额|全额(?:补助|补贴|报销|支持|返还)|"
                         r"(?:补|报销|承担)全部(?:费用)?")
_CONTRA_PROMISE = re.compile(r"(?:保证|一定|必定|肯定|确保|百分百|稳)(?:能|可以|可|会)?(?:获得|拿到|获批|通过|到手)|无需(?:评审|审核|申请|审批)|不用(?:评审|审核)|"
                             r"(?:直接|自动)(?:发放|到账|拨付)")
_CONTRA_IN_FORCE = re.compile(r"已(?:经)?(?:正式)?(?:施行|生效|实施)|正式(?:施行|生效)|现行有效")
_DRAFT_WORDS = re.compile(r"征求意见稿|草案|尚未(?:确定|正式)|未正式")
_UPPER_MARK = re.compile(rf"{re.escape(phrases.UPPER_BOUND)}|[（(]\s*(?:为可获得的)?上限[^）)]{{0,20}}[）)]|为可获得的上限")
_UPPER_WORDS = re.compile(r"上限|最高|最多|至多|封顶|不超过|以内|顶格|为限|封顶")
_CAVEATS = (  # (name shown in findings, where the reference says it, how a rewrite may say it)
    ("待评审", re.compile(r"评审|审核"), re.compile(r"评审|审核|核定|审定|认定|评定|以.{0,12}为准|(?:由|经).{0,16}确定")),
    ("征求意见稿", _DRAFT_WORDS, re.compile(r"征求意见稿|草案|尚未(?:确定|正式)|未正式|以正式(?:发布|文件)")),
    ("施行日期/有效期", re.compile(r"施行|有效期"), re.compile(r"施行|生效|有效期|实施")),
    ("就高不重复", re.compile(r"就高不重复"), re.compile(r"就高不重复|不重复(?:享受|支持|补助|奖励)|择高|从高")),
)
_NOT_MET = re.compile(r"✗|✘|❌|不满足|未满足|不符合|未达到|未达|达不到|不具备|不属于")
_MET = re.compile(r"✓|✔|√|已满足|满足|符合|已达到")
_UNKNOWN = re.compile(r"？\s*待确认|待确认|需确认|需要确认|有待确认|尚待确认|未确认|待核实|尚不确定|不确定|待定")
_QUESTION = re.compile(r"[？?]|吗|是否|告诉|提供|请问|告知|多少")
_ASK_NOISE = re.compile(r"请问|贵单位|贵公司|您|是否|属于|如需测算金额|请告诉我|是多少|获评的是|还是|（如“[^”]*”）|\(如\"[^\"]*\"\)|[，。？?！、：:“”\"（）()]")


def verify(answer: Answer | str, sources: Sources, reference: Answer | None = None, *, complete: bool = True) -> list[Finding]:
    """Findings for ``answer`` (an ``Answer`` or its text) against ``sources``; ``[]`` means faithful.

    With ``reference`` (the deterministic answer a rewrite came from), also what the
    rewrite dropped or changed; ``complete=False`` checks only what the text says (for a
    sentence of a stream), not what it left out.

    >>> from assistant.types import Citation
    >>> src = Answer("q", "", False, (Citation("3.4", "", "对企业使用算力服务费用给予50%最高20万元补助。"),))
    >>> [f.kind for f in verify("算力券另外还可再获50万元奖励 [3.4]", sources_for(src))]
    ['unsourced_quantity']
    """
    text = answer.answer if isinstance(answer, Answer) else (answer or "")
    if reference is not None:
        sources = sources.with_reference(reference)
    findings: list[Finding] = []
    if complete and not text.strip():
        return [Finding("empty", 0, 0, "", "改写结果为空")]
    findings += _check_ids(text, sources, reference)
    findings += _check_quantities(text, sources)
    findings += _check_phrases(text, sources, reference)
    if reference is not None:
        limit = int(MAX_GROWTH * len(reference.answer)) + 60
        if len(text.strip()) > limit:
            findings.append(Finding("too_long", limit, len(text), text[limit:limit + 20],
                                    f"改写有{len(text.strip())}字，参考回答只有{len(reference.answer)}字：只应改措辞和顺序"))
        findings += _check_conditions(text, reference, complete)
        if complete:
            findings += _check_kept(text, reference)
    return sorted(findings, key=lambda f: (f.start, f.kind))


def _check_ids(text: str, sources: Sources, reference: Answer | None) -> list[Finding]:
    out = []
    allowed = None
    if reference is not None:
        allowed = set(cited_ids(reference.answer)) | {c.clause_id for c in reference.citations}
    for ref in find_ids(text):
        for cid in ref.ids:
            span = text[ref.start:ref.end]
            if sources.known is not None and cid not in sources.known:
                out.append(Finding("unknown_clause", ref.start, ref.end, span, f"条款 {cid} 不存在"))
            elif cid not in sources.retrieved:
                out.append(Finding("unretrieved_clause", ref.start, ref.end, span, f"条款 {cid} 不在本次检索到的条款中"))
            elif allowed is not None and cid not in allowed:
                out.append(Finding("citation_added", ref.start, ref.end, span, f"参考回答没有引用条款 {cid}"))
    return out


def _check_quantities(text: str, sources: Sources) -> list[Finding]:
    out = []
    for claim in read_claims(text):
        m = claim.mention
        if m.dimension == "number" and _ONE_ID.fullmatch(m.text) and (m.text in sources.retrieved or m.text in sources.clauses):
            continue  # a bare "3.4" naming a cited clause
        if claim.total and m.dimension == "money" and sources.total_yuan is not None:
            if m.value != sources.total_yuan:
                out.append(Finding("total_mismatch", m.start, m.end, m.text,
                                   f"合计应为{format_yuan(sources.total_yuan)}（{sources.total_yuan}元），这里写的是{m.text}"))
            continue
        finding = _match(claim, sources)
        if finding:
            out.append(finding)
    return out


def _candidates(claim: Claim, sources: Sources) -> list[Claim]:
    """Source claims in reach: of the clauses cited next to it, or answer-wide ones."""
    if claim.ids:
        summary = _summarises(claim, sources)  # "可申请约40万元：算力券…[3.4]，模型券…[6.3]" may state the total
        return [s for s in sources.claims if (s.origin is None and not s.from_reference and (summary or not s.total)) or s.origin in claim.ids]
    return list(sources.claims)


def _summarises(claim: Claim, sources: Sources) -> bool:
    """Its sentence names no clause, or every clause that was calculated."""
    calculated = {c.clause_id for c in sources.calculations}
    return not claim.sentence_ids or bool(calculated) and calculated <= set(claim.sentence_ids)


def _match(claim: Claim, sources: Sources) -> Finding | None:
    m = claim.mention
    pool = _candidates(claim, sources)
    same = [s for s in pool if s.mention.dimension == m.dimension and s.mention.value == m.value]
    if m.dimension == "number":
        same = [s for s in pool if s.mention.value == m.value] or same
    if not same and m.dimension in ("count", "number") and m.value in sources.counts:
        return None
    where = f"（所引条款 {'、'.join(claim.ids)}）" if claim.ids else ""
    if not same:
        other = [s for s in pool if _digits(m.text) and _digits(s.mention.text) == _digits(m.text) and s.mention.dimension != m.dimension]
        hint = f"；来源中的“{other[0].mention.text}”是{_DIMENSION_NAMES.get(other[0].mention.dimension, '')}，不是{_DIMENSION_NAMES.get(m.dimension, '')}" if other else ""
        return Finding("unsourced_quantity", m.start, m.end, m.text, f"“{m.text}”不在所引条款或测算中{where}{hint}")
    if m.dimension == "money":
        fitting = [s for s in same if s.role in _COMPATIBLE[claim.role]]
        if not fitting:
            roles = "、".join(dict.fromkeys(ROLE_NAMES[s.role] for s in same))
            flipped = claim.direction and all(s.direction and s.direction != claim.direction for s in same)
            kind = "direction_flipped" if flipped else "role_mismatch"
            return Finding(kind, m.start, m.end, m.text, f"来源中的{m.text}是{roles}，这里当作{ROLE_NAMES[claim.role]}{where}")
        same = fitting
    else:
        directed = [s for s in same if s.direction]
        if claim.direction and directed and all(s.direction != claim.direction for s in directed):
            return Finding("direction_flipped", m.start, m.end, m.text,
                           f"来源中的{m.text}是{'下限（以上）' if directed[0].direction == 'up' else '上限（以下）'}，这里方向相反{where}")
    # a cap or an amount carries its scope next to it (同一主体年度…最高, 每年2000万元); a threshold or a
    # base names its measure anywhere in the sentence (年度数据交易额300万元，已达到100万元的门槛)
    amount_like = claim.role in (CAP, PAYOUT, INTERMEDIATE)
    for q, word, cue in (("per_year", "每年/年度", _PER_YEAR), ("cumulative", "累计", _CUMULATIVE)) if m.dimension == "money" else ():
        said = q in claim.qualifiers or (not amount_like and bool(cue.search(claim.sentence)))
        if all(q in s.qualifiers for s in same) and not said:
            return Finding("qualifier_dropped", m.start, m.end, m.text, f"来源中的{m.text}带有“{word}”，这里被删掉了{where}")
        if amount_like and not any(q in s.qualifiers for s in same) and q in claim.qualifiers:
            return Finding("qualifier_added", m.start, m.end, m.text, f"来源中的{m.text}没有“{word}”，这里加上了{where}")
    return None


_DIMENSION_NAMES = {"money": "金额", "percent": "比例", "duration": "期限", "days": "天数", "count": "数量", "area": "面积",
                    "multiple": "倍数", "date": "日期", "number": "数字"}


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _check_phrases(text: str, sources: Sources, reference: Answer | None) -> list[Finding]:
    out = [Finding("prompt_echo", m.start(), m.end(), m.group(), "这是提示词里的话，不是回答") for m in _ECHO.finditer(text)]
    has_cap = any(s.role == CAP for s in sources.claims)
    for m in _CONTRA_CAP.finditer(text):
        if has_cap:
            out.append(Finding("contradiction", m.start(), m.end(), m.group(), "所引条款或测算有上限，不能说不设上限或全额补助"))
    for m in _CONTRA_PROMISE.finditer(text):
        out.append(Finding("contradiction", m.start(), m.end(), m.group(), "金额须经责任单位审核确定，不能承诺一定获得"))
    for name in sorted(sources.all_departments - sources.departments, key=len, reverse=True):
        if name in text and not any(name in d for d in sources.departments) and (reference is None or name not in reference.answer):
            i = text.index(name)
            out.append(Finding("unsourced_department", i, i + len(name), name, f"所引条款的责任单位中没有“{name}”"))
    draft = any(_DRAFT_WORDS.search(t) for t in (*sources.texts, *(reference.notes if reference else ()), reference.answer if reference else ""))
    if draft:
        for m in _CONTRA_IN_FORCE.finditer(text):
            out.append(Finding("contradiction", m.start(), m.end(), m.group(), "政策仍是征求意见稿，施行日期未定，不能说已施行"))
    return out


def _quoted_masked(reference: Answer) -> str:
    """The reference text without its clarifying questions and, when the answer says more than
    the clauses, without verbatim clause quotes (those stay in the citation cards)."""
    text = reference.answer
    for quoted in reference.asks:
        text = text.replace(quoted, "\x00" * len(quoted))
    unquoted = text
    for c in reference.citations:
        if c.text:
            unquoted = unquoted.replace(c.text, "\x00" * len(c.text))
    return unquoted if find_quantities(mask(unquoted, _ID_REF)) else text


def _check_kept(text: str, reference: Answer) -> list[Finding]:
    out = []
    ref_text = _quoted_masked(reference)
    got_ids = set(cited_ids(text))
    for cid in cited_ids(reference.answer):
        if cid not in got_ids:
            out.append(Finding("citation_dropped", len(text), len(text), "", f"参考回答引用的条款 [{cid}] 被删掉了"))
    ref_claims = read_claims(ref_text)
    claims = read_claims(text)
    have = {(c.mention.dimension, c.mention.value) for c in claims}
    seen = set()
    for c in ref_claims:
        key = (c.mention.dimension, c.mention.value)
        if key in seen:
            continue
        seen.add(key)
        if key not in have:
            out.append(Finding("quantity_dropped", len(text), len(text), "", f"参考回答中的“{c.mention.text}”被删掉或改动了"))
    calculated = {c.clause_id for c in reference.calculations}
    for c in ref_claims:
        if c.total and c.mention.dimension == "money":
            if not any(x.mention.value == c.mention.value and (x.total or (x.role in (PAYOUT, UNKNOWN, CAP) and x.sentence_ids
                                                                           and calculated <= set(x.sentence_ids))) for x in claims):
                out.append(Finding("total_dropped", len(text), len(text), "", f"参考回答中的合计{c.mention.text}被删掉了"))
            break
    for q, word, cue in (("per_year", "每年/年度", _PER_YEAR), ("cumulative", "累计", _CUMULATIVE)):
        for value in {c.mention.value for c in ref_claims if q in c.qualifiers and c.mention.dimension == "money"}:
            places = [c for c in claims if c.mention.dimension == "money" and c.mention.value == value]
            # a cap or payout carries its scope next to it (同一主体年度…最高); a threshold or a base
            # names its measure anywhere in the sentence (年度数据交易额99万元，未达100万元)
            if places and not any(q in c.qualifiers or (c.role in (THRESHOLD, BASE, UNKNOWN)
                                                        and cue.search(_sentence_of(text, c.mention.start))) for c in places):
                p = places[0].mention
                out.append(Finding("qualifier_dropped", p.start, p.end, p.text, f"参考回答中{p.text}带有“{word}”，这里被删掉了"))
    out += _check_upper_bounds(text, ref_text, claims)
    for name, said, kept in _CAVEATS:
        if said.search(ref_text) and not kept.search(text):
            out.append(Finding("caveat_dropped", len(text), len(text), "", f"参考回答中的“{name}”提示被删掉了"))
    for ask in reference.asks:
        if ask in reference.answer and not _question_kept(ask, text):
            out.append(Finding("question_dropped", len(text), len(text), "", f"参考回答中的追问“{ask}”被删掉了"))
    return out


def _check_upper_bounds(text: str, ref_text: str, claims: list[Claim]) -> list[Finding]:
    """An amount the reference calls an upper bound must stay one (上限/最高/最多 … in its sentence)."""
    out = []
    ref_claims = read_claims(ref_text)
    bounded: dict[Decimal, str] = {}
    for mark in _UPPER_MARK.finditer(ref_text):
        line_start = ref_text.rfind("\n", 0, mark.start()) + 1
        before = [c for c in ref_claims if line_start <= c.mention.start < mark.start() and c.mention.dimension == "money"]
        if before:
            bounded[before[-1].mention.value] = before[-1].mention.text
    for value, shown in bounded.items():
        places = [c for c in claims if c.mention.dimension == "money" and c.mention.value == value]
        if places and not any(c.role == CAP or _UPPER_WORDS.search(_sentence_of(text, c.mention.start)) for c in places):
            p = places[0].mention
            out.append(Finding("caveat_dropped", p.start, p.end, p.text, f"参考回答说明{shown}是可获得的上限（待评审），这里没有说"))
    return out


def _sentence_of(text: str, pos: int) -> str:
    return next((text[s:e] for s, e in sentences(text) if s <= pos < e), text)


def _condition_key(condition_text: str) -> str:
    key = condition_text.replace("申请主体为", "").replace("申请主体", "")
    key = re.split(r"[\d一二三四五六七八九十百千]|达|超过|超|不低于|以上", key)[0]
    return key.removeprefix("年度") or condition_text


def _statuses(sentence: str) -> set[str]:
    """Every status a sentence states; "是否…？" reads as 待确认 only when nothing else is said."""
    found = set()
    if _NOT_MET.search(sentence):
        found.add("not_met")
    rest = mask(sentence, _NOT_MET)
    if _UNKNOWN.search(rest):
        found.add("unknown")
        rest = mask(rest, _UNKNOWN)
    if _MET.search(rest):
        found.add("met")
    if not found and "是否" in sentence:
        found.add("unknown")
    return found


_STATUS_NAMES = {"met": "✓ 已满足", "not_met": "✗ 不满足", "unknown": "？待确认"}


def _check_conditions(text: str, reference: Answer, complete: bool) -> list[Finding]:
    out = []
    for cond in reference.conditions:
        key = _condition_key(cond.text)
        if key not in reference.answer:
            continue  # the reference does not state it: nothing to keep
        stated = []
        for s, e in sentences(text):
            if key in text[s:e]:
                stated.append((s, e, _statuses(text[s:e])))
        wrong = [(s, e, st) for s, e, st in stated if st - {cond.status}]
        if wrong:
            s, e, st = wrong[0]
            out.append(Finding("condition_changed", s, e, text[s:e].strip(),
                               f"条件“{cond.text}”应为{_STATUS_NAMES[cond.status]}，这里写成了{'、'.join(_STATUS_NAMES[x] for x in sorted(st))}"))
        elif complete and not any(st for _, _, st in stated):
            out.append(Finding("condition_dropped", len(text), len(text), "", f"条件“{cond.text}”（{_STATUS_NAMES[cond.status]}）被删掉了"))
    return out


def _question_kept(ask: str, text: str) -> bool:
    keys = [k for k in _ASK_NOISE.split(ask) if len(k) >= 2]
    for s, e in sentences(text):
        sentence = re.sub(r"[？?]\s*待确认", "", text[s:e])
        if _QUESTION.search(sentence) and all(k in sentence or (len(k) >= 4 and k[:-1] in sentence) for k in keys):
            return True
    return False


# ---------------------------------------------------------------- the pipeline's own answers


def drop_unverified_lines(answer: Answer, sources: Sources, note_sources: Sources) -> Answer:
    """The deterministic answer without any line (or note) that has a finding against its sources."""
    kept = [line for line in answer.answer.split("\n") if not verify(line, sources, complete=False)]
    notes = tuple(n for n in answer.notes if not [f for f in verify(n, note_sources, complete=False) if f.kind != "contradiction"])
    return replace(answer, answer="\n".join(kept), notes=notes)
