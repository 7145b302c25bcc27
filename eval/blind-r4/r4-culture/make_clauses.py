import re, json
text = open('culture.txt', encoding='utf-8').read()
CN = {c:i for i,c in enumerate('零一二三四五六七八九十')}
def cn2int(s):
    if s == '十': return 10
    if s.startswith('十'): return 10 + CN[s[1]]
    if '十' in s:
        a, b = s.split('十'); return CN[a]*10 + (CN[b] if b else 0)
    return CN[s]
NOTE = re.compile(r'（(牵头单位|配合单位|责任单位)[^）]*）')
lines = text.split('\n')
arts = []  # (num, [lines])
cur = None
for ln in lines:
    m = re.match(r'^第([一二三四五六七八九十]+)条\s*(.*)$', ln)
    if m:
        cur = [cn2int(m.group(1)), [m.group(2)]]; arts.append(cur); continue
    if re.match(r'^第[一二三四五六七八九十]+章', ln):
        cur = None; continue
    if cur is not None and ln.strip():
        cur[1].append(ln.strip())
out = []
for num, body in arts:
    body[0] = re.sub(r'^【[^】]*】', '', body[0])
    subs = [l for l in body if re.match(r'^（[一二三四五六七八九十]+）', l)]
    if subs:
        for i, s in enumerate(subs, 1):
            out.append((f'{num}.{i}', s))
    else:
        t = NOTE.sub('', ''.join(body))
        sents = [x + '。' for x in t.split('。') if x.strip()]
        for i, s in enumerate(sents, 1):
            out.append((f'{num}.{i}', s))
with open('clauses.txt', 'w', encoding='utf-8') as f:
    for cid, s in out:
        f.write(f'r4-culture:{cid}\t{s[:20]}\n')
print(len(out))
