"""Clause text → amount ``Rule`` records, by parsing the text (never by retyping numbers).

Owns: splitting a clause into award segments, reading rate / cap / threshold / base /
period / subject / fixed and tiered awards from each segment, and the explicit list of
money-bearing clauses that are *not* computable, with the reason.

Every ``Quantity`` keeps the exact substring it was read from, so a test can prove
that each number is in its clause. Where the text leaves a reading open, the rule
carries a note instead of a guess. Does not compute anything: see ``calculator``.
"""

from __future__ import annotations

import re
from decimal import Decimal

from assistant.numerals import chinese_to_int
from assistant.types import Clause, Comparator, NonComputable, Quantity, Rule, RuleKind, Threshold

WAN = Decimal(10_000)
_NUM = r"\d+(?:\.\d+)?"
_AWARD = re.compile(r"(给予|予以)")
_AWARD_NOUN = re.compile(r"(风险补偿|创业资助|经费支持|资金支持|奖励|补助|补贴|支持)")
_QUALIFIER = re.compile(r"(最高|不超过|期限|周期|累计)")
_RATE = re.compile(
    rf"(?:按照|按|使用|给予)(?:不超过)?(?P<base>[\u4e00-\u9fa5]{{2,10}}?)(?:的|给予)?"
    rf"(?P<max>最高|不超过)?(?P<rate>{_NUM}\s*[%％])"
)
_CAP = re.compile(
    rf"(?P<scope>同一主体年度|每个专项|单个项目|单个区|累计|年度)?(?:奖励金额)?"
    rf"(?P<word>最高|不超过)(?P<n>{_NUM})万元"
)
_BASE_LIMIT = re.compile(rf"单笔(?P<what>贷款)最高(?P<n>{_NUM})万元")
_THRESHOLD = re.compile(
    rf"(?P<measure>年度[\u4e00-\u9fa5]{{2,12}}?)(?P<op>达|超过|超)(?P<n>{_NUM})万元(?P<ge>及以上|以上)?"
)
_TIER = re.compile(rf"(?P<level>国家级|省级|市级)(?P<n>{_NUM})万元")
_FIXED = re.compile(rf"给予[^，。最]*?(?P<n>{_NUM})万元")
_VOUCHER = re.compile(r"设立([\u4e00-\u9fa5]{1,6}券)")
_YEARS_CYCLE = re.compile(r"(?:支持)?周期为?(?P<n>\d+|[一二三四五六七八九十])年")
_YEARS_MAX = re.compile(r"(?P<word>最长|期限不超过)(?P<n>\d+|[一二三四五六七八九十])年")
_SUBJECT_SUFFIX = re.compile(r"(机构|企业|单位|数商|主体|园区|社区|实验室|项目|工厂)$")
_SUBJECT_PATTERNS = (
    re.compile(r"的(?P<s>[\u4e00-\u9fa5]{2,10}(?:机构|企业|单位|数商|主体|园区))$"),
    re.compile(r"遴选一批(?P<s>[\u4e00-\u9fa5]{2,16}?项目)"),
    re.compile(r"对(?P<s>[^，]*?)(?:使用|按照|按|给予|依规|择优|$)"),
    re.compile(r"给予(?:每个)?(?P<s>[\u4e00-\u9fa5]{2,6}?)(?:最高|每年|\d)"),
    re.compile(r"支持(?P<s>[\u4e00-\u9fa5]{0,4}企业)"),
    re.compile(r"将(?P<s>[\u4e00-\u9fa5]{2,8}企业)纳入"),
    re.compile(r"对(?P<s>[\u4e00-\u9fa5]{2,6})给予"),
)

# Bases as users and clauses name them → one canonical key the answer engine matches on.
BASE_ALIASES = {
    "项目总投入资金": "项目总投入",
    "实际服务金额": "实际服务总额",
}

# Money-bearing clauses with nothing an enterprise can compute, and why (hand-written readings).
NON_COMPUTABLE_REASONS = {
    "4.1": "“不低于50%”是市级科技研发资金的安排比例，不是对企业的补贴标准。",
}

# Readings the text leaves open. Shown in every answer that uses the rule.
AMBIGUITY_NOTES = {
    "3.4": "原文“给予50%最高20万元补助，补助期限不超过三年”未写明20万元上限是每年还是三年合计；"
           "本计算按一个年度（一次申报）上限计算，多年合计以责任单位实施细则为准。",
    "2.3": "原文的门槛看“年度专业服务业务收入/年度专业服务累计”，奖励按“实际服务总额/金额”计算；"
           "未单独提供门槛金额时，本计算假定两者相同。",
    "10.3": "“单笔贷款最高1000万元”是纳入风险补偿的贷款额度，本计算把贷款本金损失按不超过1000万元计。",
}


