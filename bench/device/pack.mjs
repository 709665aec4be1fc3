#!/usr/bin/env node
/**
 * Packs what bench/device/run.sh needs on a machine with an NVIDIA GPU, nothing installed and no
 * network, into .device/ (git-ignored; the device tool's call names it in `carry`):
 *   .device/bundle.tar.xz   node (this machine's linux-x64 binary) and its libstdc++, the compiled
 *                           benchmarks and the library they import (bench/dist), the node_modules the run loads
 *                           (webgpu with only its linux-x64 Dawn binary, tfjs-core and
 *                           tfjs-backend-webgpu, vitest and its dependencies, fast-check) and a
 *                           CIFAR-10 subset (train.bin, test.bin: the binary format's records), the
 *                           package build (dist/, for the CLI's paper-recipe runs) and, with --mnist,
 *                           MNIST's four original IDX files
 *   .device/gl/*.deb        the Vulkan loader (libvulkan1, amd64), fetched with apt-get download
 * and checks that bundle + loader + the repository's own files fit the device tool's 64 MiB.
 *
 *   node bench/device/pack.mjs --cifar DIR [--mnist DIR] [--train N] [--test N] [--out .device]
 *   node bench/device/pack.mjs --dry-run [--stage DIR] [--cifar DIR]
 *
 * --cifar: a folder with CIFAR-10's binary batches (data_batch_1.bin … test_batch.bin, each
 * possibly .gz); the first N records of the training batches and of the test batch are kept.
 * --mnist: a folder with MNIST's train/t10k IDX files (.gz), copied whole: the device run trains the
 * shortened MNIST recipes (recipes/*-short.json) on them with the CLI.
 * --dry-run (CI, and bench/device/run.sh --dry-run): the same staged tree, with node linked
 * instead of copied, a tiny CIFAR subset (when --cifar or $GMGRAD_DATA has one), no compression.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MIB = 1024 * 1024;
/** the device tool's limit on everything that travels: tracked files + carried paths */
const LIMIT_BYTES = 64 * MIB;
const RECORD = 3073;

function parse(argv) {
  const o = { out: path.join(root, '.device'), stage: null, cifar: process.env.GMGRAD_DATA ? path.join(process.env.GMGRAD_DATA, 'cifar10') : null, mnist: null, train: 5_000, test: 1_000, dryRun: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => { if (argv[i + 1] === undefined) throw new Error(`${a} needs a value`); return argv[++i]; };
    if (a === '--dry-run') o.dryRun = true;
    else if (a === '--out') o.out = path.resolve(v());
    else if (a === '--stage') o.stage = path.resolve(v());
    else if (a === '--cifar') o.cifar = path.resolve(v());
    else if (a === '--mnist') o.mnist = path.resolve(v());
    else if (a === '--train') o.train = Number(v());
    else if (a === '--test') o.test = Number(v());
    else throw new Error(`pack: unknown option ${a} (known: --cifar DIR, --mnist DIR, --train N, --test N, --out DIR, --stage DIR, --dry-run)`);
  }
  if (o.dryRun) { o.train = Math.min(o.train, 64); o.test = Math.min(o.test, 64); }
  o.stage ??= o.dryRun ? '/tmp/gmgrad-device-dry' : '/tmp/gmgrad-device-stage';
  return o;
}

function log(s) { process.stderr.write(`pack: ${s}\n`); }

/** tsc of the benchmarks: bench/dist holds them and the src/ files they import, compiled */
function build() {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'embed-shaders.mjs')], { cwd: root, stdio: 'inherit' });
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'bench', 'tsconfig.json'), '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
  const errors = (r.stdout + r.stderr).split('\n').filter((l) => /error TS\d+/.test(l));
  if (errors.length) throw new Error(`bench build: ${errors.length} type error(s):\n${errors.slice(0, 8).join('\n')}`);
  // the package build (dist/): the CLI that trains the recipes on the device
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
}

// ---- node_modules: the packages the run loads, each with only the files it needs ----

