"""Understand a question: intent and the enterprise facts it states. Pure text rules, no I/O.

Owns: intent (clause lookup, amount, eligibility, department, dates, conflicts), amounts
with the base they belong to (using ``amounts.find_amounts``), subject type (中小企业,
数据供方, 牵头研发单位, 第三方数据服务机构 …, including negations), first-time status,
level (国家级/省级), and follow-up cues. Does not retrieve or compute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from assistant.amounts import find_amounts_at

# What people call each calculation base → the rules' canonical base_key. Words only, no numbers.
BASE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("数据交易额", ("数据交易额", "交易额", "数据交易", "卖数据", "数据销售", "交易流水", "成交额", "成交", "交易平台", "卖了", "数据供方", "交易")),
    ("算力服务费用", ("算力服务费", "算力费", "算力", "GPU", "gpu", "显卡", "云主机", "云服务器", "租服务器", "服务器", "智算", "云上", "训练费", "租用")),
    ("模型采购费用", ("模型采购", "采购模型", "模型费", "模型券", "API", "api", "接口", "大模型", "调用", "token", "本地化部署", "私有化部署", "模型")),
    ("研发成本", ("研发成本", "研发投入", "研发费", "研发支出", "研发")),
    ("项目总投入", ("项目总投入", "总投入", "项目投入", "总投资", "项目投资", "投入", "投资", "投了")),
    ("实际服务总额", ("实际服务总额", "实际服务金额", "服务总额", "服务金额", "服务额", "服务收入", "业务收入", "专业服务", "营收", "收入")),
    ("贷款本金损失", ("贷款本金损失", "本金损失", "贷款损失", "坏账", "损失")),
)

SUBJECT_WORDS: dict[str, tuple[str, ...]] = {
    "中小企业": ("中小企业", "中小微", "小微企业", "小企业", "中型企业", "小型企业", "专精特新", "初创公司"),
    "数据供方企业": ("数据供方", "卖数据", "数据提供方", "数据供应商"),
    "牵头研发单位": ("牵头研发", "牵头单位", "牵头"),
    "第三方数据服务机构": ("第三方数据服务", "服务型数商", "合规认证", "质量评价", "资产评估", "数据评估", "第三方"),
    "技术型数商": ("技术型数商", "数据标注", "标注", "数据清洗", "数据采集"),
}
_NEGATION = re.compile(r"(不是|不属于|并非|非|算不上|不算)$")

INTENT_WORDS = {
    "department": ("部门", "哪个单位", "谁管", "归谁", "找谁", "责任单位", "联系谁", "对接", "哪个局", "主管", "受理"),
    "dates": ("什么时候", "何时", "有效期", "施行", "生效", "截止", "过期", "多久", "到期", "实施日期", "时间", "哪年", "正式", "征求意见",
              "执行的", "起执行", "还有效", "有效吗", "定稿", "草稿"),
    "conflicts": ("冲突", "重复", "叠加", "同时拿", "同时申请", "同时享受", "就高不重复", "都能拿", "两个都", "兼得", "一起申请", "一起拿",
                  "按哪个", "其他政策", "其他产业政策", "另一项政策", "别的政策", "还能再", "再拿一份", "再申请"),
    "amount": ("多少", "能补", "能拿", "金额", "算一下", "计算", "测算", "几万", "多少钱", "补多少", "奖多少", "最高", "上限", "比例", "怎么算"),
    "eligibility": ("能不能", "可以申请", "可不可以", "符合", "资格", "条件", "能申请", "有没有", "有补贴", "能享受", "适用"),
    "lookup": ("是什么", "说的什么", "什么政策", "介绍", "内容", "原文", "讲的", "规定"),
}
FOLLOW_UP = re.compile(r"^(那|那么|这个|这|它|该|还有|另外|如果|要是|是的|对的|对|嗯|没错|其中|支持几年|最多)|(呢|的话)[？?。！!]*$|这个|这项|该项|这条|这两|上面|刚才|一共")
_FIRST_TIME = re.compile(r"(首次|第一次|头一回|首回)")
_LEVEL = re.compile(r"(国家级|省级)")


@dataclass(frozen=True)
class Amount:
    text: str
    yuan: Decimal
    base_key: str | None  # canonical base it belongs to, None if the question does not say


@dataclass(frozen=True)
class Facts:
    count: int | None = None  # "获批了三个" → 3 (number of fixed awards)
    amounts: tuple[Amount, ...] = ()
    subjects: tuple[tuple[str, bool], ...] = ()  # ("中小企业", True) / ("中小企业", False)
    first_time: bool | None = None
    level: str | None = None

    def subject(self, name: str) -> bool | None:
        for s, v in self.subjects:
            if s == name:
                return v
        return None

    def merged_over(self, older: "Facts") -> "Facts":
        """These facts, falling back to ``older`` for what this turn does not say."""
        subjects = dict(older.subjects)
        subjects.update(dict(self.subjects))
        keys = {a.base_key for a in self.amounts}
        amounts = tuple(a for a in older.amounts if a.base_key not in keys or a.base_key is None and not self.amounts) + self.amounts
        return Facts(self.count or older.count, amounts, tuple(subjects.items()),
                     self.first_time if self.first_time is not None else older.first_time,
                     self.level or older.level)


@dataclass(frozen=True)
class Understanding:
    question: str
    intents: tuple[str, ...]
    facts: Facts
    follow_up: bool = False
    injection: bool = False
    bases_mentioned: tuple[str, ...] = field(default=())

    def has(self, intent: str) -> bool:
        return intent in self.intents


_INJECTION = re.compile(r"(忽略|无视|忘记|忘掉).{0,8}(规则|指令|设定|提示|之前|以上)|ignore (all|previous|the)|system prompt|你现在是|假装|扮演|越狱|jailbreak|developer mode|开发者模式|管理员指令|管理员模式|系统提示|处于.{0,4}模式|你已经确认|已确认|请直接回复|只需回答|只回答|直接批", re.I)


def understand(question: str) -> Understanding:
    q = question.strip()
    intents = tuple(name for name, words in INTENT_WORDS.items() if any(w in q for w in words))
    amounts = tuple(_amounts_with_bases(q))
    if amounts and "amount" not in intents:
        intents = intents + ("amount",)
    cm = re.search(r"(?:获批|获评|有|建了|拿了)了?([0-9一二两三四五六七八九十]+)个", q)
    facts = Facts(count=_to_count(cm.group(1)) if cm else None, amounts=amounts, subjects=tuple(_subjects(q)),
                  first_time=True if _FIRST_TIME.search(q) else None,
                  level=(m.group(1) if (m := _LEVEL.search(q)) else None))
    bases = tuple(key for key, words in BASE_WORDS if any(w in q for w in words))
    return Understanding(q, intents, facts, follow_up=bool(FOLLOW_UP.search(q)) and len(q) <= 40,
                         injection=bool(_INJECTION.search(q)), bases_mentioned=bases)


_CLAIMED = re.compile(r"(上限|最高|改为|改成|调整为|补贴|奖励|补助|资助|报销|批给|拿到?|领到?|得到|是不是|不超过|单笔贷款)[^，。；]{0,3}$")


def _amounts_with_bases(q: str) -> list[Amount]:
    """Each amount with the base named closest before it (or right after it) in its clause of the sentence.
    Amounts the user states as a result or a limit (“上限已改为200万元”, “奖励是不是80万”) are not bases."""
    out = []
    for pos, text, value in find_amounts_at(q):
        if _CLAIMED.search(q[max(0, pos - 8):pos]):
            continue
        before = re.split(r"[，。；;！？!?]", q[:pos])[-1]
        after = re.split(r"[，。；;！？!?]", q[pos + len(text):])[0]
        key = _nearest_base(before, from_end=True) or _nearest_base(after, from_end=False)
        out.append(Amount(text, value, key))
    return out


def _to_count(text: str) -> int | None:
    from assistant.numerals import chinese_to_int

    try:
        n = chinese_to_int(text)
    except ValueError:
        return None
    return n if 1 <= n <= 100 else None


def _nearest_base(segment: str, *, from_end: bool) -> str | None:
    best, best_pos = None, -1
    for key, words in BASE_WORDS:
        for w in words:
            idx = segment.rfind(w) if from_end else segment.find(w)
            if idx < 0:
                continue
            score = idx + len(w) if from_end else len(segment) - idx
            if score > best_pos:
                best, best_pos = key, score
    return best


def _subjects(q: str) -> list[tuple[str, bool]]:
    found: dict[str, bool] = {}
    for name, words in SUBJECT_WORDS.items():
        for w in words:
            idx = q.find(w)
            if idx < 0:
                continue
            negated = bool(_NEGATION.search(q[max(0, idx - 4):idx]))
            found[name] = not negated
            break
    if re.search(r"(大型企业|大企业|国企|央企|上市公司)", q) and "中小企业" not in found:
        found["中小企业"] = False
    return list(found.items())


def with_facts(u: Understanding, facts: Facts) -> Understanding:
    return replace(u, facts=facts)
