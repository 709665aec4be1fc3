/**
 * The device run's phases, each under its own time limit and all within one overall deadline
 * (run by bench/device/run.sh with the bundle's node):
 *   1. the WebGPU test suite on the machine's adapter (vitest from the bundle)
 *   2. bench:kernels --big, webgpu vs tfjs-webgpu
 *   3. bench:train at batch 64 and 256 for the zoo networks, webgpu vs tfjs-webgpu, with dispatch
 *      counts; ResNet-20 again with one submit per step (submit batching compared)
 *   4. a timed ResNet-20 training run on the packed CIFAR-10 subset, with test accuracy
 *   5. with the time left, the shortened MNIST paper recipes (`gmgrad train --recipe …-short
 *      --backend webgpu`) on the packed MNIST, one after the other; each commits a checkpoint per
 *      epoch, so a run the deadline stops resumes elsewhere with the same command + --resume.
 *      The run folders come back as paper-runs.tar.
 * Everything goes to $OUT: device-log.txt (all output), device-result.json (phases, the
 * adapter, the targets), and the benchmarks' own JSON. The targets of issue 13 are printed as
 * PASS / FAIL lines (or 'not measured').
 *
 *   node bench/device/device-run.mjs --stage DIR --out DIR [--dry-run]
 * --dry-run: the same phases at tiny sizes (SwiftShader in CI): correctness of the run, not speed.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const dry = args.includes('--dry-run');
const stage = path.resolve(opt('stage') ?? '/tmp/gmgrad-device');
const out = path.resolve(opt('out') ?? process.env.OUT ?? '/tmp/gmgrad-device-out');
mkdirSync(out, { recursive: true });
const logFile = path.join(out, 'device-log.txt');
writeFileSync(logFile, '');
const started = Date.now();
/** seconds for all phases: run.sh passes what is left of 9 minutes after unpacking */
const DEADLINE_S = Number(process.env.GMGRAD_DEVICE_DEADLINE ?? (dry ? 330 : 510));

function log(line) {
  const text = `[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`;
  process.stdout.write(text);
  appendFileSync(logFile, text);
}

function remainingS() {
  return DEADLINE_S - (Date.now() - started) / 1000;
}

/** Runs a command with a time limit; its output goes to the log (and stdout). */
function run(name, argv, { limitS, env = {}, cwd = root } = {}) {
  const limit = Math.max(5, Math.min(limitS, remainingS() - 5));
  log(`== ${name} (limit ${limit.toFixed(0)} s): ${argv.join(' ')}`);
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(argv[0], argv.slice(1), { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const sink = (chunk) => { process.stdout.write(chunk); appendFileSync(logFile, chunk); };
    child.stdout.on('data', sink);
    child.stderr.on('data', sink);
    const timer = setTimeout(() => { log(`${name}: time limit reached, stopping it`); child.kill('SIGKILL'); }, limit * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = (Date.now() - t0) / 1000;
      log(`${name}: exit ${code ?? signal} after ${seconds.toFixed(1)} s`);
      resolve({ name, exitCode: code, signal, seconds, timedOut: signal === 'SIGKILL' });
    });
  });
}

const node = process.execPath;
const benchJs = (name) => path.join(stage, 'bench', 'dist', 'bench', `${name}.js`);
const readJson = (file) => { try { return JSON.parse(readFileSync(file, 'utf8')); } catch { return null; } };

// ---- phases ----

const WEBGPU_TESTS = [
  'test/backends/webgpu-variants.test.ts', 'test/backends/webgpu-gemm.test.ts', 'test/backends/webgpu-nn.test.ts',
  'test/backends/webgpu-elementwise.test.ts', 'test/backends/webgpu-device.test.ts', 'test/ops/fused.test.ts',
  'test/ops/cross-backend.test.ts', 'test/ops/attack-step.test.ts', 'test/train/dispatch-count.test.ts', 'test/train/memory-flat.test.ts',
];

