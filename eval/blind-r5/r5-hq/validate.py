import json, re
ids = {l.split('\t')[0] for l in open('/work/blind/r5-hq/clauses.txt', encoding='utf-8')}
seen = set(); n = 0
for ln in open('/work/blind/r5-hq/cases.jsonl', encoding='utf-8'):
    o = json.loads(ln); n += 1
    assert o['id'] not in seen, o['id']; seen.add(o['id'])
    e = o['expect']
    cited = e.get('citations_include', []) + e.get('clause_ids_include', []) + list(e.get('amounts', {}).keys())
    for cid in cited: assert cid in ids, (o['id'], cid)
    if o['category'] != 'out_of_scope': assert o.get('doc') == 'r5-hq', o['id']
    else: assert e.get('refused') is True
    if 'total_yuan' in e and e['total_yuan'] is not None: assert isinstance(e['total_yuan'], int)
    if o['category'] == 'conversation': assert 2 <= len(o['turns']) <= 3
print('ok', n, 'cases')