def extract_rules(clause: Clause) -> list[Rule]:
    """All amount rules in one clause, in text order; ``[]`` if the clause has none.

    >>> from assistant.types import Clause
    >>> c = Clause("9.9", "d", 9, "t", 9, "对企业按照研发成本的30%给予最高500万元补助。")
    >>> r = extract_rules(c)[0]
    >>> (r.kind.value, r.base, r.rate.text, r.cap.text)
    ('rate', '研发成本', '30%', '最高500万元')
    """
    if clause.id in NON_COMPUTABLE_REASONS:
        return []
    rules: list[Rule] = []
    voucher_m = _VOUCHER.search(clause.text)
    for k, seg in enumerate(_award_segments(clause.text), start=1):
        rule = _rule_from_segment(clause, f"{clause.id}-{k}", seg, voucher_m.group(1) if voucher_m and voucher_m.group() in seg else None)
        if rule is not None:
            rules.append(rule)
    # renumber so ids are dense: 1.3-1, 1.3-2 …
    return [_renumber(r, f"{clause.id}-{i}") for i, r in enumerate(rules, start=1)]


def non_computable(clauses: list[Clause] | tuple[Clause, ...]) -> list[NonComputable]:
    return [NonComputable(c.id, NON_COMPUTABLE_REASONS[c.id]) for c in clauses if c.id in NON_COMPUTABLE_REASONS]


def build_rule_table(clauses: list[Clause] | tuple[Clause, ...]) -> list[Rule]:
    out: list[Rule] = []
    for c in clauses:
        out.extend(extract_rules(c))
    return out


# ---------------------------------------------------------------- segmentation


def _phrases(text: str) -> list[str]:
    """Split on ， ； 。 outside brackets and quotes."""
    out, buf, depth = [], [], 0
    for ch in text:
        if ch in "（(“‘《":
            depth += 1
        elif ch in "）)”’》":
            depth = max(0, depth - 1)
        if ch in "，；。" and depth == 0:
            if buf:
                out.append("".join(buf))
            buf = []
            continue
        buf.append(ch)
    if buf:
        out.append("".join(buf))
    return [p.strip() for p in out if p.strip()]


def _award_segments(text: str) -> list[str]:
    """Group phrases into segments, each ending with an award phrase and its qualifiers."""
    segments: list[list[str]] = []
    current: list[str] = []
    after_award = False
    for ph in _phrases(text):
        is_award = bool(_AWARD.search(ph))
        if after_award:
            qualifier = (not is_award and not ph.startswith("对") and _QUALIFIER.search(ph)
                         and re.search(r"\d|[一二三四五六七八九十]年", ph))
            if qualifier:
                current.append(ph)
                continue
            segments.append(current)
            current, after_award = [], False
        current.append(ph)
        if is_award:
            after_award = True
    if after_award:
        segments.append(current)
    return ["，".join(s) for s in segments]


# ---------------------------------------------------------------- reading one segment


def _wan(text: str) -> Decimal:
    return Decimal(text) * WAN


def _rule_from_segment(clause: Clause, rule_id: str, seg: str, voucher: str | None) -> Rule | None:
    notes: list[str] = []
    award_m = None
    for award_m in _AWARD_NOUN.finditer(seg):
        pass
    award_noun = award_m.group(1) if award_m else "支持"
    subject = _subject(seg)
    conditions = tuple(_conditions(seg))

    base_limit = None
    seg_for_caps = seg
    bl = _BASE_LIMIT.search(seg)
    if bl:
        base_limit = Quantity(bl.group(), _wan(bl.group("n")))
        seg_for_caps = seg.replace(bl.group(), "")

    cap = None
    cap_scope = ""
    cap_m = _CAP.search(seg_for_caps)
    if cap_m:
        cap = Quantity(_cap_text(cap_m), _wan(cap_m.group("n")))
        cap_scope = cap_m.group("scope") or _cap_scope_from_context(seg_for_caps, cap_m)

    threshold = None
    th_m = _THRESHOLD.search(seg)
    if th_m:
        comparator = Comparator.GE if th_m.group("op") == "达" else Comparator.GT
        th_text = th_m.group()[len(th_m.group("measure")):]
        threshold = Threshold(th_m.group("measure"), comparator, Quantity(f"{th_m.group('n')}万元", _wan(th_m.group("n"))), th_text)

    period, years = _period(seg, cap_scope)
    kind: RuleKind
    rate = fixed = None
    tiers: tuple[tuple[str, Quantity], ...] = ()
    base = base_key = None
    rate_is_max = False

    rate_m = _RATE.search(seg)
    tier_ms = list(_TIER.finditer(seg))
    fixed_m = _FIXED.search(seg)
    if rate_m:
        kind = RuleKind.RATE
        base = rate_m.group("base")
        for lead in ("不超过",):
            base = base.removeprefix(lead)
        base_key = BASE_ALIASES.get(base, base)
        rate_text = rate_m.group("rate").replace(" ", "")
        rate = Quantity(rate_text, Decimal(rate_text.rstrip("%％")) / 100)
        rate_is_max = bool(rate_m.group("max")) or "不超过" in seg[max(0, rate_m.start() - 2): rate_m.start("base") + 3]
        if rate_is_max:
            notes.append(f"原文比例为“{'不超过' if '不超过' in seg else '最高'}{rate_text}”，按该比例算出的是可获得金额的上限。")
    elif len(tier_ms) >= 2:
        kind = RuleKind.TIERED
        tiers = tuple((m.group("level"), Quantity(m.group(), _wan(m.group("n")))) for m in tier_ms)
    elif fixed_m:
        kind = RuleKind.FIXED
        fixed = Quantity(f"{fixed_m.group('n')}万元", _wan(fixed_m.group("n")))
        if cap and cap.value == fixed.value:
            cap = None
    elif cap:
        kind = RuleKind.CAP_ONLY
        notes.append("原文只规定了上限（最高金额），具体金额由责任单位评审确定，本工具只给出上限。")
    else:
        return None

    if clause.id in AMBIGUITY_NOTES:
        notes.append(AMBIGUITY_NOTES[clause.id])
    cap_aggregates = cap_scope in {"同一主体年度", "累计", "单个区", "年度"}
    name = _name(kind, voucher, subject, base, award_noun)
    return Rule(
        id=rule_id, clause_id=clause.id, kind=kind, segment=seg, name=name, subject=subject,
        conditions=conditions, base=base, base_key=base_key, rate=rate, rate_is_max=rate_is_max,
        cap=cap, cap_scope=cap_scope, cap_aggregates=cap_aggregates, threshold=threshold,
        fixed=fixed, tiers=tiers, period=period, years=years, base_limit=base_limit, notes=tuple(notes),
    )


