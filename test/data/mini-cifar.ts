/** A miniature CIFAR-like dataset (2 + 2 records) packed as a tar.gz, for the archive code paths. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DATASETS, type DataFileSpec, type DatasetSpec, type Mirror } from '../../src/data/registry.js';

export interface MiniCifar {
  /** holds mini-batches-bin/ (extracted) and mini.tar.gz */
  dir: string;
  archive: Uint8Array;
  train: Uint8Array;
  test: Uint8Array;
  spec: DatasetSpec;
  mirror: Extract<Mirror, { kind: 'tar.gz' }>;
}

function batch(seed: number): Uint8Array {
  return Uint8Array.from({ length: 2 * 3073 }, (_, i) => (i % 3073 === 0 ? (seed + i) % 10 : (i * 7 + seed) % 256));
}

function fileSpec(name: string, data: Uint8Array): DataFileSpec {
  return { name, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex'), gz: [] };
}

export function makeMiniCifar(url = 'http://127.0.0.1:9/mini.tar.gz'): MiniCifar {
  const dir = mkdtempSync(join(tmpdir(), 'gmgrad-mini-'));
  mkdirSync(join(dir, 'mini-batches-bin'));
  const train = batch(1), test = batch(2);
  writeFileSync(join(dir, 'mini-batches-bin', 'data_batch_1.bin'), train);
  writeFileSync(join(dir, 'mini-batches-bin', 'test_batch.bin'), test);
  execFileSync('tar', ['-cf', join(dir, 'mini.tar'), '-C', dir, 'mini-batches-bin']);
  const archive = new Uint8Array(gzipSync(readFileSync(join(dir, 'mini.tar'))));
  writeFileSync(join(dir, 'mini.tar.gz'), archive);
  const mirror = { kind: 'tar.gz' as const, url, archiveName: 'mini.tar.gz', memberDir: 'mini-batches-bin', bytes: archive.length, md5: '', sha256: '' };
  const spec: DatasetSpec = {
    ...DATASETS.cifar10,
    name: 'mini-cifar',
    splits: { train: { n: 2, files: [fileSpec('data_batch_1.bin', train)] }, test: { n: 2, files: [fileSpec('test_batch.bin', test)] } },
    mirrors: [mirror],
    subdirs: ['mini-batches-bin'],
  };
  return { dir, archive, train, test, spec, mirror };
}
