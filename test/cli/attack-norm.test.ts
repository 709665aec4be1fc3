/**
 * `gmgrad attack --norm`: one invocation runs each threat model with its own ε list; results.json
 * carries the norm of every row, one worst case per norm, the (attack, norm) pairs skipped with their
 * reason (also in --report-md), and the sanity checks under each norm; one norm an attack lacks stops
 * the command before any work.
 */
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, fixtureCheckpoint, tempDir } from './helpers.js';
import { needFullData } from '../helpers/data.js';

it('one norm an attack has no form for is a usage error naming the attack, the norm and what it supports', async () => {
  const { path } = await fixtureCheckpoint();
  const r = await cli('attack', '--checkpoint', path, '--attacks', 'apgd-ce,pgd', '--norm', 'l1', '--out', tempDir(), '--backend', 'cpu');
  expect(r.code).toBe(2);
  expect(r.stderr).toBe("gmgrad attack: attack 'pgd' under --norm l1: pgd has no L1 form (it supports linf, l2)\n");
});

it('a list of norms: per-norm ε sweeps, the norm in every row, skipped pairs and per-norm sanity checks in results.json', async (ctx) => {
  const data = await needFullData(ctx, 'mnist');
  const { path } = await fixtureCheckpoint();
  const out = tempDir();
  const r = await cli('attack', '--checkpoint', path, '--data', data, '--backend', 'cpu', '--out', out,
    '--attacks', 'apgd-ce,square,fgm,apgd-adaptive', '--norm', 'linf,l1', '--eps', '0.1', '--eps-l1', '1,3', '--eps-l2', '0.5',
    '--n', '10', '--calibration', '10', '--fit-n', '20', '--steps', '2', '--queries', '10', '--sanity', '--sanity-n', '3',
    '--report-md', join(out, 'detection.md'));
  expect(r.code, r.stderr).toBe(0);
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  const rows = results.result.attacks.map((a: { label: string; norm: string; epsilon: number | null }) => [a.label, a.norm, a.epsilon]);
  expect(rows).toEqual([
    ['APGD-CE L∞ 1×2 ε=0.1', 'linf', 0.1], ['APGD-CE L1 1×2 ε=1', 'l1', 1], ['APGD-CE L1 1×2 ε=3', 'l1', 3],
    ['Square L∞ 10q ε=0.1', 'linf', 0.1],
    ['FGM L2 ε=0.5', 'l2', 0.5],
    ['APGD-Adaptive L∞ 1×2 ε=0.1', 'linf', 0.1], ['APGD-Adaptive L1 1×2 ε=1', 'l1', 1], ['APGD-Adaptive L1 1×2 ε=3', 'l1', 3],
  ]);
  expect(results.skipped).toEqual([{ attack: 'square', norm: 'l1', reason: 'square has no L1 form (it supports linf, l2)' }]);
  expect(r.stdout).toContain('skipped under L1: square has no L1 form (it supports linf, l2)');
  expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('square has no L1 form');
  expect(results.sanity.map((s: { attack: string; norm: string; budget: { epsilon: number } }) => [s.attack, s.norm, s.budget.epsilon]))
    .toEqual([['PGD', 'linf', 0.1], ['APGD-CE-L1', 'l1', 3]]);
  // one worst case per threat model, each over its own norm's rows (APGD-Adaptive's like every other)
  const linfRows = ['APGD-CE L∞ 1×2 ε=0.1', 'Square L∞ 10q ε=0.1', 'APGD-Adaptive L∞ 1×2 ε=0.1'];
  const l1Rows = ['APGD-CE L1 1×2 ε=1', 'APGD-CE L1 1×2 ε=3', 'APGD-Adaptive L1 1×2 ε=1', 'APGD-Adaptive L1 1×2 ε=3'];
  const labels = ['worst case L∞ over 3 rows (ε = 0.1)', 'worst case L2 over 1 row (ε = 0.5)', 'worst case L1 over 4 rows (ε ≤ 3)'];
  expect(results.result.worstCases.map((w: { norm: string; label: string; covers: string[] }) => [w.norm, w.label, w.covers]))
    .toEqual([['linf', labels[0], linfRows], ['l2', labels[1], ['FGM L2 ε=0.5']], ['l1', labels[2], l1Rows]]);
  for (const d of Object.values(results.result.detection) as { perAttack: { name: string }[]; worstCases: { name: string; norm: string }[] }[]) {
    expect(d.perAttack.map((a) => a.name)).toContain('APGD-Adaptive L1 1×2 ε=3');
    expect(d.worstCases.map((w) => [w.norm, w.name])).toEqual([['linf', labels[0]], ['l2', labels[1]], ['l1', labels[2]]]);
  }
  for (const label of labels) {
    expect(r.stdout).toContain(label);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain(label);
  }
  const md = readFileSync(join(out, 'detection.md'), 'utf8');
  expect(md).toContain('- skipped under L1: square has no L1 form (it supports linf, l2)');
  for (const label of labels) expect(md).toContain(`| ${label} |`);
}, 60_000);
