"""Is a question covered by the documents in force? A calibrated decision on evidence, not word lists.

Owns ``evidence(...)`` (what the question and retrieval show) and ``judge(evidence, thresholds)``:
``answer``, ``maybe`` (answer "可能相关的条款" with the top clauses and no amounts) or ``refuse``.

* places: a place the question names (``gazetteer``) that no document in force belongs to or
  mentions is another jurisdiction → refuse;
* clause references, departments the documents name, and questions about the document itself
  (its dates, conflicts) → answer;
* lexicon coverage: the question's words (jieba precise mode, question words dropped) split into
  words that name something in a document (its terms, low-frequency words, their glossary and
  variant forms), other words the documents use, and words no document uses. **A word that any
  active document uses never counts against a question**; only unknown words do;
* retrieval: the best dense similarity;
* what the question asks about, when a rule can tell it is another matter: the thing it asks the amount
  or rule of is a noun no document has (堆存费, 税率, 契税); a procedure question's object names no support
  and holds an everyday noun no document uses (消防验收, 外汇登记); a support named for things no
  document speaks of (养老机构床位运营补贴) → refuse. A document's own region and the words every
  question asks with (比例, 上限) are not evidence either way.

``evidence = strong_weight × strong + common − unknown``. The thresholds in ``CALIBRATED`` come from
``eval/calibrate_scope.py`` (fewest false refusals first, then most out-of-scope questions refused, on
the gold and round-1 blind sets); the trade-off table is in ``docs/benchmarks.md``.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, field, replace

from assistant.text import is_common_noun, names_a_thing, word_tag, words

# Question words that carry no topic (in any policy).
QUESTION_WORDS = set("""补贴 补助 奖励 支持 资金 政策 企业 公司 申请 多少 怎么 如何 可以 能 有 钱 元 万元 万 请问 一下 条件 标准 规定 措施 相关
哪些 什么 享受 获得 领取 给予 优惠 扶持 项目 我们 我 想 要 需要 办理 问 问题 今年 明年 去年 年度 每年 能否 是否 补 奖 拿 花 花了 费用 多
少 元钱 块 块钱 情况 方面 一些 那些 这些 的话 有关 关于 对于 部门 单位 时间 具体 全部 所有 我司 本司 贵司 属于 一共 总共 合计 加起来
能补 能拿 可以拿 大概 左右 大约 差不多 听说 是不是 对不对 告诉 帮我 麻烦 政府 市里 区里 县里 国家 本地 这边 那边 当地 还有 怎样 有没有
知道 了解 咨询 看看 查 查询 搞 做 弄 办 多久 几 个 家 一家 一个 现在 目前 最近 已经 刚 刚刚 打算 准备 计划 如果 的 了 吗 呢 吧 啊 最多 最高
能给 给 多少钱 能领 可以 怎么办 有没有 能不能 哪个 哪里 谁 怎么样 一年 今年度 主要 时候 开始 结束 哪天 几号 哪一年 什么时候 到底
是否 还是 或者 以及 这个 那个 这项 该项 具体 日期 一天 哪一天 哪天 日子 不能 这种 那种 这样 那样 这是 印发 文件 征求意见稿 正式 起止 几年 试行 暂行 发布 出台 定稿 草案 为止 截至 截止 最晚 最迟 最早 这份 那份 此项 现在 眼下 如今
后果 时间段 环节 影响 途径 渠道 步骤 方式 办法 结果 多长 处理 操作 回事 意思 含义 区别 关系
说法 照顾 好处 甜头 实惠 帮助 帮忙 优待 待遇""".split())


@dataclass(frozen=True)
class Thresholds:
    strong_weight: float = 2.0  # a word that names something in a document counts this much
    answer_evidence: float = 0.0  # evidence at or above which a question with a named word is answered
    maybe_evidence: float = -2.0  # evidence at or above which a question is at least "maybe"
    dense_answer: float = 0.45  # best dense similarity at which middling evidence is answered
    dense_maybe: float = 0.30  # best dense similarity at which weak evidence is "maybe"


CALIBRATED = Thresholds(**{'strong_weight': 3.0, 'answer_evidence': -1.0, 'maybe_evidence': -4.0, 'dense_answer': 0.4, 'dense_maybe': 0.25})


@dataclass(frozen=True)
class Evidence:
    decided: str = ""  # "answer" | "refuse" when a rule decides before any threshold ("" = weigh)
    reason: str = ""
    strong: int = 0
    common: int = 0
    unknown: int = 0
    dense: float = 0.0
    features: dict = field(default_factory=dict)

    @property
    def score(self) -> float:
        # an unknown everyday noun (医保, 驾驶证) says what the question is about; an unknown verb or fragment
        # of the user's own phrasing (打赢, 后来, 能报) counts half
        nouns = self.features.get("unknown_nouns", self.unknown)
        return self.common - nouns - 0.5 * (self.unknown - nouns)


@dataclass(frozen=True)
class ScopeDecision:
    decision: str  # "answer" | "maybe" | "refuse"
    reason: str
    features: dict = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return self.decision == "refuse"


def foreign_places(places, corpus, active_ids: set[str]) -> list:
    """Places no document in force belongs to or mentions."""
    out = []
    for p in places:
        covered = False
        for d in corpus.documents:
            if d.id not in active_ids:
                continue
            region = getattr(d, "region", "") or ""
            text = d.title + region + getattr(d, "issuer", "")
            if p.name in text or p.full in text or (region and (region in p.full or p.full.rstrip("市区县") in region)):
                covered = True
                break
            if any(p.full in c.text or (len(p.name) >= 2 and p.name in c.text) for c in d.clauses):
                covered = True
                break
        if not covered:
            out.append(p)
    return out


def _glued(question: str, ws: list[str], corpus, active_ids: set[str]) -> list[str]:
    """A one-character noun the tokenizer split off the noun after it ("宅" + "基地" from 宅基地) is part of that
    word: the pair is one word when no clause in force writes it, so 基地 alone is not evidence ("楼" + the
    verb "出租" stays two words)."""
    out: list[str] = []
    for w in ws:
        prev = out[-1] if out else ""
        if len(prev) == 1 and len(w) >= 2 and word_tag(prev) == "n" and is_common_noun(w) and prev + w in question \
                and not _in_force_has(prev + w, corpus, active_ids):
            out[-1] = prev + w
        else:
            out.append(w)
    return out


_INSTITUTION = re.compile(r"(?:证券|期货)?(?:联合)?交易所|联交所|证券|期货|大学|学院|医院|研究院|研究所|科学院|银行")
_ABOUT_DOCUMENT = ("dates", "conflicts")
_ADMIN_INTENTS = ("procedure", "department", "penalty", "payment")

def match_departments_of(question: str, corpus, active_ids: set[str]) -> list[str]:
    """Departments of the documents in force that the question names in full (县农业农村局)."""
    return [d for doc in corpus.documents if doc.id in active_ids for d in getattr(doc, "departments", ()) if len(d) >= 4 and d in question]


def evidence(u, hits, lexicon, corpus, active_ids: set[str], *, has_topic: bool = False) -> Evidence:
    """What decides scope for this question, before any threshold."""
    if any("exact" in h.sources for h in hits[:1]) or u.clause_refs and hits:
        return Evidence("answer", "条款编号")
    # "在上海证券交易所上市", "去香港联交所上市": the place names an institution where the user does something, not
    # whose policy is asked; "上海证券交易所的上市条件" asks about that institution itself
    foreign = [p for p in foreign_places(u.places, corpus, active_ids)
               if not (_INSTITUTION.match(u.question, p.start + len(p.name)) and p.start > 0
                       and u.question[p.start - 1] in "在去到赴于从进")]
    if foreign and match_departments_of(u.question, corpus, active_ids):
        foreign = []  # "参加了县农业农村局统一组织的上海农展会": a department of a loaded policy; 上海 is where, not whose
    if foreign and (len(foreign) < len(u.places) or any(m.term.kind == "region" and m.term.doc_id in active_ids for m in u.terms)):
        # "我们是义乌的企业，在澄川设了分拨中心": a place in force is named too, and the other is in who the user says
        # they are; "从澄川港运到上海港" still names another place as what it asks about
        from assistant.route import _IDENTITY

        who = [m.span("who") for m in _IDENTITY.finditer(u.question)]
        foreign = [p for p in foreign if not any(a <= p.start < b for a, b in who)]
    if foreign:
        return Evidence("refuse", f"问题涉及{foreign[0].full}，现行收录的政策不覆盖该地区", features={"foreign": [p.full for p in foreign]})
    if has_topic and (u.reply or u.stated or len(u.question) <= 8 or (u.follow_up and not _new_topic(u, lexicon))):
        return Evidence("answer", "追问")
    if not hits:
        return Evidence("refuse", "没有相关条款")
    from assistant.pipeline import match_departments

    if match_departments(u.question, corpus.departments):
        return Evidence("answer", "责任单位")
    place_words = {p.name for p in u.places} | {p.full for p in u.places}
    from assistant.understand import INTENT_WORDS

    asked = [w for w in INTENT_WORDS["dates"] if u.has("dates") and w in u.question]  # "失效" in 哪一年失效 is how it asks
    raw = _glued(u.question, [w for w in words(u.question) if not any(w in a for a in asked)], corpus, active_ids)
    # a document's own region ("青山县的养老机构…") says whose policy, not what it is about
    doc_names = [u.question[m.start:m.end] for m in u.terms if m.term.kind == "region"]
    ws = [w for w in raw if len(w) >= 2 and w not in QUESTION_WORDS and not any(ch.isdigit() for ch in w)
          and not any(w in p for p in place_words)]
    ws = [w for w in ws if not any(w in n for n in doc_names)] or ws  # "青山县有哪些支持政策": the document itself
    ws = [w for w in ws if w not in _MEASURE_WORDS and w not in _ATTRIBUTE_WORDS]  # 比例, 上限: how it asks, in any policy
    vocab, named, topical = lexicon.vocabulary, lexicon.distinctive, lexicon.topical
    strong = [w for w in ws if w in topical or (len(w) >= 3 and any(w in t for t in topical))]
    for a, b in zip(raw, raw[1:]):  # "数据"+"交易" → 数据交易额, "打"+"标签": two words that together name a measure
        if len(a + b) >= 3 and any(a + b in t for t in topical):
            strong += [w for w in (a, b) if w in ws and w not in strong]
    common = [w for w in ws if w not in strong and (w in vocab or w in named)]
    unknown = [w for w in ws if w not in strong and w not in common]
    dense = max((h.dense_sim for h in hits if h.dense_sim is not None), default=0.0)
    topic = _topic_words(u.question, set(ws))
    ev = Evidence("", "", len(strong), len(common), len(unknown), float(dense),
                  {"strong": strong, "common": common, "unknown": unknown, "unknown_nouns": sum(is_common_noun(w) for w in unknown),
                   # a question that tells its own figures ("去年卖了200万元") asks to compute: not an everyday matter
                   "topic_unknown": [] if any(x.kind == "money" for x in u.stated) else
                   [w for w in topic if w in unknown and is_common_noun(w)],
                   "topic_known": [w for w in topic if w not in unknown],
                   "foreign_kind": [] if any(x.kind == "money" for x in u.stated) else
                   _foreign_kind(u.question, set(unknown)) or _foreign_support(u.question, set(unknown), corpus, active_ids),
                   "asked_unknown": [w for w in _asked_actions(u.question) if w in unknown and word_tag(w) in _ACTION_TAGS]})
    if ev.features["asked_unknown"]:
        return replace(ev, decided="refuse", reason=f"问题问的是如何{ev.features['asked_unknown'][0]}，现行政策未涉及")
    head = _foreign_attribute(u, unknown, corpus, active_ids)
    if head:
        return replace(ev, decided="refuse", reason=f"问题问的是{head}，现行政策未涉及")
    if (u.has("procedure") or _ASKS_PROCEDURE.search(u.question)) and _foreign_object(u.question, unknown, lexicon, corpus, active_ids):
        return replace(ev, decided="refuse", reason="问题问的是其他事项的办理，现行政策只规定其奖补的申报")
    if not ws and any(u.has(i) for i in _ABOUT_DOCUMENT + _ADMIN_INTENTS):
        return Evidence("answer", "关于政策本身的问题", features=ev.features)
    # "青岚县这个文旅措施什么时候施行", "青岚县文旅措施的奖励去哪里提交申请": about a document the question names
    names_document = any(m.term.kind in ("region", "title") and m.term.doc_id in active_ids for m in u.terms)
    if names_document and any(u.has(i) for i in _ABOUT_DOCUMENT + _ADMIN_INTENTS) \
            and not _foreign_topic(ev, strict=True):
        return Evidence("answer", "关于所指政策本身的问题", features=ev.features)
    if any(u.has(i) for i in _ABOUT_DOCUMENT) and not unknown:
        return Evidence("answer", "关于政策本身的问题", features=ev.features)
    if u.has("department") and (strong or common) and len(unknown) <= len(strong) + len(common):
        return Evidence("answer", "问某项措施的责任单位", features=ev.features)
    # whether two awards can both be had (就高不重复) is asked about every policy, in any words ("两边能一起拿吗")
    loose = u.has("conflicts") and not any(u.has(i) for i in ("procedure", "penalty", "payment"))
    if _procedural_in_text(u, hits) and (loose or len(unknown) <= len(strong) + len(common) + 2) \
            and not _foreign_topic(ev, strict=True):
        return Evidence("answer", "问政策的申报、拨付、违规处理或重复享受规定", features=ev.features)
    return ev


def _topic_words(question: str, content: set[str]) -> list[str]:
    """The content words of the question's last phrase that has any: what it asks about ("…，农村低保怎么申请？"
    → 农村, 低保; "老板让我问下，咱们新建冷库光买设备就花了860万，市里能补多少？" → 新建, 冷库, 设备)."""
    for part in reversed(re.split(r"[，,。？?！!；;、（）()]", question)):
        ws = [w for w in words(part) if w in content]
        if ws:
            return ws
    return []


def _foreign_kind(question: str, unknown: set[str]) -> list[str]:
    """A word the documents use, named as a kind of thing they do not speak of: two or more everyday nouns no
    document uses right before it ("住房公积金贷款" where a policy speaks of 贷款 only as a business loan)."""
    for part in re.split(r"[，,。？?！!；;、（）()]", question):
        ws = words(part)
        for i, w in enumerate(ws):
            if w in unknown or len(w) < 2:
                continue
            run = 0
            for prev in reversed(ws[:i]):
                if prev in unknown and is_common_noun(prev):
                    run += 1
                else:
                    break
            if run >= 2:
                return ws[i - run:i + 1]
    return []


_SUPPORT_NOUN = re.compile(r"补贴|补助|奖励|奖金|扶持资金|专项资金|贴息|补偿")


def _foreign_support(question: str, unknown: set[str], corpus, active_ids: set[str]) -> list[str]:
    """A support named by what it is for, in words no document uses: the nouns right before 补贴/奖励…
    ("养老机构床位运营补贴": 养老 and 床位 are in no document) are at least half unknown, two or more of
    them, and no document has that name. Such a subsidy is another policy's, not a paraphrase of one here."""
    for part in re.split(r"[，,。？?！!；;、（）()的]", question):
        for m in _SUPPORT_NOUN.finditer(part):
            run = []
            for w in reversed(words(part[:m.start()])):
                # a verb inside the name ("耕地地力保护补贴") belongs to it; a question word or particle ends it
                if not (names_a_thing(w) or len(w) >= 2 and word_tag(w) in ("v", "vn")) or w in QUESTION_WORDS:
                    break
                run.insert(0, w)
            while run and not names_a_thing(run[0]):
                run.pop(0)  # "申领耕地…补贴": the verb before the name is not part of it
            strange = [w for w in run if w in unknown and (is_common_noun(w) or not word_tag(w))]
            name = "".join(run) + m.group()
            if len(strange) >= 2 and 2 * len(strange) >= len(run) and not _in_force_has(name, corpus, active_ids):
                return run + [m.group()]
    return []


