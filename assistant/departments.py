"""Departments named in a policy, and the policy's own jurisdiction, recognised by form (no lists of names).

Departments come from two places:

* notes: ``（责任单位：市数据局、各区人民政府）``, ``（牵头单位：A；配合单位：B、C）`` — any
  parenthesis that opens with a role label (责任/牵头/配合/实施… + 单位/部门/主体);
* body text where a department acts: "由区人才办会同区财政局审核", "区科技局负责…", "报县工信局备案".
  There a name has a level prefix (省/市/州/区/县/旗/镇/乡/街道, 各区/各县, or a place of this
  document such as 滨湖区) and an office suffix (局/办/委/委员会/办公室/中心/人民政府/管委会/集团…),
  and stands where an agent stands: after 由/会同/报/向… or at the start of a clause, before a verb or
  a connective. "支持武汉产业创新发展研究院…" names a beneficiary, not a department, and is skipped.

The jurisdiction (level 区, region 江陵市滨湖区) comes from the title, the document's references to
itself (本区/我县) and the level prefixes of its departments. Does not know the clause structure (``parser``).
"""

from __future__ import annotations

import re
from collections import Counter

_ROLE = r"(?:责任|牵头|配合|实施|主办|协办|承办|参与|主责|负责|协同|协助|主管|执行|联系|组织|督办)"
NOTE_OPEN = re.compile(rf"[（(]\s*{_ROLE}(?:单位|部门|主体|处室|机构)[：:]")
_LABEL = re.compile(rf"{_ROLE}(?:单位|部门|主体|处室|机构)[：:]")
_ROLE_MARK = re.compile(r"[（(](?:牵头|配合|负责|主责|协办)[）)]")
_SEPARATORS = "、，,；;\u3000 \t"

_LEVEL = "(?:[省市州区县旗盟镇乡]|街道)"
_SUFFIXES = ("人民政府", "政府", "管理委员会", "管委会", "委员会", "领导小组办公室", "办公室", "办公厅", "办事处",
             "集团", "公司", "中心", "局", "办", "委", "厅", "署", "院", "部")
_BEFORE = re.compile(r"(?:^|[。；;，,：:、（(\n]|由|会同|联合|配合|经|报|向|请|商|委托|和|及|与|或|并)$")
_AFTER = re.compile(
    r"^(?:$|[，,。；;、：:）)（(]|会同|联合|配合|牵头|负责|组织|统筹|审核|审定|审批|审查|认定|核定|核实|核查|确认|受理|评审|评估|"
    r"制定|出台|发布|拨付|兑现|兑付|会商|商|按|根据|依据|依|对|给予|和|及|与|或|等|为|作为|每年|定期|应|要|将|在|具体|共同|"
    r"另行|做好|指导|监督|管理|实施|办理|公布|备案|批准|研究|安排|确定|进行|开展|予以|提供|发放|核发|颁发|报|汇总|初审|复审|"
    r"联审|审|的|分别|统一|择优|遴选|组建|设立|建立|牵|主导|协调|提交|提出|申请|申报|递交|报送|上报|咨询|登记|核准|签订|公示|出具|推荐)")
_MAX_NAME = 16
# never inside a name: verbs and connectives ("和" only before a second level prefix: 人力资源和社会保障局 is one name)
_INSIDE_STOP = re.compile(rf"会同|联合|配合|负责|牵头|审核|审定|认定|核定|受理|评审|拨付|兑现|备案|批准|给予|根据|每年|定期|"
                          rf"[由按对将在的应]|[和及与或并]{_LEVEL}|[和及与或并]各")