async function tests() {
  const files = dry ? ['test/backends/webgpu-variants.test.ts'] : WEBGPU_TESTS;
  const report = path.join(out, 'tests.json');
  const r = await run('tests', [node, path.join(stage, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...files, '--reporter=default', '--reporter=json', `--outputFile=${report}`],
    { limitS: dry ? 90 : 90, env: { GMGRAD_BACKENDS: 'webgpu', GMGRAD_TRAIN_BACKENDS: 'webgpu', CI: 'true' } });
  const j = readJson(report);
  return { ...r, passed: j?.numPassedTests ?? null, failed: j?.numFailedTests ?? null, total: j?.numTotalTests ?? null };
}

async function kernels() {
  const file = path.join(out, 'kernels.json');
  const argv = dry ? ['--backends', 'webgpu,tfjs-webgpu', '--rows', 'matmul-128,gm-10x2', '--quick', '--budget', '0.2']
    : ['--big', '--backends', 'webgpu,tfjs-webgpu', '--budget', '1'];
  const r = await run('bench:kernels', [node, benchJs('kernels'), ...argv, '--out', file], { limitS: dry ? 60 : 75 });
  return { ...r, file: path.basename(file), rows: readJson(file)?.rows ?? null };
}

async function train(batch, extra = {}) {
  const file = path.join(out, `train-${batch}${extra.suffix ?? ''}.json`);
  const models = dry ? 'lenet' : extra.models ?? 'small-cnn,lenet,resnet20';
  const argv = [node, benchJs('train'), '--backends', extra.backends ?? 'webgpu,tfjs-webgpu', '--models', models, '--batch', String(batch),
    ...(dry ? ['--quick', '--budget', '0.2'] : ['--budget', '1.5']), '--out', file];
  const r = await run(`bench:train batch ${batch}${extra.suffix ?? ''}`, argv, { limitS: dry ? 120 : extra.limitS ?? 70, env: extra.env });
  return { ...r, file: path.basename(file), rows: readJson(file)?.rows ?? null };
}

async function cifar() {
  const data = path.join(stage, 'data', 'cifar10');
  if (!existsSync(path.join(data, 'train.bin'))) return { name: 'resnet20-cifar10', skipped: 'no CIFAR-10 subset in the bundle' };
  const file = path.join(out, 'resnet20-cifar10.json');
  const argv = [node, benchJs('cifar-timed'), '--data', data, '--out', file,
    ...(dry ? ['--epochs', '1', '--batch', '2', '--limit', '4', '--test-limit', '4', '--budget', '60'] : ['--epochs', '30', '--batch', '128', '--budget', String(Math.max(30, Math.min(60, remainingS() - 20)))])];
  const r = await run('ResNet-20 on CIFAR-10', argv, { limitS: dry ? 120 : 80 });
  return { ...r, result: readJson(file) };
}

/** the shortened MNIST recipes of docs/reproduction.md, in the order their weights are needed */
const PAPER_RECIPES = ['mnist-2d-gm-short', 'mnist-2d-softmax-short'];
const RUNS_DIR = path.join(dry ? '/tmp/gmgrad-device-dry-runs' : '/tmp/gmgrad-device-runs');

async function paperRuns() {
  const data = path.join(stage, 'data', 'mnist');
  if (!existsSync(path.join(data, 'train-images-idx3-ubyte.gz'))) return { name: 'paper recipes', skipped: 'no MNIST in the bundle' };
  const cli = path.join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(cli)) return { name: 'paper recipes', skipped: `no CLI build at ${cli}` };
  // a dry run starts over; the real one resumes whatever an earlier call on this machine left
  if (dry) rmSync(RUNS_DIR, { recursive: true, force: true });
  const runs = [];
  for (const recipe of PAPER_RECIPES) {
    if (remainingS() < 40) break;
    const dir = path.join(RUNS_DIR, recipe);
    const resume = existsSync(path.join(dir, 'checkpoint.json'));
    const argv = [node, cli, 'train', '--recipe', recipe, '--backend', 'webgpu', '--data', data, '--out', dir,
      ...(resume ? ['--resume'] : []), ...(dry ? ['--epochs', '1', '--limit', '8', '--test-limit', '8', '--batch', '8'] : [])];
    const r = await run(`train ${recipe}`, argv, { limitS: remainingS() - 15 });
    const metrics = readJson(path.join(dir, 'metrics.json'));
    const epochs = metrics?.epochs ?? [];
    log(`${recipe}: ${epochs.length} epoch(s) committed; last: ${JSON.stringify(epochs.at(-1) ?? null)}`);
    runs.push({ recipe, ...r, epochsCommitted: epochs.length, lastEpoch: epochs.at(-1) ?? null });
  }
  // the run folders (checkpoints, metrics) come back as one file: the device tool returns at most 8
  if (runs.length) {
    const tar = await run('pack the runs', ['tar', '-cf', path.join(out, 'paper-runs.tar'), '-C', RUNS_DIR, '.'], { limitS: 20 });
    return { name: 'paper recipes', runs, exitCode: runs.some((x) => x.exitCode !== 0 && !x.timedOut) ? 1 : tar.exitCode };
  }
  return { name: 'paper recipes', runs, skipped: 'no time left' };
}

// ---- targets (issue 13, on the H200) ----

const PEAK_FP32_TFLOPS = 67;

function cellOf(row, impl) {
  return row.cells?.find((c) => c.impl === impl && c.status === 'ok');
}

function ratioRows(rows) {
  return (rows ?? []).map((row) => {
    const a = cellOf(row, 'webgpu'), b = cellOf(row, 'tfjs-webgpu');
    return { row: row.label, speedup: a && b && (a.variant ?? '') === (b.variant ?? '') ? b.ms / a.ms : null };
  });
}