def _new_topic(u, lexicon) -> bool:
    """A follow-up that brings a subject no document speaks of ("那买新能源汽车有补贴吗？"): judge it afresh."""
    if any(u.has(i) for i in _ABOUT_DOCUMENT + _ADMIN_INTENTS):
        return False  # asking about the same policy's dates, procedure or departments
    ws = [w for w in words(u.question) if len(w) >= 2 and w not in QUESTION_WORDS and not any(ch.isdigit() for ch in w)]
    known = lexicon.vocabulary | lexicon.distinctive
    return any(w.lower() not in known and is_common_noun(w) for w in ws)  # "后面几年" is not a subject of its own


_PROCEDURE_OBJECT = re.compile(
    r"(?:申请|申领|办理|办|申报|补缴|备案)([^，,。？！?!\s]{2,14}?)(?:的流程|的程序|的手续|需要|要|流程|手续|怎么|如何|时)"
    r"|(?:办理|办(?!公)|补缴|备案)([^，,。？！?!\s]{2,14}?)(?:吗|[，,。？！?!]|$)"
    r"|([^，,。？！?!\s]{2,14}?)(?:审批|(?:要|该|应该|应当|需要)?(?:怎么|如何|怎样)(?:申请|办理|申报|办|补缴|备案|报告)"
    r"|(?:需要|要)(?:准备|带|提交|满足|具备)?(?:哪些|什么)(?:材料|步骤|手续|条件|资料))")
