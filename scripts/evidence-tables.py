#!/usr/bin/env python3
"""Markdown tables for docs/results.md from the `gmgrad attack` results.json of the evidence runs:
   python3 scripts/evidence-tables.py runs/evidence-mnist-gm/attack/results.json ..."""
import json
import sys


def pct(v):
    return '—' if v is None else f'{100 * v:.1f} %'


def num(v):
    return '—' if v is None else f'{v:.3f}'


for path in sys.argv[1:]:
    d = json.load(open(path))
    r = d['result']
    dets = list(r['detection'].keys())
    print(f"**{d['config']['dataset']} · {d['config']['loss']} head** (`{path}`; {r['n']} attacked test images, "
          f"clean accuracy {pct(r['cleanAccuracy'])}; τ at 99 % TPR on 1000 held-out clean images)\n")
    head = '| attack | accuracy | success |' + ''.join(f' {x} AUROC | {x} TNR@95 | {x} robust err |' for x in dets)
    print(head)
    print('|' + ' --- |' * (3 + 3 * len(dets)))
    per = {x: {a['name']: a for a in r['detection'][x]['perAttack']} for x in dets}
    for a in r['attacks']:
        row = f"| {a['label']} | {pct(a['accuracy'])} | {pct(a['successRate'])} |"
        for x in dets:
            m = per[x].get(a['label'], {})
            row += f" {num(m.get('auroc'))} | {pct(m.get('tnrAt95Tpr'))} | {pct(m.get('robustError'))} |"
        print(row)
    # one worst case per threat model (results.json from before the per-norm worst case: one pooled row)
    worst = [(w['label'], pct(w['accuracy']), [r['detection'][x]['worstCases'][k] for x in dets])
             for k, w in enumerate(r.get('worstCases', []))]
    if 'worstCases' not in r:
        worst = [('worst case over attacks', '—', [r['detection'][x].get('worstCase') or {} for x in dets])]
    for label, acc, rows in worst:
        row = f'| {label} | {acc} | — |'
        for w in rows:
            row += f" {num(w.get('auroc'))} | {pct(w.get('tnrAt95Tpr'))} | {pct(w.get('robustError'))} |"
        print(row)
    print()
