/** The JSON record of a run: machine, options, implementations and every cell. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchArgs } from './args.js';

export function machineInfo(): Record<string, unknown> {
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    /** 1-minute load average at the start: other work on a shared machine skews the figures */
    loadAverage: loadavg()[0],
    date: new Date().toISOString(),
  };
}

/** bench/results, found from this file's place in bench/dist/bench/lib */
function resultsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, '..', '..', '..', 'results');
}

export function writeResults(bench: string, args: BenchArgs, payload: Record<string, unknown>): string | null {
  if (!args.json) return null;
  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  const file = args.out ?? path.join(resultsDir(), `${bench}-${stamp}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ bench, machine: machineInfo(), args: { ...args, extra: Object.fromEntries(args.extra) }, ...payload }, null, 2) + '\n');
  return file;
}