_ASKS_PROCEDURE = re.compile(r"(?:怎么|如何|怎样|去哪里?|到哪里?|在哪里?)(?:申请|办理|申报|办|补缴|备案|报告)"
                             r"|(?:哪些|什么)[^，,。？！?!]{0,8}?(?:材料|步骤|手续|资料|程序|流程)")
_ASK_ONLY = re.compile(r"^(?:那|那么|请问|应该|应当|要|该|需要)?(?:怎么|如何|怎样|去哪里?|到哪里?|在哪里?)")
# words that name the support a policy gives, in every policy: what its own application rules are about
_SUPPORT = re.compile(r"补贴|补助|奖励|奖补|资金|经费|扶持|支持|资助|贴息|补偿|奖金|券|政策|措施|优惠|兑现|认定|评定|入库")


_ASK_ATTRIBUTE = re.compile(r"(?:现在|目前|一般|通常|大概)?(?:是|要|能|得|需要)?(?:每[月年天亩个件张人次]|一年|一个月)?(?:最低|最高|最多|最少)?"
                            r"(?:交|收|缴|付|卖|提|缴纳)?(?:多少|几成|几个点)(?:钱|元|块)?(?:一[张件个次])?"
                            r"|(?:怎么|如何)(?:收费?|算|计算|缴纳|交|收取)|是什么|是几")