def find_notes(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, inner)`` of every department note in ``text``; nested parentheses allowed.

    A note opens with a role label (``（责任单位：…）``), or — without one — lists nothing but
    department names with roles: ``（市发展改革委牵头，市财政局配合）``, ``（各区人民政府负责）``.

    >>> find_notes("给予奖励。（责任单位：市经信局（市中小企业局）、市财政局）")
    [(5, 29, '责任单位：市经信局（市中小企业局）、市财政局')]
    >>> [n[2] for n in find_notes("建立机制。（市发展改革委牵头，市财政局配合）开放场景（基地）。")]
    ['市发展改革委牵头，市财政局配合']
    """
    out = []
    depth, start = 0, None
    for i, ch in enumerate(text):
        if ch in "（(":
            if depth == 0:
                start = i
            depth += 1
        elif ch in "）)" and depth:
            depth -= 1
            if depth == 0 and start is not None:
                inner = text[start + 1:i]
                # an unlabelled note closes a sentence: "…机制。（市发展改革委牵头）"; after a name it is an alias
                closes = text[start - 1:start] in ("", "。", "；", ";", "）", ")") or text[i + 1:i + 2] in ("", "。", "；", ";")
                if NOTE_OPEN.match(text, start) or (closes and _unlabelled_note(inner)):
                    out.append((start, i + 1, inner))
    return out


_ROLE_TAIL = re.compile(r"(?:按职责分工负责|按职责负责|牵头负责|共同负责|牵头|配合|负责|参与|协助|落实)$")
_NOT_A_NAME = re.compile(r"简称|所称|是指|包括|含|的|即|以下|以上|除外")


def _unlabelled_note(inner: str) -> bool:
    parts = _split_top_level(inner)
    if not parts or len(parts) > 12:
        return False
    roles = 0
    for part in parts:
        name = part.strip()
        if name.endswith("等") and len(name) > 2:
            name = name[:-1]
        bare = _ROLE_TAIL.sub("", name)
        roles += bare != name
        if not (2 <= len(bare) <= 24) or _NOT_A_NAME.search(bare) or re.search(r"[^\u4e00-\u9fff（）()]", bare):
            return False
        if not bare.endswith(_SUFFIXES):
            return False
    # a lone "（市经信局）" could be an aside; a role word or a level prefix says it names who is responsible
    return roles > 0 or all(p.strip()[0] in "省市州区县各" for p in parts)


def note_departments(inner: str) -> list[str]:
    """Departments of a note's inside, lead units first, as written.

    >>> note_departments("牵头单位：区科技局；配合单位：区财政局、区人才办等")
    ['区科技局', '区财政局', '区人才办']
    >>> note_departments("市发展改革委牵头，市财政局、各区人民政府按职责分工负责")
    ['市发展改革委', '市财政局', '各区人民政府']
    """
    body = _ROLE_MARK.sub("", _LABEL.sub("、", inner))
    out: list[str] = []
    for part in _split_top_level(body):
        part = part.strip()
        if part.endswith("等") and len(part) > 2:
            part = part[:-1]
        bare = _ROLE_TAIL.sub("", part)
        part = bare if len(bare) >= 2 else part
        if part and part not in out:
            out.append(part)
    return out


def _split_top_level(text: str) -> list[str]:
    parts, buf, depth = [], [], 0
    for ch in text:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        if depth == 0 and ch in _SEPARATORS:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return [p for p in parts if p.strip()]


def body_departments(text: str, places: tuple[str, ...] = ()) -> list[str]:
    """Departments acting in running text (notes are skipped: see ``note_departments``).

    >>> body_departments("经审核后，由区人才办会同区财政局审核拨付。")
    ['区人才办', '区财政局']
    >>> body_departments("支持武汉产业创新发展研究院建设创新单元，区域算力中心建设。")
    []
    >>> body_departments("企业总部、区域总部和功能性机构，市商务局审核。")  # 区域 is "regional", 总部 a company's
    ['市商务局']
    """
    for start, end, _ in reversed(find_notes(text)):
        text = text[:start] + "。" + text[end:]
    prefix = _prefix_pattern(places)
    out: list[str] = []
    i = 0
    while i < len(text):
        m = prefix.match(text, i)
        if m and _BEFORE.search(text[max(0, i - 2):i]) or (m and i == 0):
            name = _name_at(text, i, m.end())
            if name and (name.startswith("区域") or name.endswith("总部")):
                name = None  # 区域总部, 区域算力中心: a region's or a company's, not a government office
            if name:
                if name not in out:
                    out.append(name)
                i += len(name)
                continue
        i += 1
    return out


def leads_with_department(sentence: str, places: tuple[str, ...] = ()) -> bool:
    """True if the sentence says who administers rather than what is given: a department is its subject
    ("区科技局负责…", "由区人才办会同…审核"), or it hands a matter to a department ("购房补贴由区住房保障
    中心受理") and grants nothing itself (no 对…/给予/amount). In an article without numbered items that concerns the whole article.

    >>> leads_with_department("由区人才办会同区财政局审核后按季度拨付。"), leads_with_department("对经县工信局认定的企业给予奖励。")
    (True, False)
    >>> leads_with_department("购房补贴由区住房保障中心受理。"), leads_with_department("由县工信局认定的，给予10万元奖励。")
    (True, True)
    """
    s = re.sub(r"^(?:由|经|请|报|并由|均由|统一由)", "", sentence.strip())
    found = body_departments(s, places)
    if not found:
        return False
    if s.startswith(found[0]):
        return True
    handed = re.search(r"(?:由|经)(?:" + "|".join(re.escape(d) for d in found) + ")", s)
    grants = s.startswith("对") or re.search(r"给予|予以|\d[\d.]*\s*(?:万元|亿元|元|%|％)", s)  # a measure, not procedure
    return bool(handed) and not grants


def _prefix_pattern(places: tuple[str, ...]) -> re.Pattern:
    named = "|".join(re.escape(p) for p in sorted(places, key=len, reverse=True) if p)
    place = f"(?:{named})" if named else ""
    alternatives = [f"各{_LEVEL}", _LEVEL]
    if place:
        alternatives.insert(0, f"{place}(?:[\u4e00-\u9fff]{{0,4}}?{_LEVEL})?")
    return re.compile("(?:" + "|".join(alternatives) + ")")


def _name_at(text: str, start: int, after_prefix: int) -> str | None:
    """The longest suffix-ending name from ``start`` that is followed by a boundary and does not run
    over a verb or into a second department ("区人才办会同区财政局" is two names)."""
    best = None
    if re.match(r"(?:国家|省|市|州|区|县)级", text[start:start + 3]):
        return None  # "省级企业技术中心" is a level of recognition, not a government office
    for end in range(after_prefix, min(len(text), start + _MAX_NAME) + 1):
        cand = text[start:end]
        if re.search(r"[^\u4e00-\u9fff]", cand) or _INSIDE_STOP.search(cand):
            break
        if len(cand) >= 2 and cand.endswith(_SUFFIXES) and _AFTER.match(text[end:]):
            best = cand
    return best


# ---------------------------------------------------------------- jurisdiction

_UNIT = r"(?:自治区|自治州|自治县|新区|地区|省|市|州|盟|区|县|旗)"
_SEGMENT = re.compile(rf"[\u4e00-\u9fff]{{1,6}}?(?:州[市区县]|{_UNIT})")  # 云州市 is a 市, not a 州 followed by 市
_LEVEL_OF = {"自治区": "自治区", "自治州": "州", "自治县": "县", "新区": "区", "地区": "地区"}
_SELF = re.compile(r"[本我](省|市|州|区|县|旗)")


def place_chain(title: str) -> list[str]:
    """Administrative names at the start of a title, each ending in a unit.

    >>> place_chain("江陵市滨湖区人才安居办法"), place_chain("武汉市加快推进数智经济高质量发展若干政策措施")
    (['江陵市', '滨湖区', '人才安居办法'], ['武汉市', '加快推进数智经济高质量发展若干政策措施'])
    """
    t = re.sub(r"^(?:关于印发|关于)", "", title).lstrip("《")
    chain = []
    pos = 0
    while pos < len(t) and len(chain) < 3:
        m = _SEGMENT.match(t, pos)
        if not m:
            break
        chain.append(m.group())
        pos = m.end()
    if pos < len(t) and chain:
        chain.append(t[pos:])  # the rest, for the caller to ignore
    return chain


def _unit_level(segment: str) -> str:
    for unit, level in _LEVEL_OF.items():
        if segment.endswith(unit):
            return level
    return segment[-1]


def jurisdiction(title: str, body: str, departments: list[str] | tuple[str, ...], issuer: str = "") -> tuple[str, str]:
    """``(level, region)`` of the issuing government, ``("", "")`` if nothing says.

    The level is what the document calls itself (本区/我区), else the level prefix most of its own
    departments carry (区财政局 → 区; 各区人民政府 is a lower level and does not vote), else the last
    administrative name of its title. The region is the title's (or issuer's) names up to that level.

    >>> jurisdiction("江陵市滨湖区人才安居办法", "结合本区实际。", ["区人才办"])
    ('区', '江陵市滨湖区')
    """
    votes: Counter[str] = Counter()
    for m in _SELF.finditer(body):
        votes[m.group(1)] += 2
    for d in departments:
        if d and not d.startswith("各") and d[0] in "省市州区县旗":
            votes[d[0]] += 1
    chains = [c for c in (_admin_chain(title), _admin_chain(issuer)) if c]
    level = votes.most_common(1)[0][0] if votes else ""
    if not level and chains:
        level = _unit_level(chains[0][-1])
    if not level:
        return "", ""
    for chain in chains:
        for k in range(len(chain), 0, -1):
            if _unit_level(chain[k - 1]) == level:
                return level, "".join(chain[:k])
    return level, ""


def places(*names: str) -> tuple[str, ...]:
    """Place names a department of this document may start with: each administrative name at the
    start of the title or issuer, and their chains ("江陵市", "滨湖区", "江陵市滨湖区").

    >>> places("江陵市滨湖区人才安居办法")
    ('江陵市滨湖区', '滨湖区', '江陵市')
    """
    out: list[str] = []
    for name in names:
        chain = _admin_chain(name or "")
        for k in range(len(chain), 0, -1):
            for cand in ("".join(chain[:k]), chain[k - 1]):
                if cand not in out:
                    out.append(cand)
    return tuple(out)


def _admin_chain(title: str) -> list[str]:
    """The leading administrative names only (``place_chain`` without the trailing rest).

    A segment longer than 4 characters before its unit reads as a phrase ("支持东湖高新区"), not a name,
    unless it is the first one.
    """
    chain = place_chain(title)
    if chain and not re.search(rf"{_UNIT}$", chain[-1]):
        chain = chain[:-1]
    out = []
    for k, seg in enumerate(chain):
        if k and len(seg) > 5:
            break
        out.append(seg)
    return out
