import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { clearDatasetMemo, loadDataset, type LoadDatasetOptions } from '../../src/data/node/resolve.js';
import { DatasetNotFoundError } from '../../src/data/node/not-found.js';
import { embeddedMnistTestDir } from '../../src/data/node/paths.js';
import { makeMiniCifar } from './mini-cifar.js';
import { EMBEDDED_MNIST, FASHION_SYSTEM_DIR, MNIST_TEST_COUNTS, MNIST_TEST_FILES as TEST_FILES, classCounts, needFullData } from '../helpers/data.js';


function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `gmgrad-${prefix}-`));
}

/** A folder holding a copy of the MNIST test files (so each place has its own paths). */
function mnistTestCopy(prefix: string, sub = ''): string {
  const root = tmp(prefix);
  const dir = join(root, sub);
  mkdirSync(dir, { recursive: true });
  for (const f of TEST_FILES) copyFileSync(join(EMBEDDED_MNIST, f), join(dir, f));
  return root;
}

/** Options that isolate a test from the machine: an empty cache, no env folder, no downloads. */
function isolated(extra: Partial<LoadDatasetOptions> = {}): LoadDatasetOptions & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    split: 'test',
    env: { XDG_CACHE_HOME: tmp('cache') },
    allowDownload: false,
    log: (line) => warnings.push(line),
    warnings,
    ...extra,
  };
}

beforeEach(() => clearDatasetMemo());