function targets(phases) {
  const lines = [];
  const add = (name, value, pass, detail) => lines.push({ name, value, pass, detail });
  const matmul = phases.kernels.rows?.find((r) => r.id === 'matmul-4096');
  const mm = matmul && cellOf(matmul, 'webgpu');
  const tflops = mm ? mm.rate / 1000 : null;
  add('matmul 4096² ≥ 50 % of 67 TFLOPS fp32', tflops, tflops === null ? null : tflops >= 0.5 * PEAK_FP32_TFLOPS,
    tflops === null ? 'not measured' : `${tflops.toFixed(1)} TFLOPS = ${(100 * tflops / PEAK_FP32_TFLOPS).toFixed(0)} % of peak`);
  for (const [name, rows] of [['every kernel row', phases.kernels.rows], ['every training row (batch 64)', phases.train64.rows], ['every training row (batch 256)', phases.train256.rows]]) {
    const r = ratioRows(rows);
    const measured = r.filter((x) => x.speedup !== null);
    const worst = measured.reduce((w, x) => (w === null || x.speedup < w.speedup ? x : w), null);
    const missing = r.length - measured.length;
    add(`${name} ≥ ×5 tfjs-webgpu`, worst?.speedup ?? null, measured.length === 0 ? null : measured.every((x) => x.speedup >= 5) && missing === 0,
      measured.length === 0 ? 'not measured' : `worst ×${worst.speedup.toFixed(2)} (${worst.row})${missing ? `; ${missing} row(s) without a ratio` : ''}`);
  }
  const c = phases.cifar.result;
  add('ResNet-20 CIFAR-10 epoch (50 000 images) ≤ 10 s of training', c?.fullEpochSeconds ?? null, c ? c.fullEpochSeconds <= 10 : null,
    c ? `${c.fullEpochSeconds.toFixed(1)} s at ${Math.round(c.imagesPerSecond)} img/s (batch ${c.batch}; ${c.trainImages}-image subset), test accuracy ${(100 * (c.testAccuracy ?? 0)).toFixed(1)} %` : 'not measured');
  return lines;
}

async function main() {
  const manifest = readJson(path.join(stage, 'manifest.json'));
  log(`gmgrad device run${dry ? ' (dry run)' : ''}: stage ${stage}, out ${out}, deadline ${DEADLINE_S} s; bundle ${JSON.stringify(manifest)}`);
  await run('adapter', [node, '-e', `import('${path.join(stage, 'bench', 'dist', 'src', 'backends', 'webgpu', 'gpu-adapter.js')}').then(async (m) => { const d = await m.acquireDevice(); console.log(JSON.stringify({ info: d.info, features: d.features, limits: { maxComputeWorkgroupStorageSize: d.device.limits.maxComputeWorkgroupStorageSize, maxComputeInvocationsPerWorkgroup: d.device.limits.maxComputeInvocationsPerWorkgroup } })); process.exit(0); })`], { limitS: 30 });
  const phases = {};
  phases.tests = await tests();
  phases.kernels = await kernels();
  phases.train64 = await train(dry ? 2 : 64);
  phases.train256 = dry ? { skipped: 'dry run' } : await train(256);
  phases.cifar = await cifar();
  // the paper's MNIST recipes take what is left; submit batching is compared only where there is no MNIST
  phases.paper = await paperRuns();
  // submit batching: the same ResNet-20 step with every dispatch of a step in one submit
  phases.train256OneSubmit = dry || remainingS() < 60 ? { skipped: dry ? 'dry run' : 'no time left' }
    : await train(256, { suffix: '-one-submit', models: 'resnet20', backends: 'webgpu', limitS: 45, env: { GMGRAD_BENCH_WEBGPU: JSON.stringify({ dispatchesPerSubmit: 100000 }) } });
  const t = targets(phases);
  // a dry run's numbers come from SwiftShader at tiny sizes: they check the plumbing, not the targets
  const verdict = (x) => (dry ? 'DRY RUN' : x.pass === null ? 'NOT MEASURED' : x.pass ? 'PASS' : 'FAIL');
  for (const x of t) log(`${verdict(x)}  ${x.name}: ${x.detail}`);
  const failedPhases = Object.values(phases).filter((p) => p.exitCode !== undefined && p.exitCode !== 0);
  writeFileSync(path.join(out, 'device-result.json'), JSON.stringify({ dryRun: dry, manifest, seconds: (Date.now() - started) / 1000, phases, targets: t }, null, 2));
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; ${failedPhases.length ? `phases that failed: ${failedPhases.map((p) => p.name).join(', ')}` : 'every phase exited 0'}`);
  process.exitCode = failedPhases.length ? 1 : 0;
}

main().catch((e) => { log(`device run failed: ${e?.stack ?? e}`); process.exitCode = 2; });
