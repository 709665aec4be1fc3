/**
 * A run folder is never silently overwritten, mixed or resumed as another run: finished and
 * unfinished runs need --force, foreign files are not clobbered, a resume must match the run's
 * recipe and data (the mismatch is named), tampered or corrupt files are refused, a live writer's
 * lock is respected and a dead one's taken over, and stale temporary files are removed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { init } from '../../src/init.js';
import type { Backend } from '../../src/core/backend.js';
import { stratifiedSlice, type Dataset } from '../../src/data/dataset.js';
import { loadDataset } from '../../src/data/node/resolve.js';
import { defaultConfig, type TrainConfig } from '../../src/train/config.js';
import { trainOnData, type RunOptions } from '../../src/train/run.js';

const EMBEDDED = fileURLToPath(new URL('../../data/mnist-test/', import.meta.url));
let backend: Backend;
let description: string;
let train: Dataset;
let test: Dataset;

beforeAll(async () => {
  ({ backend, description } = await init({ backend: 'cpu', verbose: false }));
  const all = await loadDataset('mnist', { split: 'test', dataDir: EMBEDDED, allowDownload: false, log: () => {} });
  train = stratifiedSlice(all, 40);
  test = stratifiedSlice(all, 20, 10);
});

function config(out: string, changes: Partial<TrainConfig> = {}): TrainConfig {
  return { ...defaultConfig('mnist'), model: 'tiny-cnn', featureDim: 2, epochs: 1, batch: 20, lr: 0.02, rampEpochs: 0, backend: 'cpu', out, seed: 1, ...changes };
}

async function run(c: TrainConfig, o: RunOptions = {}, data = { train, test }): Promise<void> {
  const r = await trainOnData(c, backend, description, data.train, data.test, { verbose: false, ...o });
  r.model.dispose();
}

const fresh = () => join(mkdtempSync(join(tmpdir(), 'gmgrad-runs-')), 'run');

describe('starting where a run lives', () => {
  it('a finished run is not overwritten without --force; with it, the run starts over', async () => {
    const out = fresh();
    await run(config(out));
    const before = readFileSync(join(out, 'model.safetensors'));
    await expect(run(config(out, { seed: 2 }))).rejects.toThrow(/--out .*run holds a finished run \(1 epoch\) and it is not overwritten without --force/);
    expect(readFileSync(join(out, 'model.safetensors')).equals(before)).toBe(true);
    await run(config(out, { seed: 2 }), { force: true });
    expect(readFileSync(join(out, 'model.safetensors')).equals(before)).toBe(false);
  });

  it('an unfinished run suggests --resume', async () => {
    const out = fresh();
    await run(config(out, { epochs: 1 }));
    const manifest = JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8'));
    manifest.epochs = 3; // as if asked for 3 epochs and stopped after 1
    writeFileSync(join(out, 'checkpoint.json'), JSON.stringify(manifest));
    await expect(run(config(out, { epochs: 3 }))).rejects.toThrow(/holds an unfinished run \(epoch 1 of 3\); pass --resume to continue it/);
  });

  it('files not written by a run (no checkpoint.json) are not clobbered', async () => {
    const out = fresh();
    mkdirSync(out);
    writeFileSync(join(out, 'model.safetensors'), 'precious');
    await expect(run(config(out))).rejects.toThrow(/already holds model\.safetensors \(not from a gmgrad run: no checkpoint\.json\); pass --force/);
    expect(readFileSync(join(out, 'model.safetensors'), 'utf8')).toBe('precious');
  });

  it('stale temporary and pending files of an interrupted write are removed', async () => {
    const out = fresh();
    mkdirSync(out);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(out, `.model.safetensors.pending.${dead}-0badf00d.tmp`), 'half');
    writeFileSync(join(out, 'metrics.json.pending'), '{');
    await run(config(out));
    expect(readdirSync(out).sort()).toEqual(['checkpoint.json', 'metrics.json', 'model.safetensors', 'training-state.safetensors']);
  });
});

describe('--resume checks that it is the same run', () => {
  let out: string;
  beforeAll(async () => {
    out = fresh();
    await run(config(out, { epochs: 1 }));
  });
  const cases: [string, Partial<TrainConfig>, RegExp][] = [
    ['another model', { model: 'lenet' }, /--model is "lenet" but the run used "tiny-cnn"/],
    ['another loss', { loss: 'softmax' }, /--loss is "softmax" but the run used "gm"/],
    ['another feature dimension', { featureDim: 3 }, /--feature-dim is 3 but the run used 2/],
    ['another learning rate', { lr: 0.5 }, /--lr is 0\.5 but the run used 0\.02/],
    ['another seed', { seed: 9 }, /--seed is 9 but the run used 1/],
  ];
  for (const [what, change, message] of cases) {
    it(`refuses ${what}, naming it`, async () => {
      await expect(run(config(out, { epochs: 2, ...change }), { resume: true })).rejects.toThrow(message);
      await expect(run(config(out, { epochs: 2, ...change }), { resume: true })).rejects.toThrow(/--resume: this is not the run in .*Resume with the run's settings, or start over with --force/);
    });
  }

  it('refuses other data, naming the split', async () => {
    const other = { train: stratifiedSlice(train, 30), test };
    await expect(run(config(out, { epochs: 2 }), { resume: true }, other)).rejects.toThrow(/the train set has 30 images but the run used 40/);
  });

  it('refuses another epoch count under a cosine schedule', async () => {
    const o = fresh();
    await run(config(o, { schedule: 'cosine' }));
    await expect(run(config(o, { schedule: 'cosine', epochs: 2 }), { resume: true })).rejects.toThrow(/--epochs 2 differs from the run's 1, and its cosine learning-rate schedule depends on it/);
  });

  it('refuses files without a manifest (an older gmgrad\'s run), naming them', async () => {
    const o = fresh();
    mkdirSync(o);
    writeFileSync(join(o, 'model.safetensors'), 'old');
    writeFileSync(join(o, 'training-state.safetensors'), 'old');
    await expect(run(config(o), { resume: true })).rejects.toThrow(/--resume: .*run holds model\.safetensors, training-state\.safetensors but no checkpoint\.json \(written by an older gmgrad, or by hand\), so they cannot be verified as one epoch; start over with --force/);
  });

  it('refuses when nothing was committed', async () => {
    const o = fresh();
    await expect(run(config(o), { resume: true })).rejects.toThrow(/--resume: .*run holds no committed epoch \(no checkpoint\.json/);
  });
});

describe('a run changed outside gmgrad is refused', () => {
  it('a tampered model file', async () => {
    const out = fresh();
    await run(config(out));
    const bytes = readFileSync(join(out, 'model.safetensors'));
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(join(out, 'model.safetensors'), bytes);
    await expect(run(config(out, { epochs: 2 }), { resume: true })).rejects.toThrow(/model\.safetensors does not match .*checkpoint\.json \(epoch 1 expects sha256 [0-9a-f]{12}…, its sha256 is [0-9a-f]{12}…\)/);
  });

  it('a missing metrics file', async () => {
    const out = fresh();
    await run(config(out));
    writeFileSync(join(out, 'metrics.json'), '');
    await expect(run(config(out, { epochs: 2 }), { resume: true })).rejects.toThrow(/metrics\.json does not match/);
  });

  it('a corrupt manifest', async () => {
    const out = fresh();
    await run(config(out));
    writeFileSync(join(out, 'checkpoint.json'), '{"format": "gmgrad-run/1", "epoch": ');
    await expect(run(config(out, { epochs: 2 }), { resume: true })).rejects.toThrow(/checkpoint\.json: not valid JSON .*the run cannot be verified \(restore the file, or start over with --force\)/);
    writeFileSync(join(out, 'checkpoint.json'), 'null');
    await expect(run(config(out, { epochs: 2 }), { resume: true })).rejects.toThrow(/checkpoint\.json: not a JSON object/);
    await run(config(out), { force: true });
  });
});

describe('temporary files', () => {
  it('only those of dead processes are removed (a live download\'s stay)', async () => {
    const { removeStaleTemporaries } = await import('../../src/io/node/folders.js');
    const dir = fresh();
    mkdirSync(dir);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(dir, `.a.bin.${dead}-0123abcd.tmp`), '');
    writeFileSync(join(dir, `.b.bin.${process.pid}-0123abcd.tmp`), '');
    writeFileSync(join(dir, 'c.tmp'), '');
    expect(await removeStaleTemporaries(dir)).toEqual([`.a.bin.${dead}-0123abcd.tmp`]);
    expect(readdirSync(dir).sort()).toEqual([`.b.bin.${process.pid}-0123abcd.tmp`, 'c.tmp']);
  });
});

describe('one writer per folder', () => {
  it('a live process holding the lock is named; a dead one\'s lock is taken over', async () => {
    const out = fresh();
    mkdirSync(out);
    writeFileSync(join(out, '.lock'), `${process.ppid}\n`); // alive: the process that started the test worker
    await expect(run(config(out))).rejects.toThrow(new RegExp(`--out folder .*run is in use by another gmgrad process \\(pid ${process.ppid}\\)`));
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(out, '.lock'), `${dead}\n`);
    await run(config(out));
    expect(existsSync(join(out, '.lock'))).toBe(false);
  });
});