/** what runs on the device: the benchmarks' peers and Dawn, and the test runner */
const ROOTS = ['webgpu', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', 'vitest', 'fast-check'];
/**
 * declared but never loaded by these runs: types; tfjs-cpu (tfjs-webgpu's bundle needs only
 * tfjs-core); lightningcss (vite imports it only to transform CSS)
 */
const SKIP_PACKAGES = /^(@types\/|@webgpu\/types$|@tensorflow\/tfjs-backend-cpu$|fsevents$|lightningcss)/;
const SKIP_FILES = /(\.map|\.d\.[cm]?ts|\.ts|\.tsbuildinfo|\.md|\.markdown|_test\.js)$|(^|\/)(CHANGELOG|HISTORY)[^/]*$/i;
/** per package: a predicate on paths inside it (relative, '/'-separated) */
const KEEP = {
  webgpu: (p) => p === 'package.json' || p === 'index.js' || p.startsWith('dist/linux-x64/'),
  '@tensorflow/tfjs-core': (p) => !/^dist\/(miniprogram\/|tf-core\.(js|min\.js|es2017\.js|es2017\.min\.js|fesm\.js|fesm\.min\.js)$)/.test(p),
  '@tensorflow/tfjs-backend-webgpu': (p) => p === 'package.json' || p === 'dist/tf-backend-webgpu.node.js',
};

/** Node's lookup of `name` from a package folder: its own node_modules, then the parents' */
function resolvePackage(from, name) {
  for (let dir = from; dir.startsWith(root); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root) break;
  }
  return null;
}

function closure() {
  const seen = new Map();
  const stack = ROOTS.map((name) => [name, resolvePackage(root, name)]);
  while (stack.length) {
    const [name, dir] = stack.pop();
    if (!dir) throw new Error(`pack: package ${name} is not installed (npm ci first)`);
    if (seen.has(dir)) continue;
    seen.set(dir, name);
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const [deps, required] of [[pkg.dependencies, true], [pkg.optionalDependencies, false]]) {
      for (const dep of Object.keys(deps ?? {})) {
        if (SKIP_PACKAGES.test(dep)) continue;
        const found = resolvePackage(dir, dep);
        if (found) stack.push([dep, found]);
        else if (required) throw new Error(`pack: ${name} needs ${dep}, which is not installed`);
      }
    }
  }
  return seen;
}

function copyTree(src, dst, keep, rel = '') {
  let bytes = 0;
  for (const entry of readdirSync(path.join(src, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' && !rel) continue; // nested packages are staged on their own
      bytes += copyTree(src, dst, keep, r);
    } else if (entry.isFile() && !SKIP_FILES.test(r) && keep(r)) {
      mkdirSync(path.join(dst, path.dirname(r)), { recursive: true });
      copyFileSync(path.join(src, r), path.join(dst, r));
      bytes += statSync(path.join(src, r)).size;
    }
  }
  return bytes;
}

function stageModules(stage) {
  let bytes = 0;
  const packages = closure();
  for (const [dir, name] of packages) {
    const dst = path.join(stage, path.relative(root, dir));
    bytes += copyTree(dir, dst, KEEP[name] ?? (() => true));
  }
  return { bytes, count: packages.size };
}

// ---- CIFAR-10 subset ----

function readBatch(dir, name) {
  for (const [file, gz] of [[name, false], [`${name}.gz`, true], [`cifar-10-batches-bin/${name}`, false]]) {
    const p = path.join(dir, file);
    if (existsSync(p)) return gz ? gunzipSync(readFileSync(p)) : readFileSync(p);
  }
  return null;
}

/** the first n records of the named batches, concatenated; null when the folder lacks them */
function cifarRecords(dir, names, n) {
  const parts = [];
  let have = 0;
  for (const name of names) {
    if (have >= n) break;
    const bytes = readBatch(dir, name);
    if (!bytes) return null;
    const take = Math.min(n - have, bytes.length / RECORD);
    parts.push(bytes.subarray(0, take * RECORD));
    have += take;
  }
  return Buffer.concat(parts);
}

function stageCifar(stage, o) {
  if (!o.cifar) return null;
  const train = cifarRecords(o.cifar, [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), o.train);
  const test = cifarRecords(o.cifar, ['test_batch.bin'], o.test);
  if (!train || !test) {
    if (o.dryRun) return null;
    throw new Error(`pack: no CIFAR-10 binary batches in ${o.cifar} (data_batch_1.bin … test_batch.bin, or .gz)`);
  }
  const dir = path.join(stage, 'data', 'cifar10');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'train.bin'), train);
  writeFileSync(path.join(dir, 'test.bin'), test);
  return { train: train.length / RECORD, test: test.length / RECORD, bytes: train.length + test.length };
}

// ---- MNIST, whole ----

const MNIST_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

function stageMnist(stage, o) {
  if (!o.mnist) return null;
  const missing = MNIST_FILES.filter((f) => !existsSync(path.join(o.mnist, f)));
  if (missing.length) throw new Error(`pack: ${o.mnist} lacks MNIST's ${missing.join(', ')}`);
  const dir = path.join(stage, 'data', 'mnist');
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  for (const f of MNIST_FILES) {
    copyFileSync(path.join(o.mnist, f), path.join(dir, f));
    bytes += statSync(path.join(dir, f)).size;
  }
  return { files: MNIST_FILES.length, bytes };
}

