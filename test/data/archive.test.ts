import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzipWeb, isGzip } from '../../src/data/gzip.js';
import { readTar } from '../../src/data/tar.js';
import { extractFromTarGz } from '../../src/data/node/archive.js';
import { GunzipError, gunzipNode } from '../../src/data/node/gunzip.js';
import type { DataFileSpec } from '../../src/data/registry.js';
import { EMBEDDED_MNIST } from '../helpers/data.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A tar built by the system's GNU tar (independent of our reader), with a >100-character name. */
function makeTar(): { tar: Uint8Array; files: Record<string, Uint8Array> } {
  const dir = mkdtempSync(join(tmpdir(), 'gmgrad-tar-'));
  const longDir = 'd'.repeat(60) + '/' + 'e'.repeat(50);
  mkdirSync(join(dir, 'batches', longDir), { recursive: true });
  const files: Record<string, Uint8Array> = {
    'batches/a.bin': Uint8Array.from({ length: 1000 }, (_, i) => i % 251),
    'batches/empty.bin': new Uint8Array(0),
    [`batches/${longDir}/long-name.bin`]: Uint8Array.from([1, 2, 3]),
  };
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  execFileSync('tar', ['--format=gnu', '-cf', join(dir, 'x.tar'), '-C', dir, 'batches']);
  return { tar: new Uint8Array(readFileSync(join(dir, 'x.tar'))), files };
}

describe('tar reader', () => {
  const { tar, files } = makeTar();

  it('lists regular files with their contents, including GNU long names', () => {
    const got = new Map<string, Uint8Array>();
    for (const e of readTar(tar, 'x.tar')) if (e.type === '0') got.set(e.name, e.data);
    expect([...got.keys()].sort()).toEqual(Object.keys(files).sort());
    for (const [name, data] of Object.entries(files)) expect(got.get(name)).toEqual(data);
  });

  it('detects a truncated archive and a damaged header', () => {
    expect(() => [...readTar(tar.subarray(0, 1200), 'cut.tar')]).toThrow(/cut\.tar: truncated tar archive/);
    const damaged = tar.slice();
    damaged[5] ^= 0xff;
    expect(() => [...readTar(damaged, 'bad.tar')]).toThrow(/bad\.tar: corrupt tar header at byte 0 \(header checksum mismatch\)/);
  });

  it('extracts and verifies members of a tar.gz; names the archive and member when wrong', async () => {
    const gz = new Uint8Array(gzipSync(tar));
    const a = files['batches/a.bin']!;
    const spec: DataFileSpec = { name: 'a.bin', bytes: a.length, sha256: sha(a), gz: [] };
    const [content] = await extractFromTarGz(gz, 'x.tar.gz', 'batches', [spec]);
    expect(content).toEqual(a);
    await expect(extractFromTarGz(gz, 'x.tar.gz', 'batches', [{ ...spec, sha256: '0'.repeat(64) }]))
      .rejects.toThrow(/x\.tar\.gz:batches\/a\.bin: checksum mismatch/);
    await expect(extractFromTarGz(gz, 'x.tar.gz', 'batches', [{ ...spec, name: 'b.bin' }]))
      .rejects.toThrow(/x\.tar\.gz: missing \(no member batches\/b\.bin in the archive\)/);
    await expect(extractFromTarGz(gz.subarray(0, gz.length - 20), 'x.tar.gz', 'batches', [spec]))
      .rejects.toThrow(/x\.tar\.gz: truncated/);
  });
});

describe('gunzip', () => {
  const gz = new Uint8Array(readFileSync(join(EMBEDDED_MNIST, 't10k-labels-idx1-ubyte.gz')));

  it('recognises gzip by content; DecompressionStream and zlib agree', async () => {
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(Uint8Array.from([0, 0, 8, 1]))).toBe(false);
    const web = await gunzipWeb(gz, 'labels.gz');
    const node = await gunzipNode(gz, 'labels.gz');
    expect(web.length).toBe(10_008);
    expect(web).toEqual(node);
  });

  it('tells a truncated gzip from a damaged one', async () => {
    const err = await gunzipNode(gz.subarray(0, 2000), 'cut.gz').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GunzipError);
    expect((err as GunzipError).truncated).toBe(true);
    expect((err as Error).message).toMatch(/^cut\.gz: gzip data ends early/);
    const damaged = gz.slice();
    damaged[gz.length - 6] ^= 0xff; // inside the CRC32 trailer
    const err2 = await gunzipNode(damaged, 'bad.gz').catch((e: unknown) => e);
    expect((err2 as GunzipError).truncated).toBe(false);
    await expect(gunzipWeb(gz.subarray(0, 2000), 'cut.gz')).rejects.toThrow(/cut\.gz: gunzip failed/);
  });
});
