/**
 * The speed targets of the training benchmark (issue 11), checked on the run's own figures and
 * printed pass / fail; they never fail the run (speed is asserted here, not in tests).
 *  - two threads against PyTorch on the same cores (median of the alternating rounds):
 *    resnet20 and mnist-6conv at least ×1.0, small-cnn and lenet at least ×1.5;
 *  - every row at least ×1.8 from one thread to two;
 *  - ResNet-20's step at 50 % or more of the 128-bit SIMD peak in effective GFLOPS.
 */
import type { Row } from './harness.js';
import type { SimdPeak } from './simd-peak.js';

const VERSUS_TORCH: Record<string, number> = { resnet20: 1.0, 'mnist-6conv': 1.0, 'small-cnn': 1.5, lenet: 1.5 };
const THREAD_SCALING = 1.8;
const PEAK_FRACTION = 0.5;

interface Check { what: string; measured: string; target: string; pass: boolean | null }

const modelOf = (row: Row) => row.id.replace(/-(gm|softmax)$/, '');

export function effectiveGflops(row: Row, impl: string): number | undefined {
  const c = row.cells.find((x) => x.impl === impl);
  const flop = c?.extra?.stepFlop as number | undefined;
  return c?.status === 'ok' && flop ? flop / (c.ms! / 1000) / 1e9 : undefined;
}

export function renderTargets(rows: readonly Row[], peak: SimdPeak | null): string {
  const checks: Check[] = [];
  const ratio = (row: Row, key: string) => row.pairRatios?.[key];
  for (const row of rows) {
    const model = modelOf(row);
    const want = VERSUS_TORCH[model];
    if (want !== undefined) {
      const r = ratio(row, 'wasm/torch');
      checks.push({ what: `${model}: wasm vs torch (2 threads)`, measured: r === undefined ? 'not run' : `×${r.toFixed(2)}`, target: `≥ ×${want.toFixed(1)}`, pass: r === undefined ? null : r >= want });
    }
    const s = ratio(row, 'wasm/wasm1');
    checks.push({ what: `${model}: 1 → 2 threads`, measured: s === undefined ? 'not run' : `×${s.toFixed(2)}`, target: `≥ ×${THREAD_SCALING}`, pass: s === undefined ? null : s >= THREAD_SCALING });
    if (model === 'resnet20') {
      const g = effectiveGflops(row, 'wasm');
      const p = peak?.gflops;
      const frac = g !== undefined && p ? g / p : undefined;
      checks.push({
        what: 'resnet20: effective GFLOPS vs SIMD peak',
        measured: frac === undefined ? 'not run' : `${g!.toFixed(1)} of ${p!.toFixed(1)} (${(100 * frac).toFixed(0)} %)`,
        target: `≥ ${100 * PEAK_FRACTION} %`, pass: frac === undefined ? null : frac >= PEAK_FRACTION,
      });
    }
  }
  const width = Math.max(...checks.map((c) => c.what.length));
  const lines = checks.map((c) => `  ${c.what.padEnd(width)}  ${c.measured.padStart(24)}  ${c.target.padEnd(8)}  ${c.pass === null ? '—' : c.pass ? 'pass' : 'FAIL'}`);
  const peakLine = peak
    ? `128-bit SIMD peak, same run: ${peak.gflops.toFixed(1)} GFLOPS on ${peak.threads} thread(s) (${peak.perThread.map((g) => g.toFixed(1)).join(' + ')}; ${peak.fma ? 'relaxed madd' : 'mul + add'})`
    : '128-bit SIMD peak: not measured (no wasm column)';
  return ['targets (issue 11; speed-ups are medians of the alternating rounds)', peakLine, ...lines].join('\n');
}
