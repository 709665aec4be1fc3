#!/usr/bin/env node
/**
 * Runs a benchmark: compiles bench/ (and the src/ files it imports) with tsc into bench/dist —
 * no loader, no extra dependency — then starts it in a fresh Node with the environment Dawn needs
 * (SwiftShader's Vulkan ICD unless VK_ICD_FILENAMES is set, a private XDG_RUNTIME_DIR).
 *   node bench/run.mjs kernels|train|attack [options]      (npm run bench:<name> -- [options])
 * Type errors in src/ that others are still writing do not stop the run (tsc still emits);
 * they are summarised on stderr, and a backend that cannot load shows as n/a in the tables.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const [name, ...rest] = process.argv.slice(2);
const benches = ['kernels', 'train', 'attack'];
if (!benches.includes(name)) {
  console.error(`usage: node bench/run.mjs ${benches.join('|')} [options]   (--help for the options)`);
  process.exit(2);
}

// the WGSL sources are embedded by the build script when the project has one
const embed = path.join(root, 'scripts', 'embed-shaders.mjs');
if (existsSync(embed)) spawnSync(process.execPath, [embed], { cwd: root, stdio: 'inherit' });

const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const t0 = Date.now();
const build = spawnSync(process.execPath, [tsc, '-p', path.join(here, 'tsconfig.json'), '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
const errors = (build.stdout + build.stderr).split('\n').filter((l) => /error TS\d+/.test(l));
const own = errors.filter((l) => l.startsWith('bench/'));
if (errors.length) {
  console.error(`bench build: ${errors.length} type error(s)${own.length ? '' : ' outside bench/ (run continues)'}:`);
  for (const l of errors.slice(0, 8)) console.error(`  ${l}`);
}
const entry = path.join(here, 'dist', 'bench', `${name}.js`);
if (own.length || !existsSync(entry)) {
  console.error(own.length ? 'bench build failed in bench/ itself' : `bench build produced no ${entry}`);
  process.exit(2);
}
console.error(`bench build: ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const xdg = process.env.XDG_RUNTIME_DIR ?? '/tmp/gmgrad-xdg';
mkdirSync(xdg, { recursive: true });
try { chmodSync(xdg, 0o700); } catch { /* not ours: Dawn only warns */ }
const env = {
  ...process.env,
  VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json',
  XDG_RUNTIME_DIR: xdg,
};
const run = spawnSync(process.execPath, [entry, ...rest], { cwd: root, stdio: 'inherit', env });
process.exit(run.status ?? 1);