_TRAILING = set("的 是 在 里 中 现在 目前 一般 通常 大概".split())


def _asked_attribute(question: str) -> str:
    """The thing a question asks the amount or rule of ("集装箱在港区码头的堆存费怎么收" → 堆存费;
    "企业所得税税率是多少" → 税率): the last noun before the asking words, past how it asks (是, 能拨,
    每个月) and generic measure words (标准, 比例), joined to the word before it when jieba leaves a fragment
    (堆 + 存费). "" when that is the support itself (补贴是多少, 算力券面额是多少, 能拿多少) or no noun is named."""
    for part in re.split(r"[，,。？！?!；;、]", question):
        m = _ASK_ATTRIBUTE.search(part)
        if not m:
            continue
        if m.start() == 0 or re.search(r"[\u4e00-\u9fff]{2}", part[m.end():]):
            continue  # nothing before it, or it goes on (能补多少运费: the user's own word for a cost, not a new matter)
        ws = [w for w in words(part[:m.start()]) if not any(ch.isdigit() for ch in w)]
        if len(ws) >= 2 and _fragment(ws[-1]) and (_fragment(ws[-2]) or len(ws[-1]) == 1) \
                and _is_thing(ws[-2] + ws[-1]) and not word_tag(ws[-2] + ws[-1]):
            ws[-2:] = [ws[-2] + ws[-1]]  # 堆 + 存费
        while ws and (ws[-1] in _TRAILING or ws[-1] in _MEASURE_WORDS or ws[-1] in _ATTRIBUTE_WORDS
                      or not (_is_thing(ws[-1]) or ws[-1] in QUESTION_WORDS or _SUPPORT.search(ws[-1]))):
            ws.pop()  # 是, 标准, 能拨, 每个月: how it asks, not what it asks about
        if ws and len(ws[-1]) >= 2 and _is_thing(ws[-1]) and not _SUPPORT.search(ws[-1]) and ws[-1] not in QUESTION_WORDS:
            return ws[-1]
    return ""