describe('loadDataset: finding and decoding real data', () => {
  it('falls back to the embedded MNIST test set, CHW uint8 with the published class counts', async () => {
    const ds = await loadDataset('mnist', isolated());
    expect(ds.source).toBe(`embedded MNIST test set (${embeddedMnistTestDir()})`);
    expect([ds.n, ds.c, ds.h, ds.w]).toEqual([10_000, 1, 28, 28]);
    expect(ds.images.length).toBe(10_000 * 784);
    expect(ds.classes[7]).toBe('7');
    expect(classCounts(ds.labels)).toEqual(MNIST_TEST_COUNTS);
  });

  it('finds Fashion-MNIST in the Debian system folder', async (ctx) => {
    if (await needFullData(ctx, 'fashion-mnist') !== FASHION_SYSTEM_DIR) ctx.skip('Fashion-MNIST is here, but not from the Debian package');
    const ds = await loadDataset('fashion-mnist', isolated());
    expect(ds.source).toBe(FASHION_SYSTEM_DIR);
    expect(ds.n).toBe(10_000);
    expect(classCounts(ds.labels)).toEqual(new Array(10).fill(1000));
    expect(Array.from(ds.labels.subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    expect(ds.classes[9]).toBe('Ankle boot');
  });

  it('reads CIFAR-10 .bin.gz from GMGRAD_DATA/<dataset>/ and applies limit as a view', async (ctx) => {
    const cifar = await needFullData(ctx, 'cifar10');
    const root = tmp('gmgrad-data');
    mkdirSync(join(root, 'cifar10'));
    for (const f of ['test_batch.bin.gz']) symlinkSync(join(cifar, f), join(root, 'cifar10', f));
    const ds = await loadDataset('cifar10', isolated({ env: { GMGRAD_DATA: root, XDG_CACHE_HOME: tmp('cache') }, limit: 10 }));
    expect(ds.source).toBe(join(root, 'cifar10'));
    expect([ds.n, ds.c, ds.h, ds.w]).toEqual([10, 3, 32, 32]);
    expect(ds.images.length).toBe(10 * 3072);
    expect(Array.from(ds.labels)).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    // the full set was memoized: a second call does not read the 28 MB file again
    const t0 = performance.now();
    const full = await loadDataset('cifar10', isolated({ env: { GMGRAD_DATA: root, XDG_CACHE_HOME: tmp('cache') } }));
    expect(performance.now() - t0).toBeLessThan(100);
    expect(full.n).toBe(10_000);
    expect(full.images.buffer).toBe(ds.images.buffer);
  });

  it('accepts uncompressed files', async () => {
    const dir = tmp('plain');
    for (const f of TEST_FILES) writeFileSync(join(dir, f.replace(/\.gz$/, '')), gunzipSync(readFileSync(join(EMBEDDED_MNIST, f))));
    const ds = await loadDataset('mnist', isolated({ dataDir: dir, embeddedDir: null }));
    expect(ds.source).toBe(dir);
    expect(classCounts(ds.labels)).toEqual(MNIST_TEST_COUNTS);
  });
});

describe('loadDataset: CIFAR-style archives in a data folder', () => {
  it('reads the tar.gz itself, or its extracted folder', async () => {
    const mini = makeMiniCifar();
    const archiveOnly = tmp('archive');
    copyFileSync(join(mini.dir, 'mini.tar.gz'), join(archiveOnly, 'mini.tar.gz'));
    const fromArchive = await loadDataset(mini.spec, isolated({ dataDir: archiveOnly }));
    expect(fromArchive.source).toBe(join(archiveOnly, 'mini.tar.gz'));
    expect([fromArchive.n, fromArchive.c, fromArchive.h, fromArchive.w]).toEqual([2, 3, 32, 32]);
    expect(Array.from(fromArchive.labels)).toEqual([mini.test[0], mini.test[3073]]);
    const fromFolder = await loadDataset(mini.spec, isolated({ dataDir: mini.dir, split: 'train' }));
    expect(fromFolder.source).toBe(mini.dir); // found mini-batches-bin/data_batch_1.bin
    expect(fromFolder.images.subarray(0, 3072)).toEqual(mini.train.subarray(1, 3073));
  });
});

describe('loadDataset: resolution order', () => {
  it('explicit dir beats GMGRAD_DATA beats the cache beats system folders beats the embedded set', async () => {
    const explicit = mnistTestCopy('explicit');
    const envRoot = mnistTestCopy('env', 'mnist'); // GMGRAD_DATA with a mnist/ sub-folder
    const xdg = mnistTestCopy('xdg', 'gmgrad/mnist');
    const system = mnistTestCopy('system');
    const env = { GMGRAD_DATA: envRoot, XDG_CACHE_HOME: xdg };
    const base = isolated({ env, systemDirs: [system] });
    expect((await loadDataset('mnist', { ...base, dataDir: explicit })).source).toBe(explicit);
    expect((await loadDataset('mnist', base)).source).toBe(join(envRoot, 'mnist'));
    expect((await loadDataset('mnist', { ...base, env: { XDG_CACHE_HOME: xdg } })).source).toBe(join(xdg, 'gmgrad', 'mnist'));
    expect((await loadDataset('mnist', { ...base, env: { XDG_CACHE_HOME: tmp('empty') } })).source).toBe(system);
    expect((await loadDataset('mnist', { ...base, env: { XDG_CACHE_HOME: tmp('empty') }, systemDirs: [] })).source).toMatch(/^embedded MNIST test set/);
  });

  it('skips a place whose file is corrupt, warns naming the file, and uses the next place', async () => {
    const bad = mnistTestCopy('bad');
    const labels = readFileSync(join(bad, TEST_FILES[1]!));
    labels[labels.length - 6] ^= 0xff; // damage the gzip trailer (CRC)
    writeFileSync(join(bad, TEST_FILES[1]!), labels);
    const opts = isolated({ dataDir: bad });
    const ds = await loadDataset('mnist', opts);
    expect(ds.source).toMatch(/^embedded/);
    expect(opts.warnings).toHaveLength(1);
    expect(opts.warnings[0]).toContain(`not using --data ${bad}: ${join(bad, TEST_FILES[1]!)}: corrupt`);
  });
});

describe('loadDataset: a --data folder that is passed over is named', () => {
  it('an existing folder without the files: the data comes from elsewhere, and a notice says where', async () => {
    const empty = tmp('empty');
    const opts = isolated({ dataDir: empty });
    const ds = await loadDataset('mnist', opts);
    expect(ds.source).toMatch(/^embedded/);
    expect(opts.warnings).toEqual([`gmgrad: --data ${empty} has no usable mnist test files; using ${ds.source}`]);
  });
});

describe('loadDataset: bad files are detected and never used', () => {
  const cases: [string, (dir: string) => void, RegExp][] = [
    ['truncated gzip', (dir) => {
      const f = join(dir, TEST_FILES[0]!);
      writeFileSync(f, readFileSync(f).subarray(0, 100_000));
    }, /t10k-images-idx3-ubyte\.gz: truncated \(gzip data ends early/],
    ['truncated uncompressed file', (dir) => {
      writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), gunzipSync(readFileSync(join(EMBEDDED_MNIST, TEST_FILES[1]!))).subarray(0, 5000));
      writeFileSync(join(dir, TEST_FILES[1]!), ''); // never read: the uncompressed name is looked for first
    }, /t10k-labels-idx1-ubyte: truncated \(5000 bytes of content, expected 10008\)/],
    ['one changed label', (dir) => {
      const content = gunzipSync(readFileSync(join(EMBEDDED_MNIST, TEST_FILES[1]!)));
      content[100] = (content[100]! + 1) % 10;
      writeFileSync(join(dir, TEST_FILES[1]!), content); // uncompressed content under the .gz name
    }, /t10k-labels-idx1-ubyte\.gz: checksum mismatch \(content sha256 [0-9a-f]{64}, expected ff7bcfd4/],
  ];
  for (const [what, damage, expected] of cases) {
    it(`reports a ${what}`, async () => {
      const dir = mnistTestCopy('damaged');
      damage(dir);
      const err = await loadDataset('mnist', isolated({ dataDir: dir, embeddedDir: null })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatasetNotFoundError);
      expect((err as Error).message).toMatch(expected);
    });
  }
});

describe('loadDataset: the all-fail error', () => {
  it('lists every place with its reason, then how to provide the files', async () => {
    const empty = tmp('empty');
    const envDir = tmp('env');
    // a cut-off images file (a gzip that ends early) next to a labels file: the images are checked first
    writeFileSync(join(envDir, 'train-images-idx3-ubyte.gz'), readFileSync(join(EMBEDDED_MNIST, 't10k-images-idx3-ubyte.gz')).subarray(0, 5000));
    copyFileSync(join(EMBEDDED_MNIST, 't10k-labels-idx1-ubyte.gz'), join(envDir, 'train-labels-idx1-ubyte.gz'));
    const xdg = tmp('xdg');
    mkdirSync(join(xdg, 'gmgrad', 'mnist'), { recursive: true });
    copyFileSync(join(EMBEDDED_MNIST, 't10k-labels-idx1-ubyte.gz'), join(xdg, 'gmgrad', 'mnist', 'train-labels-idx1-ubyte.gz'));
    copyFileSync(join(EMBEDDED_MNIST, 't10k-labels-idx1-ubyte.gz'), join(xdg, 'gmgrad', 'mnist', 'train-images-idx3-ubyte.gz'));
    const opts = isolated({
      split: 'train',
      dataDir: empty,
      env: { GMGRAD_DATA: envDir, XDG_CACHE_HOME: xdg },
      systemDirs: ['/nonexistent/gmgrad-system'],
      allowDownload: true,
      mirrors: [{ kind: 'gz-files', base: 'http://127.0.0.1:9/mnist/' }], // discard port: connection refused
      progress: false,
    });
    const err = (await loadDataset('mnist', opts).catch((e: unknown) => e)) as DatasetNotFoundError;
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    const places = err.attempts.map((a) => a.place);
    expect(places).toEqual([
      `--data ${join(empty, 'mnist')}`,
      `--data ${empty}`,
      `GMGRAD_DATA ${join(envDir, 'mnist')}`,
      `GMGRAD_DATA ${envDir}`,
      `user cache ${join(xdg, 'gmgrad', 'mnist')}`,
      'system folder /nonexistent/gmgrad-system',
      'download http://127.0.0.1:9/mnist/train-images-idx3-ubyte.gz',
    ]);
    const problems = err.attempts.map((a) => a.problem);
    expect(problems[0]).toBe('folder does not exist');
    expect(problems[1]).toBe('missing train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz]');
    expect(problems[3]).toMatch(/train-images-idx3-ubyte\.gz: truncated/);
    expect(problems[4]).toMatch(/train-images-idx3-ubyte\.gz: (wrong size|truncated|checksum mismatch)/);
    expect(problems[6]).toMatch(/connection refused/);
    expect(err.message).toMatch(/^cannot load MNIST \(train split\): no valid copy found\. Looked at, in order:\n  1\. --data /);
    expect(err.message).toContain('To provide the files:');
    expect(err.message).toContain('GMGRAD_DATA=DIR');
    expect(err.message).toContain(`or copy them into ${join(xdg, 'gmgrad', 'mnist')}`);
    expect(err.message).toContain('https://ossci-datasets.s3.amazonaws.com/mnist/');
    expect(opts.warnings.length).toBe(2); // the truncated env file and the wrong cache file
  });

  it('mentions the Debian package for Fashion-MNIST and says when downloads are disabled', async () => {
    const err = (await loadDataset('fashion-mnist', isolated({ systemDirs: [] })).catch((e: unknown) => e)) as DatasetNotFoundError;
    expect(err.message).toContain('GMGRAD_DATA: not set');
    expect(err.message).toContain('download: not attempted (downloads disabled: allowDownload false)');
    expect(err.message).toContain('apt-get install dataset-fashion-mnist');
  });

  it('fails fast and clearly for an unknown dataset or split', async () => {
    await expect(loadDataset('imagenet', isolated())).rejects.toThrow(/unknown dataset 'imagenet'/);
    await expect(loadDataset('mnist', isolated({ split: 'val' as 'test' }))).rejects.toThrow(/split must be 'train' or 'test', got 'val'/);
  });
});
