/**
 * The data the tests read. The embedded MNIST test split ships with the repository, so a bare clone
 * always has it; training tests divide it into a training and a held-out part. Full datasets are
 * found the way users' runs find them (GMGRAD_DATA, the user cache, system folders such as Debian's
 * Fashion-MNIST; never a download): a test that needs one skips, saying what is missing, unless
 * GMGRAD_REQUIRE_FULL_DATA=1 (CI), where missing data fails it instead.
 */
import { join } from 'node:path';
import type { TestContext } from 'vitest';
import { init } from '../../src/init.js';
import { gather, stratifiedSlice, type Dataset } from '../../src/data/dataset.js';
import { Generator } from '../../src/core/random.js';
import { embeddedMnistTestDir } from '../../src/data/node/paths.js';
import { candidatePlaces, isDirectory, scanFolder } from '../../src/data/node/places.js';
import { getDatasetSpec } from '../../src/data/registry.js';
import { loadDataset } from '../../src/data/node/resolve.js';
import type { TrainConfig } from '../../src/train/config.js';
import { trainOnData, type RunOptions, type RunResult } from '../../src/train/run.js';

export const EMBEDDED_MNIST = embeddedMnistTestDir();
export const MNIST_TEST_FILES = ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
export const MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

export type FullDataset = 'mnist' | 'fashion-mnist' | 'cifar10';

const found = new Map<string, Promise<string | null>>();

/**
 * The first folder, in the resolver's order without the embedded split, that holds every file of
 * both splits (or the dataset's archive); null when there is none. The files are not read here:
 * the test that uses them verifies what it reads.
 */
export function fullDataDir(name: FullDataset): Promise<string | null> {
  let hit = found.get(name);
  if (!hit) {
    hit = (async () => {
      const spec = getDatasetSpec(name);
      for (const place of candidatePlaces(spec, 'train', { embeddedDir: null })) {
        if (!place.dir || !(await isDirectory(place.dir))) continue;
        const splits = await Promise.all([scanFolder(place.dir, spec, 'train'), scanFolder(place.dir, spec, 'test')]);
        if (splits.every((s) => s.archive !== null || s.files.every((f) => f !== null))) return place.dir;
      }
      return null;
    })();
    found.set(name, hit);
  }
  return hit;
}

export const requireFullData = () => process.env.GMGRAD_REQUIRE_FULL_DATA === '1';

/** The full dataset's folder; without one the test is skipped (or fails under GMGRAD_REQUIRE_FULL_DATA=1). */
export async function needFullData(ctx: TestContext, name: FullDataset): Promise<string> {
  const dir = await fullDataDir(name);
  if (dir) return dir;
  const hint = name === 'fashion-mnist' ? 'apt-get install dataset-fashion-mnist, or ' : '';
  const reason = `needs the full ${name} dataset, found nowhere (${hint}set GMGRAD_DATA to a folder holding ${name}/)`;
  if (requireFullData()) throw new Error(`${reason}; GMGRAD_REQUIRE_FULL_DATA=1 makes this a failure`);
  ctx.skip(reason);
  throw new Error('unreachable');
}

/**
 * The embedded MNIST test split divided, in a seeded random order (its first and second halves come
 * from different writers), into 8 000 images to train on and 2 000 held out.
 */
export async function embeddedSplits(): Promise<{ train: Dataset; test: Dataset }> {
  const all = await loadDataset('mnist', { split: 'test', dataDir: EMBEDDED_MNIST, allowDownload: false, progress: false, log: () => {} });
  const order = new Generator(1234).permutation(all.n);
  return { train: gather(all, order.subarray(0, 8000)), test: gather(all, order.subarray(8000)) };
}

/**
 * What runTraining does, on the embedded splits: `limit` and `testLimit` take class-balanced
 * subsets; checkpoints, metrics and --resume behave exactly as in a run.
 */
export async function trainOnEmbedded(c: TrainConfig, o: RunOptions = {}): Promise<RunResult> {
  const { backend, description } = await init({ backend: c.backend, threads: c.threads, verbose: false });
  const { train, test } = await embeddedSplits();
  const trainPart = c.limit > 0 ? stratifiedSlice(train, c.limit) : train;
  const testPart = c.testLimit > 0 ? stratifiedSlice(test, c.testLimit) : test;
  return trainOnData(c, backend, description, trainPart, testPart, o);
}

export function classCounts(labels: ArrayLike<number>, classes = 10): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  return counts;
}

export const FASHION_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';
export const mnistFile = (name: string) => join(EMBEDDED_MNIST, name);