_NOUN_ENDS = tuple("费金税率款价证照险")


def _fragment(word: str) -> bool:
    """A single character or a word jieba does not know: possibly a piece of a longer word (堆, 存费)."""
    return len(word) == 1 or not word_tag(word)


def _is_thing(word: str) -> bool:
    """A noun jieba knows, or a word it does not know that ends like a charge or a document (堆存费, 契税)."""
    return bool(word_tag(word)) and names_a_thing(word) or len(word) >= 2 and word.endswith(_NOUN_ENDS)


# nouns a question asks the attribute of a thing with, in any policy (面额, 上限)
_ATTRIBUTE_WORDS = set("面额 额度 力度 最高 最低 上限 下限 比例 标准 价格 单价 多少 数量 总额 具体".split())


def _foreign_attribute(u, unknown: list[str], corpus, active_ids: set[str]) -> str:
    """What the question asks the amount or rule of, when no document in force has that word at all
    (堆存费, 税率, 评估费): the policies say nothing about it. A question that tells its own figures asks
    to compute, and one about the policy's dates, procedure or departments is judged by those rules."""
    if any(x.kind == "money" for x in u.stated) or any(u.has(i) for i in _ABOUT_DOCUMENT + _ADMIN_INTENTS):
        return ""
    head = _asked_attribute(u.question)
    if not head or not names_a_thing(head):
        return ""
    return "" if _in_force_has(head, corpus, active_ids, titles=True) else head


