"""Is a question covered by the documents in force? A decision on evidence, not on word lists.

Owns ``decide(...) -> ScopeDecision``: ``answer``, ``maybe`` (answer "可能相关的条款" with the
top clauses and no amounts) or ``refuse``. The evidence:

* places: a place the question names (``gazetteer``) that no document in force belongs to or
  mentions is another jurisdiction → refuse (a place a loaded document covers is fine);
* lexicon coverage: content words of the question that the documents use (any document's
  vocabulary, its terms and variants, the generic glossary) against words none of them uses.
  **A word that any active document uses never causes a refusal**;
* retrieval: the best dense similarity and BM25 score, and their margins.

The thresholds are calibrated on the blind sets (covered questions against out-of-scope ones)
by ``eval/calibrate_scope.py``; the trade-off is reported in ``docs/benchmarks.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.text import tokenize

# Calibrated on eval/blind/* (see eval/calibrate_scope.py and docs/benchmarks.md).
DENSE_ANSWER = 0.42  # best dense similarity at or above which a question with known words is answered
DENSE_MAYBE = 0.30  # below this, a question with no known content word is refused
UNKNOWN_SHARE_REFUSE = 0.67  # share of content words no document uses, above which weak evidence refuses

# Question words that carry no topic (in any policy).
QUESTION_WORDS = set("""补贴 补助 奖励 支持 资金 政策 企业 公司 申请 多少 怎么 如何 可以 能 有 钱 元 万元 万 请问 一下 条件 标准 规定 措施 相关
哪些 什么 享受 获得 领取 给予 优惠 扶持 项目 我们 我 想 要 需要 办理 问 问题 今年 明年 去年 年度 每年 能否 是否 补 奖 拿 花 花了 费用 多
少 元钱 块 块钱 情况 方面 一些 那些 这些 的话 有关 关于 对于 部门 单位 时间 具体 全部 所有 我司 本司 贵司 属于 一共 总共 合计 加起来
能补 能拿 可以拿 大概 左右 大约 差不多 听说 是不是 对不对 告诉 帮我 麻烦 政府 市里 区里 县里 国家 本地 这边 那边 当地 还有 怎样 有没有
知道 了解 咨询 看看 查 查询 搞 做 弄 办 多久 几 个 家 一家 一个 现在 目前 最近 已经 刚 刚刚 打算 准备 计划 如果 的 了 吗 呢 吧 啊""".split())


@dataclass(frozen=True)
class ScopeDecision:
    decision: str  # "answer" | "maybe" | "refuse"
    reason: str
    features: dict = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return self.decision == "refuse"


def content_words(question: str) -> list[str]:
    return [t for t in tokenize(question) if len(t) >= 2 and t not in QUESTION_WORDS and not t.replace(".", "").isdigit()
            and not any(ch.isdigit() for ch in t)]


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


def decide(u, hits, lexicon, corpus, active_ids: set[str], *, has_topic: bool = False) -> ScopeDecision:
    """``has_topic``: the conversation already has a topic this turn follows up on."""
    features: dict = {}
    if any(h for h in hits[:1] if "exact" in h.sources):
        return ScopeDecision("answer", "条款编号", features)
    foreign = foreign_places(u.places, corpus, active_ids)
    features["foreign_places"] = [p.full for p in foreign]
    if foreign:
        return ScopeDecision("refuse", f"问题涉及{foreign[0].full}，现行收录的政策不覆盖该地区", features)
    if has_topic and (u.follow_up or u.reply or u.stated or len(u.question) <= 12):
        return ScopeDecision("answer", "追问", features)
    strong = [m for m in u.terms if m.term.kind not in ("region",) and m.term.doc_id in active_ids]
    features["terms"] = sorted({m.term.text for m in strong})
    words = content_words(u.question)
    vocab = lexicon.vocabulary
    glossary_words = {v.lower() for e in lexicon.glossary.entries for v in e.variants}
    known = [w for w in words if w.lower() in vocab or w.lower() in glossary_words or any(w in m.term.text for m in strong)]
    unknown = [w for w in words if w not in known]
    features.update(known=known, unknown=unknown)
    dense = max((h.dense_sim for h in hits if h.dense_sim is not None), default=None)
    bm25 = max((h.bm25_score for h in hits if h.bm25_score is not None), default=0.0)
    features.update(dense=dense, bm25=bm25)
    dept_intent = u.has("department") or u.has("dates") or u.has("procedure") or u.has("penalty") or u.has("payment")
    if not hits:
        return ScopeDecision("refuse", "没有相关条款", features)
    if not words:
        # nothing but question words ("有什么补贴？"): answer only generic intents the documents cover
        if dept_intent or u.has("conflicts"):
            return ScopeDecision("answer", "通用问题", features)
        return ScopeDecision("maybe" if strong else "refuse", "问题没有具体内容", features)
    share_unknown = len(unknown) / len(words)
    features["unknown_share"] = share_unknown
    if known and share_unknown < UNKNOWN_SHARE_REFUSE:
        return ScopeDecision("answer", "问题用到了政策中的用语", features)
    if known:
        # the question mixes a known word with more unknown ones ("数据标注员的个税")
        if dense is not None and dense >= DENSE_ANSWER:
            return ScopeDecision("answer", "检索相似度高", features)
        return ScopeDecision("maybe", "部分用语与政策相关", features)
    if dense is not None and dense >= DENSE_ANSWER + 0.1:
        return ScopeDecision("maybe", "检索相似度较高，但问题用语不在政策中", features)
    return ScopeDecision("refuse", "问题的用语不在任何现行政策中", features)
