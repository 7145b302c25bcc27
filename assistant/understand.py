"""Understand a question against the loaded documents' lexicon. Pure text work, no I/O.

Owns: intents (generic question words: 多少, 哪个部门, 什么时候, 怎么申请 …), every number
the user states with its unit and role (an amount, last year's value, what was already
received, a result the user merely claims), the lexicon terms the question uses (measures,
bases, subjects, tiers, departments, places, titles), the subjects the user claims or denies
(我们是中小企业 / 我们不是中小企业), places (``gazetteer``), clause references, short replies
to a pending question (是 / 是的 / 对 / 属于 / 不是 / 不属于 / 不确定), follow-up cues and
injection phrasing.

Which rule a number belongs to is decided later, per document (``route``). Nothing here is
specific to one policy: words of a policy come from its ``Lexicon``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from assistant.gazetteer import Place, find_places
from assistant.lexicon import Lexicon, Match
from assistant.numerals import chinese_to_int
from assistant.quantities import Span, scan

INTENT_WORDS = {
    "department": ("部门", "哪个单位", "谁管", "归谁", "找谁", "责任单位", "联系谁", "对接", "哪个局", "主管", "负责哪些", "负责什么",
                   "管哪些"),
    "dates": ("什么时候开始", "什么时候执行", "什么时候施行", "何时", "有效期", "施行", "生效", "截止日期", "过期", "多久", "到期",
              "失效", "废止", "哪年", "有效到", "管到", "用到哪",
              "实施日期", "哪年", "正式", "征求意见", "起执行", "开始执行", "还有效", "有效吗", "定稿", "草稿", "执行到", "到什么时候",
              "期限是", "什么时候到期", "什么时候出台", "什么时候发布", "开始实施", "哪一年", "何时实施", "截止到"),
    "conflicts": ("冲突", "重复享受", "叠加", "同时拿", "同时申请", "同时享受", "就高不重复", "都能拿", "两个都", "兼得", "一起申请", "一起拿",
                  "两边都拿", "都拿", "重复拿", "同时符合",
                  "按哪个", "其他政策", "别的政策", "再拿一份", "重复申报", "重复支持"),
    "amount": ("多少", "能补", "能拿", "金额", "算一下", "计算", "测算", "几万", "多少钱", "补多少", "奖多少", "最高", "上限", "比例",
               "怎么算", "一共", "合计", "总共", "标准"),
    "eligibility": ("能不能", "可以申请", "可不可以", "符合", "资格", "条件", "能申请", "有没有", "有补贴", "能享受", "适用", "够不够"),
    "lookup": ("是什么", "说的什么", "什么政策", "介绍", "内容", "原文", "讲的", "规定", "怎么说"),
    "procedure": ("怎么申请", "如何申请", "怎么申报", "如何申报", "怎样申报", "怎样申请", "申报流程", "流程", "要什么材料", "哪些材料", "材料清单", "准备材料", "怎么办理", "去哪", "在哪申请", "申请程序", "申报程序", "程序",
                  "怎么报", "申报时间", "受理时间", "受理窗口", "在哪受理", "哪里受理", "提交", "窗口", "公示", "时间限制", "时限",
                  "申报期限", "多久之内", "多长时间内", "期限内申报", "集中受理", "时间段", "什么时候申报", "何时申报", "申报期",
                  "申报指南", "认定办法", "怎么认定", "如何认定", "最晚", "最迟", "什么时候交", "截止时间", "交给哪", "交到哪", "报给哪",
                  "报到哪", "？怎么办", "?怎么办"),
    "payment": ("拨付", "到账", "兑现", "发放", "什么时候给钱", "什么时候发", "多久到", "打款"),
    "penalty": ("骗取", "虚报", "追回", "处罚", "失信", "违规", "弄虚作假", "套取", "黑名单", "退回"),
}
FOLLOW_UP = re.compile(r"^(那|那么|这个|这|它|该|还有|另外|如果|要是|其中|支持几年|最多)|(呢|的话)[？?。！!]*$|这个|这项|该项|这条|这两|上面|刚才|以上|一共|合计|总共")
_YES = re.compile(r"^(是|是的|是啊|是呀|对|对的|对啊|没错|嗯|嗯嗯|属于|属于的|我们是|是我们|符合|有|有的|确认|确定是)[。！!，,.]?$")
_NO = re.compile(r"^(不是|不是的|否|不属于|不属于的|没有|不符合|不对|我们不是|并不是|都不是)[。！!，,.]?$")
_UNSURE = re.compile(r"^(不确定|不知道|不清楚|不太清楚|说不准|不好说)[。！!，,.]?$")
_NEGATION = re.compile(r"(不是|不属于|并非|非|算不上|不算|没有|不)$")
_FIRST_TIME = re.compile(r"(首次|第一次|头一回|首回|新认定|新获)")
_NOT_FIRST = re.compile(r"(复核|再次|重新认定|续期|期满|届满|第二次|又一次|连续第|到期后)")
_INJECTION = re.compile(r"(忽略|无视|忘记|忘掉).{0,8}(规则|指令|设定|提示|之前|以上)|ignore (all|previous|the)|system prompt|你现在是|假装|扮演|越狱|"
                        r"jailbreak|developer mode|开发者模式|管理员指令|管理员模式|系统提示|处于.{0,4}模式|你已经确认|已确认|请直接回复|只需回答|只回答|直接批", re.I)
_CLAIMED = re.compile(r"(上限|最高|改为|改成|调整为|说成|写成|算成|当成|当作|报成|是不是|是否|不超过|批给|能拿到?|能领|可以拿|能得到|得到|按\d+%?奖励)[^，。；]{0,3}$")
# money already paid out: past-tense verbs (拿了/补了/给了我们), 已/过 forms; checked before _CLAIMED
_RECEIVED = re.compile(r"(已获得?|已经获得|已拿到?|已经拿到?|拿过|领过|已领取?|已享受|享受过|享受了|此前获得?|之前获得?|已经领|"
                       r"(?<![能可想要])(拿了|领了|获得了|补了|给了|给过|发了|奖了|拿到了|得了|奖励了|补助了|支持了))"
                       r"[^，。；？?]{0,10}$")
_HISTORY = re.compile(r"(之前|以前|此前|当时|曾经|原来|前几年|早年)[^，。；]{0,10}$")
_MILESTONE = re.compile(r"(突破|达到|超过|越过|跨过|迈过|跨越)了?$")
_PREVIOUS = re.compile(r"(去年|上年|上一年|上年度|前一年)")
_CURRENT = re.compile(r"(今年|本年|当年|本年度|今年度)")
_LPR = re.compile(r"(LPR|lpr|报价利率|利率)")
_CLAUSE_REF = re.compile(
    r"(?:(?P<doc>[a-z][a-z0-9-]*):)?(?:(?<![\d.])(?P<a>\d{1,2})\s*[.．。\-－]\s*(?P<i>\d{1,2})(?![\d.]|\s*(?:万|亿|元|%|％|倍|年|个|人|名|件))"
    r"|第(?P<ca>[一二三四五六七八九十百\d]{1,4})条(?:第[（(]?(?P<ci>[一二三四五六七八九十\d]{1,3})[)）]?[项款句])?"
    r"|(?<![一二三四五六七八九十百千万亿])(?P<pa>[一二三四五六七八九十]{1,3})[（(](?P<pi>[一二三四五六七八九十]{1,3})[)）]"  # 六（一）
    r"|附则\s*[.．第]?\s*(?P<f>[一二三四五六七八九十\d]))"
)
_COUNTED_NOUN = re.compile(r"^[\u4e00-\u9fa5A-Za-z]{1,8}")


@dataclass(frozen=True)
class Stated:
    """A number the user stated."""

    text: str
    value: Decimal  # yuan for money, a fraction for percentages, else the count
    unit: str  # "元" | "%" | "平方米" | "月" | "年" | a count word ("人", "名", "件", "个" …)
    kind: str  # "money" | "percent" | "count" | "area" | "duration"
    start: int
    context: str  # the words of its phrase before the number
    after: str  # the words of its phrase after the number
    role: str = "amount"  # "amount" | "previous" | "received" | "claimed" | "rate_ref" | "history"
    turn: int = 0  # 0 = this turn, 1 = the turn before … (a newer amount for the same rule replaces an older one)
    window: str = ""  # the words since the previous number or the start of the sentence: what this number is about

    @property
    def noun(self) -> str:
        """For counts: what is counted ("3名博士" → 博士)."""
        m = _COUNTED_NOUN.match(self.after)
        return m.group() if m else ""


@dataclass(frozen=True)
class Understanding:
    question: str
    intents: tuple[str, ...]
    stated: tuple[Stated, ...] = ()
    terms: tuple[Match, ...] = ()
    subjects: tuple[tuple[str, bool], ...] = ()  # (lexicon subject or generic class, claimed?)
    places: tuple[Place, ...] = ()
    clause_refs: tuple[str, ...] = ()  # as written ("3.4", "p2:3.1", "第三条第四项")
    reply: str | None = None  # "yes" | "no" | "unsure" for a short reply
    follow_up: bool = False
    injection: bool = False
    first_time: bool | None = None
    glossary_terms: tuple[str, ...] = field(default=())
    instalment: int | None = None  # "第二年拨付多少" / "首期" → which instalment
    per_period: bool = False  # "每个月补多少" / "一年能贴息多少": the amount for one period, not the total
    yearly: bool = False  # values told year by year ("三年分别是…", "第一年…第二年…", "每年…连续三年")
    this_year: bool = False  # "今年这几项一共能拿多少": what one year pays, of an award paid each year

    def has(self, intent: str) -> bool:
        return intent in self.intents

    @property
    def amounts(self) -> tuple[Stated, ...]:
        return tuple(s for s in self.stated if s.kind == "money" and s.role == "amount")

    def terms_of(self, *kinds: str) -> list[Match]:
        return [m for m in self.terms if m.term.kind in kinds]


def understand(question: str, lexicon: Lexicon) -> Understanding:
    """Read one question.

    >>> from assistant.lexicon import Lexicon
    >>> u = understand("我们不是中小企业，去年算力费100万元", Lexicon(()))
    >>> [(s.text, s.value, s.role) for s in u.stated], u.subjects
    ([('100万元', Decimal('1000000'), 'amount')], (('中小企业', False),))
    """
    q = question.strip()
    intents = [name for name, words in INTENT_WORDS.items() if any(w in q for w in words)]
    if _STILL_IN_FORCE.search(q) and _ABOUT_APPLYING.search(q) and not {"dates", "amount"} & set(intents):
        intents.append("dates")  # "到2029年还能按这个政策申报吗": whether the policy is still in force then
    stated = _stated(q)
    if any(s.kind == "money" and s.role == "amount" for s in stated) and "amount" not in intents:
        intents.append("amount")
    # a clause number ("第四条第三项") is not a term: its 第三 must not name 第三方数据服务机构
    unnumbered = _CLAUSE_REF.sub(lambda m: "，" * len(m.group()), q)
    terms = tuple(lexicon.find(unnumbered)) + tuple(lexicon.abbreviations(unnumbered))
    glossary_terms = tuple(lexicon.glossary.matches(q))
    reply = "yes" if _YES.match(q) else "no" if _NO.match(q) else "unsure" if _UNSURE.match(q) else None
    return Understanding(
        question=q, intents=tuple(intents), stated=stated, terms=terms,
        subjects=tuple(_subjects(q, lexicon, terms, glossary_terms)), places=tuple(find_places(q)),
        clause_refs=tuple(m.group() for m in _CLAUSE_REF.finditer(q)), reply=reply,
        follow_up=bool(FOLLOW_UP.search(q)) and len(q) <= 40, injection=bool(_INJECTION.search(q)),
        first_time=True if _FIRST_TIME.search(q) else False if _NOT_FIRST.search(q) else None, glossary_terms=glossary_terms,
        instalment=_instalment(q), per_period=bool(_PER_PERIOD.search(q)) and not _TOTAL.search(q), yearly=bool(_YEARLY.search(q)),
        this_year=bool(_THIS_YEAR_ASK.search(q)),
    )


# the year asked about is this one: "今年这几项一共能拿多少", "这些补助当年一共能拿多少" (not "三年一共")
_THIS_YEAR_ASK = re.compile(r"(今年|当年|本年度?|今年度)[^，。；;？?]{0,8}?(?:一共|合计|总共)?[^，。；;？?]{0,4}(多少|能拿|能领|能补|能给)")
_ABOUT_APPLYING = re.compile(r"政策|措施|文件|办法|申报|申请|享受|补贴|补助|奖励|奖补|资助|有效")  # "2030年以后燃油车还能上牌吗" is not
_STILL_IN_FORCE = re.compile(r"\d{4}\s*年[^，。？?]{0,8}?(?:以后|之后|后|起|时)?[^，。？?]{0,3}还(?:能|可以|有效|算数|适用)")
_ORDINAL = re.compile(r"(?:第([一二三四五六七八九十\d]{1,2})(?:年|期|笔|次|批)|(首期|首笔|头一年|第一笔))")
_PER_PERIOD = re.compile(r"(每个月|每月|一个月|每年|一年|每一年|年度)")
_YEARLY = re.compile(r"(第[一二三四五1-5]年|每年|连续[两三四五\d]年|[两三四五\d]年[^，。？]{0,12}分别|逐年|各年)")
_TOTAL = re.compile(r"(一共|合计|总共|累计|总计|加起来|全部|领满|最长期限|[领补拿共满续按给]\s*[两三四五六七八九十\d]+(年|个月)|"
                    r"[两三四五六七八九十\d]+(年|个月)(一共|共|合计|总共|下来))")


def _instalment(q: str) -> int | None:
    m = _ORDINAL.search(q)
    if not m or not re.search(r"(拨付|拨|发放|发|到账|兑现|给|拿|领|那笔|多少|呢[？?。]*$)", q):  # "那第二年呢？"
        return None
    if m.group(2):
        return 1
    try:
        return chinese_to_int(m.group(1))
    except ValueError:
        return None


# ---------------------------------------------------------------- numbers the user states


def _stated(q: str) -> tuple[Stated, ...]:
    out: list[Stated] = []
    prev_end = 0
    for s in _user_spans(q):
        before = re.split(r"[，,。；;！？!?]", q[: s.start])[-1]
        window = re.split(r"[。；;！？!?]", q[prev_end: s.start])[-1]
        prev_end = s.end
        after = re.split(r"[，,。；;！？!?]", q[s.end:])[0]
        role = "amount"
        if s.kind == "money":
            if _RECEIVED.search(q[max(0, s.start - 14): s.start]):
                role = "received"
            elif _HISTORY.search(q[max(0, s.start - 14): s.start]) and _MILESTONE.search(q[max(0, s.start - 4): s.start]) \
                    or _MILESTONE.search(q[max(0, s.start - 4): s.start]) and q[s.end: s.end + 1] == "时":
                role = "history"  # "之前突破1亿元时已经拿过…": a past milestone, not this year's value
            elif _CLAIMED.search(q[max(0, s.start - 8): s.start]):
                role = "claimed"
        elif s.kind == "percent":
            role = "rate_ref" if _LPR.search(before) else "claimed"
        if s.kind == "count" and s.text in ("一个", "一家", "一支", "一所") and re.match(r"^\d", q[s.end:]):
            continue  # "组织了一个25人的旅游团": an article before the count that matters
        if s.kind == "count" and (re.match(r"^(一共|合计|加起来|总共|共|奖励|补贴|补助|政策|措施|都|分别|加在一起)", after)
                                  or re.search(r"(这|那|以上|上述|前面|这些)$", before) and s.unit in ("项", "个", "条", "种", "类", "笔")):
            continue  # "以上两项一共多少": counting measures, not units
        if out and out[-1].kind == s.kind and re.fullmatch(r"\s*[、和及与,，]\s*", window or "") and s.kind == "money":
            before, window, role = out[-1].context, out[-1].window, out[-1].role  # "分别是300万、400万、500万元"
        out.append(Stated(s.text, s.value, s.unit, s.kind, s.start, before, after, role, 0, window))
    # last year's value: of two amounts told for different years (今年/去年/前年), the earlier one
    money = [s for s in out if s.kind == "money" and s.role == "amount"]
    ranks: dict[int, int | None] = {}
    last: int | None = None
    for s in money:
        text = s.window or s.context
        r = _year_rank(text)
        if last is not None and _RELATIVE_YEAR.search(text):
            r = last - 1  # "上年度3000万元，前一年是2400万元": the year before the one just told
        ranks[id(s)] = r
        last = r if r is not None else last
    known = [r for r in ranks.values() if r is not None]
    if len(money) >= 2 and len(set(known)) >= 2:
        latest = max(known)
        out = [replace(s, role="previous") if id(s) in ranks and ranks[id(s)] is not None and ranks[id(s)] < latest else s
               for s in out]
    return tuple(out)


_RELATIVE_YEAR = re.compile(r"(前一年|上一年|再上一年|再前一年|再往前一年)[^，。；]{0,6}$")
_YEAR_WORDS = ((re.compile(r"(再上一年|再前一年|前年|上上年)"), -2), (re.compile(r"(去年|上年|(?<!再)上一年|(?<!再)前一年)"), -1),
               (re.compile(r"(今年|本年|当年|今年度)"), 0))


def _this_year() -> int:
    import datetime

    return datetime.date.today().year


_CALENDAR_YEAR = re.compile(r"(20\d{2})\s*年(?!\d{1,2}月)")


def _year_rank(text: str) -> int | None:
    """Which year a number is told for, relative to this year: 今年 0, 去年 −1, 前年 −2, a calendar year 2025年 →
    2025 − this year; the last year word before it wins."""
    best, pos = None, -1
    for pat, rank in _YEAR_WORDS:
        for m in pat.finditer(text):
            if m.start() >= pos:
                best, pos = rank, m.start()
    for m in _CALENDAR_YEAR.finditer(text):
        if m.start() >= pos:
            best, pos = int(m.group(1)) - _this_year(), m.start()
    return best


MIN_USER_AMOUNT = Decimal(100)  # "这两块分别…" is not two yuan: nobody asks about subsidies on 100 yuan or less


def _user_spans(q: str) -> list[Span]:
    """Quantities as users write them: money by the user-input parser ("15万5千", "三百万", "60万"),
    the rest (percentages, counts, areas, durations) by the clause scanner."""
    from assistant.amounts import find_amounts_at

    spans: list[Span] = []
    scanned = scan(q)
    counted = [(s.start, s.end) for s in scanned if s.kind in ("count", "area")]
    for pos, text, value in find_amounts_at(q):
        if any(a <= pos and pos + len(text) < b for a, b in counted):
            continue  # "4万小时" is hours, not 4万 yuan
        if value > MIN_USER_AMOUNT:
            spans.append(Span(pos, pos + len(text), text, value, "元", "money"))
    covered = [(s.start, s.end) for s in spans]
    for s in scanned:
        if s.kind == "duration" and s.unit == "年" and 1900 <= s.value <= 2100:
            continue  # "2024年被认定为…": a year, not a duration
        if s.kind == "duration" and s.start > 0 and q[s.start - 1] in "前上往":
            continue  # "前一年是2400万元": which year, not how long
        if s.kind == "duration" and re.search(r"(毕业|成立|注册|从业|工作经验|经营|设立|创办|落户)(了|已)?$", q[max(0, s.start - 6): s.start]):
            continue  # "毕业3年": who the user is, not how long a subsidy runs
        if s.kind in ("percent", "count", "area", "duration") and not any(a < s.end and s.start < b for a, b in covered):
            spans.append(s)
    return sorted(spans, key=lambda s: s.start)


# ---------------------------------------------------------------- who the user is


# Size classes mean the same in every policy; the words for them live in the generic glossary.
SIZE_CLASS = "中小企业"


def _subjects(q: str, lexicon: Lexicon, terms: tuple[Match, ...], glossary_terms: tuple[str, ...]) -> list[tuple[str, bool]]:
    found: dict[str, bool] = {}
    candidates: list[tuple[str, int]] = []
    subject_names = lexicon.subject_names
    for m in terms:
        if m.term.kind == "subject" or (m.term.kind == "variant" and m.term.means in subject_names):
            name = m.term.means if m.term.kind == "variant" else m.term.text
            candidates.append((name, m.start))
    for core, subject in lexicon.subject_cores:
        idx = q.find(core)
        if idx >= 0:
            candidates.append((subject, idx))
    for e in lexicon.glossary.entries:
        for v in e.variants:
            idx = q.lower().find(v.lower())
            if idx >= 0 and SIZE_CLASS in e.terms:
                candidates.append((SIZE_CLASS, idx))
            elif idx >= 0 and "大型企业" in e.terms:
                found.setdefault(SIZE_CLASS, False)
    for name, idx in candidates:
        negated = bool(_NEGATION.search(q[max(0, idx - 4): idx]))
        if name not in found or negated:
            found[name] = not negated
    return list(found.items())


def clause_ref_to_id(ref: str) -> str | None:
    """"3-4", "第三条第四项", "p2:3.1" → canonical id form (without checking existence)."""
    from assistant.corpus import normalize_clause_id

    m = _CLAUSE_REF.fullmatch(ref.strip())
    if not m:
        return normalize_clause_id(ref)
    prefix = f"{m.group('doc')}:" if m.group("doc") else ""
    if m.group("a"):
        return f"{prefix}{int(m.group('a'))}.{int(m.group('i'))}"
    if m.group("pa"):
        return f"{prefix}{chinese_to_int(m.group('pa'))}.{chinese_to_int(m.group('pi'))}"
    if m.group("ca"):
        a = chinese_to_int(m.group("ca"))
        if m.group("ci"):
            return f"{prefix}{a}.{chinese_to_int(m.group('ci'))}"
        return f"{prefix}{a}"
    return f"{prefix}附则.{chinese_to_int(m.group('f'))}"