def _in_force_has(text: str | re.Pattern, corpus, active_ids: set[str], *, titles: bool = False) -> bool:
    """Whether a clause of a document in force (or, with ``titles``, its article's title) contains ``text``
    (a string, or a pattern it matches)."""
    has = text.search if isinstance(text, re.Pattern) else (lambda t: text in t)
    return any(has(c.text) or titles and has(c.article_title)
               for d in corpus.documents if d.id in active_ids for c in d.clauses)


def _procedure_objects(question: str) -> list[str]:
    """What a procedure question asks how to apply for, register or handle ("冷库做消防验收需要准备哪些材料"
    → 冷库做消防验收; "…需要什么物业管理资质，怎么申请？" → the phrase before the bare 怎么申请)."""
    out = [next(g for g in m.groups() if g) for m in _PROCEDURE_OBJECT.finditer(question) if any(m.groups())]
    parts = [p for p in re.split(r"[，,。？！?!；;]", question) if p.strip()]
    for prev, part in zip(parts, parts[1:]):
        if _ASK_ONLY.match(part.strip()):
            out.append(prev)
    return out


def _foreign_object(question: str, unknown: list[str], lexicon=None, corpus=None, active_ids: set[str] | None = None) -> bool:
    """The thing a procedure question is about is not in the documents ("开餐馆办食品经营许可证需要准备哪些
    材料", "冷库做消防验收需要准备哪些材料", "个人所得税年度汇算怎么申报"): a policy's application rules
    answer how to apply for its support. An object that names no support (补贴, 奖励, 认定…) and no measure
    of a document, with an everyday noun no document uses, is another administrative matter; an object
    that does name support is foreign only when most of its words are unknown ("出口信用保险的保费补贴")."""
    for obj in _procedure_objects(question):
        ws = [w for w in words(obj) if len(w) >= 2 and w not in QUESTION_WORDS and not any(ch.isdigit() for ch in w)]
        strange = [w for w in ws if w in unknown]
        if len(strange) >= 2 and len(strange) >= len(ws) - len(strange):
            return True
        names_support = _SUPPORT.search(obj) or (lexicon is not None and any(
            m.end - m.start >= 3 for m in lexicon.find(obj, kinds=("measure",))))
        if not names_support and any(is_common_noun(w) or not word_tag(w) for w in strange):
            return True
        licence = _licence(obj)
        if corpus is not None and licence and not names_support \
                and not _in_force_has(re.compile(re.escape(licence) + "(?!书)"), corpus, active_ids or set()):
            return True  # "需要办道路运输证吗": a licence no document names (登记证 is not 数据资产登记证书) is another office's
    return False


