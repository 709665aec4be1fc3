/**
 * What only the WebGPU backend has to get right about dispatch: a grid of more than 65535
 * workgroups folds into 2-D and covers every element, and with the per-dimension limit forced down
 * to 7 the same folding runs elementwise, strided and reduction kernels over 2-D and 3-D grids.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createTestBackend, expectClose, randomF32, readF } from './webgpu-helpers.js';

const gpu = await createTestBackend();
// the same folding logic at small sizes
const small = await createTestBackend({ maxWorkgroupsPerDimension: 7 });
afterAll(() => { gpu?.dispose(); small?.dispose(); });

describe.skipIf(!gpu)('webgpu grid folding', () => {
  it('a grid of more than 65535 workgroups folds into 2-D and covers every element', async () => {
    const b = gpu!;
    const n = 70_000 * 64 + 3;
    const x = b.upload(Float32Array.from({ length: n }, (_, i) => (i % 1000) - 500));
    const y = await b.read(b.unary('abs', x));
    let bad = -1;
    for (let i = 0; i < n; i++) if (y[i] !== Math.abs((i % 1000) - 500)) { bad = i; break; }
    expect(bad, `first wrong element ${bad}: ${y[bad]}`).toBe(-1);
  });

  it('elementwise, strided and reduction kernels over 2-D and 3-D grids at 7 workgroups per dimension', async () => {
    const b = small!;
    const n = 64 * 60 + 5; // 61 workgroups of 64: a 7 × 7 × 2 grid
    const data = randomF32(n, 12);
    const x = b.upload(data);
    expectClose('exp', await b.read(b.unary('exp', x)), Array.from(data, (v) => Math.fround(Math.exp(v))), 4e-6, 0);
    expect([...await b.read(b.copy({ storage: x, view: { shape: [n], strides: [-1], offset: n - 1 } }))]).toEqual([...data].reverse());
    expectClose('sum over a size-1 axis', await readF(b, b.reduce('sum', x, n, 1, 1)), Array.from(data), 0, 0);
  });
});
