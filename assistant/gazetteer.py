"""Chinese place names, from the maintained ``cpca`` package's administrative-division table.

Owns finding places in a question (``温州``, ``珠海市``, ``东湖高新区`` is not a division, so no)
and telling whether a place belongs to a loaded document's region. Provinces and
prefecture-level cities match by full or short name (``温州市`` / ``温州``); counties and
districts only by full name (``滨湖区``), because their short forms are ordinary words
(``和平``, ``城关``). Only the data file is read (no pandas import), once per process.

Does not decide scope by itself: ``scope`` weighs a place against the documents in force.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_SUFFIX = re.compile(r"(维吾尔自治区|壮族自治区|回族自治区|特别行政区|自治区|自治州|地区|省|市|盟)$")


@dataclass(frozen=True)
class Place:
    name: str  # as found in the text
    full: str  # official name, e.g. 温州市
    adcode: str  # 12 digits
    start: int

    @property
    def level(self) -> str:
        if self.adcode[2:] == "0" * 10:
            return "省"
        if self.adcode[4:] == "0" * 8:
            return "市"
        return "县"


def _data_file() -> Path | None:
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "resources" / "adcodes.csv"
    return path if path.is_file() else None


def _names_only_a_place(short: str) -> bool:
    """A short name that jieba knows as a name or not at all (义乌, 昆山), not an everyday word (合作, 灯塔)."""
    from assistant.text import word_tag

    return word_tag(short) in ("ns", "nz", "nr", "nrt", "")


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, tuple[str, str]], re.Pattern | None]:
    """name → (full name, adcode), and one regex over all names, longest first."""
    path = _data_file()
    names: dict[str, tuple[str, str]] = {}
    if path is None:
        return names, None
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            full, code = row["name"].strip(), row["adcode"].strip()
            if len(full) < 2 or len(code) != 12:
                continue
            names.setdefault(full, (full, code))
            upper_level = code[4:] == "0" * 8
            short = _SUFFIX.sub("", full)
            if upper_level and len(short) >= 2 and short != full:
                names.setdefault(short, (full, code))
            elif code[6:] == "0" * 6 and full.endswith("市") and len(full) >= 3 and _names_only_a_place(full[:-1]):
                names.setdefault(full[:-1], (full, code))  # a county-level city by its short name: 义乌, 昆山
    if not names:
        return names, None
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    return names, pattern


def find_places(text: str) -> list[Place]:
    """Places named in ``text``, in order.

    >>> [p.full for p in find_places("温州的算力券和珠海市的人才政策")]
    ['温州市', '珠海市']
    >>> [[p.full for p in find_places(q)] for q in ("义乌的快递进村补贴", "开展合作的企业")]
    [['义乌市'], []]
    """
    names, pattern = _table()
    if pattern is None:
        return []
    out = []
    text = text or ""
    for m in pattern.finditer(text):
        full, code = names[m.group()]
        if code[4:] != "0" * 8 and not _stands_alone(text, m.start(), m.end()):
            continue  # "利息县里", "老城区改造": a county-level name inside other words
        out.append(Place(m.group(), full, code, m.start()))
    return out


def _stands_alone(text: str, start: int, end: int) -> bool:
    """A county-level name is a place only at a word boundary: "在青山县", "滨湖区的", "…，柯桥区有…"."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    ok_before = not before or not ("\u4e00" <= before <= "\u9fff") or before in "在去到和与、从的是对于给"
    ok_after = not after or not ("\u4e00" <= after <= "\u9fff") or after in "的有对政人呢吗补奖里出企工和、区"
    return ok_before and ok_after and not (after == "里" and end - start <= 2)


def available() -> bool:
    return _table()[1] is not None
