"""Chinese text for retrieval: jieba tokenising with the domain dictionary, and glossary expansion.

Owns: ``tokenize`` (jieba ``cut_for_search`` + the user dictionary in ``data/userdict.txt``,
lower-cased ASCII, punctuation and stop words dropped) and ``Glossary`` (colloquial words,
English abbreviations and common typos → the policy's own terms, from ``data/glossary.tsv``).
Does not score or index anything.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_STOP = set("的 了 吗 呢 吧 啊 呀 么 嘛 是 有 在 和 与 及 或 等 对 给 把 被 就 都 也 还 又 我 你 他 她 它 我们 你们 他们 公司 这个 那个 什么 怎么 怎样 如何 多少 能 能否 可以 可不可以 请问 一下 一些 哪些 哪个 没有 有没有 啥 咋 想 要 需要 如果 那 这 那么 去年 今年".split())
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)
_lock = threading.Lock()
_jieba = None


def _data_text(name: str) -> str:
    return resources.files("assistant").joinpath("data", name).read_text(encoding="utf-8")


def data_hash() -> str:
    """Hash of the dictionary and glossary: part of the index fingerprint."""
    h = hashlib.sha256()
    for name in ("userdict.txt", "glossary.tsv", "jieba_dict.txt"):
        h.update(_data_text(name).encode("utf-8"))
    return h.hexdigest()[:16]


def _tokenizer():
    """jieba's tokenizer with our user dictionary, created once (thread-safe)."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                # A cut-down dictionary (see scripts/make_jieba_dict.py): loads in ~0.2 s instead of ~1.5 s.
                dictionary = resources.files("assistant").joinpath("data", "jieba_dict.txt")
                tok = jieba.Tokenizer(dictionary=str(dictionary))
                for line in _data_text("userdict.txt").splitlines():
                    parts = line.split()
                    if parts:
                        tok.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None)
                tok.initialize()
                _jieba = tok
    return _jieba


def add_words(words) -> None:
    """Teach the tokenizer a corpus's own terms (from its ``Lexicon``) so they stay whole words."""
    tok = _tokenizer()
    with _lock:
        for w in words:
            if w and w not in tok.FREQ:
                tok.add_word(w, 50)


def warm_up() -> None:
    """Load the jieba dictionary now (it takes about a second) instead of on the first question."""
    _tokenizer()


def segments(text: str) -> list[str]:
    """jieba's precise cut, nothing dropped: the pieces join back into ``text``."""
    return list(_tokenizer().lcut(text or ""))


def words(text: str) -> list[str]:
    """Words in jieba's precise mode (no overlapping sub-words): what a question is about.

    >>> words("高新技术企业的所得税税率")
    ['高新技术企业', '所得税', '税率']
    """
    out = []
    for t in _tokenizer().lcut(text or ""):
        t = t.strip().lower()
        if t and not _PUNCT.match(t) and t not in _STOP:
            out.append(t)
    return out


# jieba's part-of-speech tags for nouns, place and organisation names, idioms and abbreviations
_NOUN_TAGS = frozenset("n nz ns nt nr nrt ng l j i".split())


@lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    """Part-of-speech tag of every word in jieba's general dictionary (as cut for this package)."""
    out = {}
    for line in _data_text("jieba_dict.txt").splitlines():
        parts = line.split()
        if len(parts) >= 3:
            out[parts[0]] = parts[2]
    return out


def word_tag(word: str) -> str:
    """jieba's part-of-speech tag of a dictionary word (``"v"``, ``"n"``, ``"f"`` …), ``""`` if not in it."""
    return _word_tags().get(word, "")


def is_common_noun(word: str) -> bool:
    """Is ``word`` an everyday Chinese noun (in jieba's general dictionary, tagged as a noun)?

    >>> is_common_noun("医保"), is_common_noun("签了")
    (True, False)
    """
    return word_tag(word) in _NOUN_TAGS


def names_a_thing(word: str) -> bool:
    """A noun, a noun-like verb (工资, 收费), or a compound jieba does not know (堆存费): what a question can
    ask the amount of.

    >>> names_a_thing("税率"), names_a_thing("堆存费"), names_a_thing("交")
    (True, True, False)
    """
    tag = word_tag(word)
    return tag in _NOUN_TAGS or tag == "vn" or not tag


def tokenize(text: str) -> list[str]:
    """Search tokens for BM25.

    >>> tokenize("租用云上GPU有补贴吗")
    ['租用', '云上', 'gpu', '补贴']
    """
    out = []
    for t in _tokenizer().cut_for_search(text or ""):
        t = t.strip().lower()
        if not t or _PUNCT.match(t) or t in _STOP:
            continue
        out.append(t)
    return out


@dataclass(frozen=True)
class GlossaryEntry:
    variants: tuple[str, ...]
    terms: tuple[str, ...]


class Glossary:
    """Maps what people say to what the policy says."""

    def __init__(self, entries: list[GlossaryEntry]):
        self.entries = entries
        self._cache: dict[tuple[str, str], list[str]] = {}

    @classmethod
    def from_text(cls, text: str) -> "Glossary":
        entries = []
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            left, _, right = line.partition("\t")
            variants = tuple(v.strip() for v in left.split("|") if v.strip())
            terms = tuple(right.split())
            if variants and terms:
                entries.append(GlossaryEntry(variants, terms))
        return cls(entries)

    def matches(self, query: str, known: str = "") -> list[str]:
        """Policy terms for every colloquial variant found in ``query`` (ASCII case-insensitive).
        Variants that occur in ``known`` (the policy text itself) need no translation and are skipped:
        expanding words the policy already uses only dilutes the query."""
        key = (query or "", known)
        hit = self._cache.get(key)
        if hit is not None:
            return list(hit)
        q = (query or "").lower()
        known = known.lower()
        found: list[str] = []
        for e in self.entries:
            if any(v.lower() in q and v.lower() not in known for v in e.variants):
                found.extend(t for t in e.terms if t not in found)
        if len(self._cache) > 4096:  # the words around amounts repeat; keep the memo bounded
            self._cache.clear()
        self._cache[key] = tuple(found)
        return found

    def expand(self, query: str, known: str = "") -> str:
        """The query with the policy's terms appended (unchanged if nothing matches)."""
        extra = [t for t in self.matches(query, known) if t not in query]
        return f"{query} {' '.join(extra)}" if extra else query


@lru_cache(maxsize=1)
def default_glossary() -> Glossary:
    return Glossary.from_text(_data_text("glossary.tsv"))