def _cap_text(m: re.Match) -> str:
    text = m.group()
    # Keep the cap's own words ("累计最高500万元"), not the scope noun before them.
    scope = m.group("scope") or ""
    if scope and scope != "累计":
        text = text[len(scope):]
    return text.removeprefix("奖励金额")


def _cap_scope_from_context(seg: str, m: re.Match) -> str:
    before = seg[: m.start()]
    sm = re.search(r"(每个专项|单个项目|单个区)$", before.rstrip("，"))
    return sm.group(1) if sm else ""


def _period(seg: str, cap_scope: str) -> tuple[str, int | None]:
    cyc = _YEARS_CYCLE.search(seg)
    if "每年" in seg and cyc:
        return f"每年，支持周期{cyc.group('n')}年", chinese_to_int(cyc.group("n"))
    mx = _YEARS_MAX.search(seg)
    if mx:
        word = "最长" if mx.group("word") == "最长" else "不超过"
        return f"{word}{mx.group('n')}年", chinese_to_int(mx.group("n"))
    if "一次性" in seg:
        return "一次性", None
    if cap_scope == "累计" or "累计最高" in seg:
        return "累计", None
    if "年度" in seg:
        return "年度", None
    return "", None


def _subject(seg: str) -> str:
    """Who receives the award: the direct recipient if named, else the most specific candidate."""
    direct = re.search(r"(?:对|给予)(?P<s>所在区|运营主体|初创企业|[\u4e00-\u9fa5]{2,6}?)给予", seg) or \
        re.search(r"给予(?P<s>所在区|初创企业)", seg)
    if direct:
        return direct.group("s")
    candidates: list[str] = []
    for ph in _phrases(seg):
        for pat in _SUBJECT_PATTERNS:
            for m in pat.finditer(ph):
                s = m.group("s")
                if "的" in s:
                    s = s.rsplit("的", 1)[1]
                s = s.strip("，、 ")
                if 2 <= len(s) <= 40 and not re.search(r"\d", s):
                    candidates.append(s)
    if not candidates:
        return "申报单位"
    preferred = [c for c in candidates if _SUBJECT_SUFFIX.search(c)]
    return max(preferred or candidates, key=len)


def _conditions(seg: str) -> list[str]:
    """Eligibility phrases as written (without the award itself)."""
    out = []
    for ph in _phrases(seg):
        m = re.search(r"对(?P<c>.+?)(?:给予|按照|按|使用|择优|依规|$)", ph)
        cond = m.group("c") if m else (ph if not _AWARD.search(ph) else "")
        cond = cond.strip("，、 ").removeprefix("且")
        if not cond or _QUALIFIER.match(cond) or re.search(r"(最高|不超过)\d+万元$", cond):
            continue
        if "的" in cond or cond.startswith("首") or re.search(r"(首次|入选|获批|获评|通过评审|符合标准|优秀|达\d|超过?\d)", cond):
            out.append(cond)
    return out


def _name(kind: RuleKind, voucher: str | None, subject: str, base: str | None, award: str) -> str:
    if voucher:
        return f"{voucher}{award}"
    if kind is RuleKind.RATE and base:
        return f"{subject}{award}（按{base}计）"
    return f"{subject}{award}"


def _renumber(rule: Rule, new_id: str) -> Rule:
    from dataclasses import replace

    return replace(rule, id=new_id)
