/**
 * Kill -9 at any instant: a training process (test/helpers/train-child.ts, a tiny GM model on 40
 * images of the embedded MNIST test split, 2 epochs on the single-threaded wasm backend) is SIGKILLed at every step of
 * an epoch's commit — inside each file write (GMGRAD_FAULT_KILL_AT: created, half written, written,
 * synced, renamed; the manifest; each promotion) — and at random instants. Each time, `--resume`
 * either ends with files bit-identical to an uninterrupted run (model and training state byte for
 * byte, metrics except timings) and nothing stale left behind, or, when no epoch was ever committed,
 * refuses with a clear message, after which a fresh start succeeds. Never a silent mixture.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EMBEDDED = join(ROOT, 'data', 'mnist-test');
const EPOCHS = '2';
let work: string;
let child: string;

interface Outcome { code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number }

function runChild(cwd: string, mode: 'fresh' | 'resume', env: Record<string, string> = {}, killAfterMs?: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, [child, mode, EPOCHS, EMBEDDED], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = killAfterMs === undefined ? null : setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    p.on('error', reject);
    p.on('close', (code, signal) => { if (timer) clearTimeout(timer); resolve({ code, signal, stderr, ms: performance.now() - t0 }); });
  });
}

interface RunFiles { model: Buffer; state: Buffer; metrics: unknown; names: string[] }

function readRun(dir: string): RunFiles {
  const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as { epochs: Record<string, unknown>[] };
  // timings are the only thing allowed to differ
  for (const e of metrics.epochs) { delete e.seconds; delete e.imagesPerSecond; }
  return {
    model: readFileSync(join(dir, 'model.safetensors')),
    state: readFileSync(join(dir, 'training-state.safetensors')),
    metrics,
    names: readdirSync(dir).sort(),
  };
}

let reference: RunFiles;
let faultLabels: string[];
let referenceMs: number;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gmgrad-kill-'));
  await build({
    configFile: false, logLevel: 'silent',
    build: {
      ssr: join(ROOT, 'test/helpers/train-child.ts'), outDir: join(work, 'bundle'), emptyOutDir: true, minify: false, target: 'node20',
      rollupOptions: { output: { format: 'es', entryFileNames: 'child.mjs' } },
    },
  });
  child = join(work, 'bundle', 'child.mjs');
  const refDir = join(work, 'reference');
  const log = join(work, 'faults.log');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(refDir);
  const r = await runChild(refDir, 'fresh', { GMGRAD_FAULT_LOG: log });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  referenceMs = r.ms;
  reference = readRun(join(refDir, 'run'));
  faultLabels = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.replace(/^\d+ /, ''));
}, 120_000);

afterAll(() => { if (work) rmSync(work, { recursive: true, force: true }); });

/** Kill, resume, and check the outcome; returns what happened for the summary. */
async function trial(name: string, kill: { at?: number; afterMs?: number }): Promise<'identical' | 'refused, then identical'> {
  const dir = join(work, name);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir);
  const killed = await runChild(dir, 'fresh', kill.at ? { GMGRAD_FAULT_KILL_AT: String(kill.at) } : {}, kill.afterMs);
  if (kill.at) expect(killed.signal, `${name}: the process should have killed itself (${killed.stderr})`).toBe('SIGKILL');
  const resumed = await runChild(dir, 'resume');
  let outcome: 'identical' | 'refused, then identical' = 'identical';
  if (resumed.code !== 0) {
    // the only acceptable refusal: nothing was committed yet
    expect(resumed.stderr, name).toMatch(/^RunStateError: --resume: run holds no committed epoch \(no checkpoint\.json: the run never finished an epoch there\); start it without --resume\n$/);
    expect(resumed.code).toBe(3);
    const fresh = await runChild(dir, 'fresh');
    expect(fresh.stderr, name).toBe('');
    outcome = 'refused, then identical';
  }
  const got = readRun(join(dir, 'run'));
  expect(got.names, `${name}: files left behind`).toEqual(reference.names);
  expect(got.model.equals(reference.model), `${name}: model.safetensors differs from the uninterrupted run`).toBe(true);
  expect(got.state.equals(reference.state), `${name}: training-state.safetensors differs`).toBe(true);
  expect(got.metrics, `${name}: metrics.json differs`).toEqual(reference.metrics);
  rmSync(dir, { recursive: true, force: true });
  return outcome;
}

/** Run trials two at a time (each has its own folder). */
async function pool<T>(jobs: (() => Promise<T>)[], width = 2): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) { const i = next++; results[i] = await jobs[i]!(); }
  }));
  return results;
}

it('a kill inside any write of a commit resumes bit-identically, or refuses before the first commit', async () => {
  const perEpoch = faultLabels.length / Number(EPOCHS);
  expect(Number.isInteger(perEpoch)).toBe(true);
  expect(faultLabels.slice(0, perEpoch)).toContain('checkpoint.json: renamed');
  // every point of the second epoch's commit; in the first, one inside each kind of step
  const commitPoint = faultLabels.indexOf('checkpoint.json: renamed') + 1;
  const points = [3, commitPoint - 2, commitPoint, commitPoint + 1, ...Array.from({ length: perEpoch }, (_, i) => perEpoch + 1 + i)];
  const outcomes = await pool(points.map((at) => () => trial(`point-${at}`, { at })));
  points.forEach((at, i) => {
    const committedBefore = at >= commitPoint;
    expect(outcomes[i], `kill at point ${at} (${faultLabels[at - 1]})`).toBe(committedBefore ? 'identical' : 'refused, then identical');
  });
}, 600_000);

it('a kill at random instants resumes bit-identically, or refuses before the first commit', async () => {
  // a seeded spread of instants over the uninterrupted run's duration
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const delays = Array.from({ length: 6 }, () => Math.round(rand() * referenceMs));
  const outcomes = await pool(delays.map((ms, i) => () => trial(`random-${i}`, { afterMs: ms })));
  expect(outcomes.every((o) => o === 'identical' || o === 'refused, then identical')).toBe(true);
}, 600_000);
