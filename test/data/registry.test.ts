import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASETS, getDatasetSpec } from '../../src/data/registry.js';
import { EMBEDDED_MNIST, needFullData } from '../helpers/data.js';

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('dataset registry', () => {
  it('describes the three datasets consistently', () => {
    for (const spec of Object.values(DATASETS)) {
      expect(spec.classes).toHaveLength(10);
      for (const split of ['train', 'test'] as const) {
        const s = spec.splits[split];
        const per = spec.shape[0] * spec.shape[1] * spec.shape[2];
        const total = s.files.reduce((a, f) => a + f.bytes, 0);
        // idx: 16-byte image header + 8-byte label header; cifar: one label byte per record
        expect(total).toBe(spec.format === 'idx' ? s.n * (per + 1) + 24 : s.n * (per + 1));
        for (const f of s.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
      }
      expect(spec.stats.mean).toHaveLength(spec.shape[0]);
    }
    expect(() => getDatasetSpec('cifar100')).toThrow(/unknown dataset 'cifar100' \(known: mnist, fashion-mnist, cifar10\)/);
  });

  const check = (name: 'mnist' | 'fashion-mnist' | 'cifar10', dir: string, origin: RegExp, splits: ('train' | 'test')[] = ['train', 'test']) => {
    for (const split of splits) {
      for (const f of DATASETS[name].splits[split].files) {
        const wrapper = f.gz.find((g) => origin.test(g.origin));
        expect(wrapper, `${name} ${f.name}`).toBeDefined();
        expect(sha(join(dir, `${f.name}.gz`))).toBe(wrapper!.sha256);
      }
    }
  };

  it('records the sha256 of the embedded MNIST test files (the original .gz)', () => {
    check('mnist', EMBEDDED_MNIST, /original/, ['test']);
  });

  // the wrappers of the full sets, wherever this machine keeps them (GMGRAD_DATA, cache, Debian)
  for (const [name, origin] of [['mnist', /original/], ['fashion-mnist', /Debian/], ['cifar10', /shared/]] as const) {
    it(`records the sha256 of the ${name} gz files found on this machine`, async (ctx) => {
      check(name, await needFullData(ctx, name), origin);
    });
  }
});
