# Builds clauses.txt from hq.md following the FORMAT.md numbering rules (writer's own check).
import re, json
CN = {'一':1,'二':2,'三':3,'四':4,'五':5,'六':6,'七':7,'八':8,'九':9,'十':10}
def cn2int(s):
    if s.startswith('十'): s = '一' + s
    if '十' in s:
        a, b = s.split('十'); return CN[a]*10 + (CN[b] if b else 0)
    return CN[s]
lines = open('/work/blind/r5-hq/hq.md', encoding='utf-8').read().split('\n')
art_re = re.compile(r'^([一二三四五六七八九十]+)、(.*)$')
item_re = re.compile(r'^（([一二三四五六七八九十]+)）(.*)$')
arts = []  # (num, title, [paragraph lines])
final = []
cur = None
for ln in lines:
    s = ln.strip()
    if not s: continue
    m = art_re.match(s)
    if m:
        cur = [cn2int(m.group(1)), m.group(2), []]; arts.append(cur); continue
    if cur is None: continue
    if s.startswith('本政策') and cur[0] == 22 or final:
        if s.startswith('本政策') or final:
            final.append(s); continue
    cur[2].append(s)
def strip_dept(t): return re.sub(r'（责任单位：[^）]*）', '', t)
def sentences(t):
    t = strip_dept(t)
    return [x + '。' for x in t.split('。') if x.strip()]
out = []
for num, title, paras in arts:
    items = []
    for p in paras:
        m = item_re.match(p)
        if m: items.append(p)
        elif items: items[-1] += p
    if items:
        for i, it in enumerate(items, 1): out.append((f'{num}.{i}', it))
    else:
        body = ''.join(paras)
        for i, se in enumerate(sentences(body), 1): out.append((f'{num}.{i}', se))
fs = sentences(''.join(final))
for i, se in enumerate(fs, 1): out.append((f'附则.{i}', se))
with open('/work/blind/r5-hq/clauses.txt', 'w', encoding='utf-8') as f:
    for cid, t in out: f.write(f'r5-hq:{cid}\t{t[:20]}\n')
print(len(arts), 'articles', len(out), 'clauses')
