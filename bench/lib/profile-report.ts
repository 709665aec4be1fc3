/** The text of a training-step profile (profile.ts): effective GFLOPS, op kinds, where the time goes, layers. */
import type { StepProfile } from './profile.js';
import type { SimdPeak } from './simd-peak.js';
import { renderTable } from './table.js';

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const pct = (v: number, of: number) => `${((100 * v) / of).toFixed(0)} %`;

export function renderProfile(title: string, p: StepProfile, peak: SimdPeak | null): string {
  const gflops = p.flopPerStep / (p.msPerStep / 1000) / 1e9;
  const out = [
    `${title}: ${ms(p.msPerStep)} ms/step over ${p.steps} profiled steps`,
    `  effective: ${(p.flopPerStep / 1e9).toFixed(2)} GFLOP per step (direct-algorithm arithmetic of its convolutions and products) → ${gflops.toFixed(1)} GFLOPS`
      + (peak ? `, ${pct(gflops, peak.gflops)} of the 128-bit SIMD peak (${peak.gflops.toFixed(1)} GFLOPS on ${peak.threads} thread(s), same run)` : ''),
    '',
  ];
  const total = p.msPerStep;
  out.push(renderTable(
    [{ title: 'where the time goes', align: 'left' }, { title: 'ms/step' }, { title: 'share' }],
    [
      ['inside the wasm kernels (the calling thread computing)', ms(p.kernelsMs), pct(p.kernelsMs, total)],
      [`waiting for the other thread's share (hand-off, imbalance; ${p.takenOver.toFixed(1)} shares/step run by the caller)`, ms(p.waitedMs), pct(p.waitedMs, total)],
      ['JavaScript inside backend ops (checks, planning, copies)', ms(p.jsInOpsMs), pct(p.jsInOpsMs, total)],
      ['  of which allocating and freeing storage', ms(p.allocMs), pct(p.allocMs, total)],
      ['outside backend ops (autograd, tidy, optimizer bookkeeping)', ms(p.outsideMs), pct(p.outsideMs, total)],
    ],
  ));
  out.push('');
  const kinds = p.opKinds.filter(([, a]) => a.ms >= 0.05 * Math.max(1, total / 100));
  out.push(renderTable(
    [{ title: 'op kind', align: 'left' }, { title: 'ms/step' }, { title: 'share' }, { title: 'calls/step' }],
    kinds.map(([k, a]) => [k, ms(a.ms), pct(a.ms, total), a.calls.toFixed(0)]),
  ));
  out.push('');
  const passes = ['forward', 'input grad', 'weight grad', 'backward'];
  const rows = p.layers.map((l) => {
    const cell = (name: string) => {
      const x = l.passes.get(name);
      return x ? ms(x.ms) : '';
    };
    const all = [...l.passes.values()];
    const flops = all.reduce((s, x) => s + x.flops, 0), t = all.reduce((s, x) => s + x.ms, 0);
    const algos = passes.filter((n) => l.passes.has(n)).map((n) => [...l.passes.get(n)!.algorithms].join('+') || '?');
    return [
      `${l.name}${l.shape ? ` (${l.shape})` : ''}`, ...passes.map(cell), ms(t),
      flops ? (flops / (t / 1000) / 1e9).toFixed(1) : '', l.kind === 'conv' ? algos.join(' / ') : '',
    ];
  });
  out.push(renderTable(
    [{ title: 'layer', align: 'left' }, ...passes.map((t) => ({ title: t, unit: 'ms' })), { title: 'total', unit: 'ms' },
      { title: 'eff.', unit: 'GFLOPS' }, { title: 'algorithm per pass', align: 'left' }],
    rows,
  ));
  return out.join('\n');
}