_LICENCE = re.compile(r"(?:许可证|执照|牌照|资质|证书|证)$")


def _licence(obj: str) -> str:
    """The licence or certificate a procedure object names, with the nouns before it ("办道路运输证吗" →
    道路运输证), or ""."""
    ws = words(re.sub(r"[吗呢吧啊]+$", "", obj))
    for i in range(len(ws) - 1, -1, -1):
        if _LICENCE.search(ws[i]):
            j = i
            while j > 0 and len(ws[j - 1]) >= 2 and (is_common_noun(ws[j - 1]) or word_tag(ws[j - 1]) in ("v", "vn")) \
                    and ws[j - 1] not in QUESTION_WORDS:
                j -= 1
            name = "".join(ws[j:i + 1])
            return name if len(name) >= 3 else ""
    return ""


def _procedural_in_text(u, hits) -> bool:
    """A question about how the policy is administered (弄虚作假怎么处理, 能不能两边都拿, 什么时候集中受理) that a
    retrieved clause speaks to in those words."""
    from assistant.pipeline import _INTENT_TEXT

    intents = [i for i in ("penalty", "conflicts", "procedure", "payment") if u.has(i)]
    if not intents:
        return False
    for h in hits[:8]:
        for i in intents:
            found = {m.group() for m in _INTENT_TEXT[i].finditer(h.clause.text)}
            if found and (i in ("conflicts", "penalty") and (len(found) >= 2 or i == "conflicts") or any(w in u.question for w in found)):
                return True
    return False


_ASKED = re.compile(r"(?:怎么|如何|怎样|去哪里?|到哪里?|在哪里?|哪里|什么时候|何时)(?:才能|能|可以|要|去|来|才|再)?([\u4e00-\u9fff]{1,4})")
_ACTION_TAGS = frozenset("v vn vd n nz l i".split())  # a verb or a noun used as one ("投诉", "报名", "补缴")


def _asked_actions(question: str) -> list[str]:
    """The word right after 怎么/去哪里/什么时候…: the action the question asks how, where or when to do. The
    steps of applying for and receiving support (提交, 申报, 拨付, 兑现) are what a policy's procedure answers,
    whatever verb the documents themselves use."""
    from assistant.pipeline import _INTENT_TEXT

    out = []
    for m in _ASKED.finditer(question):
        ws = words(m.group(1))
        if ws and not any(pat.search(ws[0]) for pat in _INTENT_TEXT.values()):
            out.append(ws[0])
    return out


