/**
 * The cross-backend op check, in the page: every case of ops-cases.ts runs on WebGPU (and the
 * WebAssembly backend) and on the TypeScript CPU reference, and the outputs and gradients are
 * compared within 1e-4 absolute + 1e-3 relative. Results go to a table and to
 * `window.gmgradOpsCheck` for the browser test. `?backends=webgpu,wasm` picks the backends.
 */
import { createBackend, describeBackend, setBackend, type Backend, type BackendName } from '../../../src/index.js';
import { byId, errorMessage, h } from './dom.js';
import { compare, OP_CASES, TOL, type Comparison } from './ops-cases.js';

export interface OpResult {
  op: string;
  backend: string;
  ok: boolean;
  outputs: Comparison[];
  error?: string;
  ms: number;
}

export interface OpsCheckReport {
  done: boolean;
  backends: Record<string, string>;
  results: OpResult[];
  /** a backend that could not be created, with the reason */
  unavailable: Record<string, string>;
  error?: string;
}

const report: OpsCheckReport = { done: false, backends: {}, results: [], unavailable: {} };
(window as unknown as { gmgradOpsCheck: OpsCheckReport }).gmgradOpsCheck = report;

function wanted(): BackendName[] {
  const p = new URLSearchParams(location.search).get('backends');
  const list = (p ?? 'webgpu,wasm').split(',').map((s) => s.trim()).filter(Boolean);
  return list.filter((s): s is BackendName => s === 'webgpu' || s === 'wasm');
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toExponential(1) : String(v);
}

function row(r: OpResult): HTMLTableRowElement {
  const worst = r.outputs.reduce((a, o) => Math.max(a, o.maxAbs), 0);
  const ratio = r.outputs.reduce((a, o) => Math.max(a, o.worstRatio), 0);
  const failing = r.outputs.filter((o) => !o.ok).map((o) => `${o.output} (${o.detail})`).join('; ');
  return h('tr', { class: r.ok ? 'ok' : 'bad' },
    h('td', {}, r.op), h('td', {}, r.backend),
    h('td', { class: 'num' }, r.error ? '–' : fmt(worst)),
    h('td', { class: 'num' }, r.error ? '–' : ratio.toFixed(3)),
    h('td', {}, r.ok ? '✓ pass' : `✗ ${r.error ?? failing}`),
    h('td', { class: 'num' }, `${r.ms.toFixed(0)} ms`),
  );
}

async function main(): Promise<void> {
  const status = byId('status');
  const cpu = await createBackend('cpu');
  const backends: [string, Backend][] = [];
  for (const name of wanted()) {
    try {
      if (name === 'webgpu' && !navigator.gpu) throw new Error('navigator.gpu is missing');
      const b = await createBackend(name, { verbose: false });
      backends.push([name, b]);
      report.backends[name] = describeBackend(b);
    } catch (e) {
      report.unavailable[name] = errorMessage(e);
    }
  }
  report.backends.cpu = describeBackend(cpu);
  byId('backends').textContent = [
    ...backends.map(([n]) => `${n}: ${report.backends[n]}`),
    `reference: ${report.backends.cpu}`,
    ...Object.entries(report.unavailable).map(([n, why]) => `${n} unavailable: ${why}`),
  ].join(' · ');
  const body = byId('results');
  for (const c of OP_CASES) {
    status.textContent = `running ${c.name}…`;
    setBackend(cpu);
    let ref;
    try {
      ref = await c.run(cpu);
    } catch (e) {
      const r: OpResult = { op: c.name, backend: 'cpu (reference)', ok: false, outputs: [], error: errorMessage(e), ms: 0 };
      report.results.push(r);
      body.append(row(r));
      continue;
    }
    for (const [name, b] of backends) {
      const t0 = performance.now();
      let r: OpResult;
      try {
        setBackend(b);
        const out = await c.run(b);
        const outputs = compare(out, ref);
        r = { op: c.name, backend: name, ok: outputs.every((o) => o.ok), outputs, ms: performance.now() - t0 };
      } catch (e) {
        r = { op: c.name, backend: name, ok: false, outputs: [], error: errorMessage(e), ms: performance.now() - t0 };
      }
      report.results.push(r);
      body.append(row(r));
    }
  }
  setBackend(cpu);
  const failed = report.results.filter((r) => !r.ok).length;
  status.textContent = `${report.results.length - failed} of ${report.results.length} checks pass (tolerance ${TOL.abs} abs + ${TOL.rel} rel)`;
  status.className = failed === 0 ? 'pass' : 'fail';
  report.done = true;
}

main().catch((e) => {
  report.error = errorMessage(e);
  report.done = true;
  byId('status').textContent = `The op check could not run: ${report.error}`;
  byId('status').className = 'fail';
});
