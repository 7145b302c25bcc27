import json, collections
valid = {l.split('\t')[0] for l in open('clauses.txt', encoding='utf-8') if l.strip()}
CATS = {"amount","not_computable","needs_fact","department","dates","procedure","lookup_question","paraphrase","conversation","out_of_scope","cross_document","lookup"}
ids=set(); cnt=collections.Counter(); errs=[]
for n,line in enumerate(open('cases.jsonl', encoding='utf-8'),1):
    o=json.loads(line)
    if o['id'] in ids: errs.append(f'dup {o["id"]}')
    ids.add(o['id']); cnt[o['category']]+=1
    if o['category'] not in CATS: errs.append(f'bad cat {o["id"]}')
    e=o['expect']
    refs=list(e.get('citations_include',[]))+list(e.get('amounts',{}).keys())+list(e.get('clause_ids_include',[]))
    for r in refs:
        if r not in valid: errs.append(f'{o["id"]}: unknown clause {r}')
    if o['category']=='out_of_scope':
        if e!={'refused':True} or 'doc' in o: errs.append(f'oos shape {o["id"]}')
    elif o['category']!='lookup':
        if e.get('refused') is not False: errs.append(f'refused? {o["id"]}')
        if not o.get('turns'): errs.append(f'no turns {o["id"]}')
    am=e.get('amounts')
    if am and e.get('total_yuan') is not None and sum(am.values())!=e['total_yuan'] and o['category']!='amount':
        errs.append(f'sum mismatch {o["id"]}')
    if am and e.get('total_yuan') is not None and sum(am.values())!=e['total_yuan']:
        print('note: amounts sum != total', o['id'], sum(am.values()), e['total_yuan'])
print(dict(cnt), sum(cnt.values()))
print('errors:', errs or 'none')
