/** Running the CLI in-process: captured output, and a small untrained checkpoint to evaluate and attack. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/cli.js';
import { CpuBackend } from '../../src/backends/cpu/index.js';
import { createModel } from '../../src/models/zoo.js';
import { encodeModel, modelMetadata } from '../../src/train/checkpoint.js';
import { defaultConfig } from '../../src/train/config.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `gmgrad ...argv` in this process, with its output captured. */
export async function cli(...argv: string[]): Promise<CliRun> {
  let stdout = '', stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => { stdout += s; return true; } },
    stderr: { write: (s: string) => { stderr += s; return true; } },
  }, {});
  return { code, stdout, stderr };
}

export function tempDir(prefix = 'gmgrad-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** An untrained tiny-cnn GM checkpoint for MNIST (enough for eval and attack to run end to end). */
export async function fixtureCheckpoint(dir = tempDir()): Promise<{ path: string; bytes: Uint8Array }> {
  const backend = new CpuBackend();
  const model = createModel('tiny-cnn', { head: 'gm', featureDim: 2, inputShape: [1, 28, 28], backend });
  const config = { ...defaultConfig('mnist'), model: 'tiny-cnn' as const, featureDim: 2, out: dir };
  const bytes = await encodeModel(model, modelMetadata(config, model, { epoch: '1' }));
  model.dispose();
  const path = join(dir, 'model.safetensors');
  writeFileSync(path, bytes);
  return { path, bytes };
}