// ---- sizes ----

function duBytes(p) {
  const s = statSync(p);
  if (!s.isDirectory()) return s.size;
  return readdirSync(p).reduce((a, e) => a + duBytes(path.join(p, e)), 0);
}

function trackedBytes() {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  return files.reduce((a, f) => a + (existsSync(path.join(root, f)) ? statSync(path.join(root, f)).size : 0), 0);
}

const fmt = (b) => `${(b / MIB).toFixed(1)} MiB`;

function vulkanDebs(out) {
  const gl = path.join(out, 'gl');
  mkdirSync(gl, { recursive: true });
  if (readdirSync(gl).some((f) => f.startsWith('libvulkan1_') && f.endsWith('.deb'))) return gl;
  // the device README's recipe: amd64 packages whatever this machine's architecture
  const lists = '/tmp/gmgrad-amd64-lists';
  mkdirSync(path.join(lists, 'partial'), { recursive: true });
  const apt = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`];
  execFileSync('apt-get', [...apt, 'update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', [...apt, 'download', 'libvulkan1'], { cwd: gl, stdio: 'inherit' });
  return gl;
}

function main() {
  const o = parse(process.argv.slice(2));
  const t0 = Date.now();
  build();
  rmSync(o.stage, { recursive: true, force: true });
  mkdirSync(path.join(o.stage, 'node', 'bin'), { recursive: true });
  const nodeDst = path.join(o.stage, 'node', 'bin', 'node');
  if (o.dryRun) symlinkSync(process.execPath, nodeDst); else copyFileSync(process.execPath, nodeDst);
  const benchBytes = copyTree(path.join(root, 'bench', 'dist'), path.join(o.stage, 'bench', 'dist'), (p) => p.endsWith('.js'));
  const distBytes = copyTree(path.join(root, 'dist'), path.join(o.stage, 'dist'), (p) => p.endsWith('.js'));
  // Dawn's binary wants GLIBCXX_3.4.30 (GCC 12): run.sh puts this copy first where the device's is older
  const libstdcxx = '/usr/lib/x86_64-linux-gnu/libstdc++.so.6';
  if (existsSync(libstdcxx)) {
    mkdirSync(path.join(o.stage, 'lib'), { recursive: true });
    copyFileSync(libstdcxx, path.join(o.stage, 'lib', 'libstdc++.so.6'));
  }
  const modules = stageModules(o.stage);
  const cifar = stageCifar(o.stage, o);
  const mnist = stageMnist(o.stage, o);
  writeFileSync(path.join(o.stage, 'manifest.json'), JSON.stringify({
    node: process.version, platform: `${process.platform}-${process.arch}`, packed: new Date().toISOString(),
    commit: execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim(), cifar, mnist,
  }, null, 2));
  log(`staged ${o.stage}: bench ${fmt(benchBytes)}, dist ${fmt(distBytes)}, MNIST ${mnist ? fmt(mnist.bytes) : 'none'}, ${modules.count} packages ${fmt(modules.bytes)}, CIFAR-10 ${cifar ? `${cifar.train} train + ${cifar.test} test images (${fmt(cifar.bytes)})` : 'none'}`);
  if (o.dryRun) return;

  mkdirSync(o.out, { recursive: true });
  const bundle = path.join(o.out, 'bundle.tar.xz');
  rmSync(bundle, { force: true });
  // xz: python3's lzma module unpacks it on the device even where no xz binary is installed
  execFileSync('bash', ['-c', `set -o pipefail; tar -C "${o.stage}" -cf - . | xz -T0 -6 > "${bundle}"`], { stdio: 'inherit' });
  const gl = vulkanDebs(o.out);
  const sizes = { bundle: statSync(bundle).size, gl: duBytes(gl), tracked: trackedBytes(), staged: duBytes(o.stage) };
  const total = sizes.bundle + sizes.gl + sizes.tracked;
  log(`bundle ${fmt(sizes.bundle)} (${fmt(sizes.staged)} unpacked), Vulkan loader ${fmt(sizes.gl)}, repository files ${fmt(sizes.tracked)}: ${fmt(total)} of the device tool's ${fmt(LIMIT_BYTES)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  writeFileSync(path.join(o.out, 'sizes.json'), JSON.stringify({ ...sizes, total, limit: LIMIT_BYTES }, null, 2));
  if (total > LIMIT_BYTES) {
    log(`too big by ${fmt(total - LIMIT_BYTES)}: pack fewer CIFAR-10 images (--train, --test) or leave out --mnist`);
    process.exitCode = 1;
  }
}

try {
  main();
} catch (e) {
  log(e instanceof Error ? e.message : String(e));
  process.exitCode = 2;
}