def _foreign_topic(ev: Evidence, strict: bool = False) -> bool:
    """No word of the question names anything in a document, and the phrase it asks about is at least half
    (``strict``: more than half) everyday nouns that no document in force uses ("农村低保怎么申请",
    "城乡居民养老保险有几个缴费档次")."""
    if ev.features.get("foreign_kind"):
        return True
    foreign, known = len(ev.features.get("topic_unknown", ())), len(ev.features.get("topic_known", ()))
    return not ev.strong and foreign > 0 and (foreign > known if strict else foreign >= known)


def judge(ev: Evidence, th: Thresholds = CALIBRATED) -> str:
    if ev.decided:
        return ev.decided
    if _foreign_topic(ev):
        return "refuse"  # what it asks about is an everyday thing no document in force speaks of (医保, 低保, 驾驶证)
    total = th.strong_weight * ev.strong + ev.score
    if ev.dense >= th.dense_answer + 0.2 and (ev.strong or ev.common):
        return "answer"  # the question reads like a clause even if its words are the user's own
    if ev.strong and total >= th.answer_evidence:
        return "answer"
    if (ev.strong or ev.common) and ev.dense >= th.dense_answer and total >= th.maybe_evidence:
        return "answer"
    if total >= th.maybe_evidence and (ev.strong or (ev.common and ev.dense >= th.dense_maybe)):
        return "maybe"
    return "refuse"


# words every award clause uses (a question sharing only these with a clause is not about it)
_MEASURE_WORDS = set("比例 金额 额度 上限 下限 比率 收入 期限 时限 年限 数额 总额 费用 成本 标准 幅度 金额 次数 人数 面积 月份 年份 每月 每年".split())


def salient_overlap(u, hits, lexicon, *, by_region: bool = True) -> bool:
    """Some word of the question that says what it is about (not a question word, not a word every
    policy uses) is in the text of a top clause, directly or through the glossary ("失业保险金" is in
    no clause of an industrial policy: "补贴"/"每月" alone do not make it related)."""
    from assistant.lexicon import _GENERIC_TOKENS

    texts = "".join(h.clause.article_title + h.clause.text for h in hits[:5])
    if any(m.term.kind == "title" or m.term.kind == "region" and by_region for m in u.terms):
        return True  # the question names a document ("在滨湖区…"): it is about that document's measures
    ws = [w for w in words(u.question) if len(w) >= 2 and w not in QUESTION_WORDS and w not in _GENERIC_TOKENS
          and w not in _MEASURE_WORDS and not any(ch.isdigit() for ch in w)]
    if any(w in texts for w in ws):
        return True
    return any(t in texts for t in lexicon.glossary.matches(u.question) if len(t) >= 2)


def decide(u, hits, lexicon, corpus, active_ids: set[str], *, has_topic: bool = False,
           thresholds: Thresholds = CALIBRATED) -> ScopeDecision:
    ev = evidence(u, hits, lexicon, corpus, active_ids, has_topic=has_topic)
    d = judge(ev, thresholds)
    if not ev.decided and not ev.strong and d != "refuse" and not salient_overlap(u, hits, lexicon):
        d = "refuse"  # related only by generic words: say plainly that the policies do not cover it
    elif not ev.decided and d == "refuse" and not ev.features.get("foreign_kind") and ev.common >= 2 and ev.dense >= thresholds.dense_answer \
            and thresholds.strong_weight * ev.strong + ev.score >= thresholds.maybe_evidence - 2 and salient_overlap(u, hits, lexicon, by_region=False):
        d = "maybe"  # the user's own words around two of the documents' words, close to a clause: show what may be related
    reason = ev.reason or {"answer": "问题用到了政策中的用语", "maybe": "证据不足，给出可能相关的条款",
                           "refuse": "现行政策中没有与问题所问事项对应的条款"}[d]
    return ScopeDecision(d, reason, {**ev.features, "dense": ev.dense, "strong": ev.strong, "common": ev.common,
                                     "unknown": ev.unknown})
