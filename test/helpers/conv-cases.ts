/** Convolution parameters for the tests: the output size computed, and a fast-check arbitrary over them. */
import fc from 'fast-check';
import type { Conv2dParams } from '../../src/core/backend.js';

/** defaults (a 3×3 pad-1 convolution of 2×3×7×6) overridden by q; padBottom/padRight: an asymmetric 'same' */
export function convParams(q: Partial<Conv2dParams> & { padBottom?: number; padRight?: number }): Conv2dParams {
  const p = {
    n: 2, inC: 3, inH: 7, inW: 6, outC: 4, kH: 3, kW: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1,
    dilationH: 1, dilationW: 1, groups: 1, outH: 0, outW: 0, ...q,
  };
  const pb = q.padBottom ?? p.padTop, pr = q.padRight ?? p.padLeft;
  p.outH = Math.floor((p.inH + p.padTop + pb - p.dilationH * (p.kH - 1) - 1) / p.strideH) + 1;
  p.outW = Math.floor((p.inW + p.padLeft + pr - p.dilationW * (p.kW - 1) - 1) / p.strideW) + 1;
  delete (p as { padBottom?: number }).padBottom;
  delete (p as { padRight?: number }).padRight;
  return p;
}

/** small convolutions with stride, padding, dilation and groups, and a data seed */
export const convArbitrary: fc.Arbitrary<{ p: Conv2dParams; seed: number }> = fc.record({
  n: fc.integer({ min: 1, max: 2 }), groups: fc.integer({ min: 1, max: 2 }), cg: fc.integer({ min: 1, max: 3 }), og: fc.integer({ min: 1, max: 3 }),
  inH: fc.integer({ min: 1, max: 9 }), inW: fc.integer({ min: 1, max: 9 }), kH: fc.integer({ min: 1, max: 3 }), kW: fc.integer({ min: 1, max: 3 }),
  strideH: fc.integer({ min: 1, max: 3 }), strideW: fc.integer({ min: 1, max: 2 }), padTop: fc.integer({ min: 0, max: 2 }), padLeft: fc.integer({ min: 0, max: 2 }),
  dilationH: fc.integer({ min: 1, max: 2 }), dilationW: fc.integer({ min: 1, max: 2 }), seed: fc.integer({ min: 1, max: 1e6 }),
}).filter((c) => c.inH + 2 * c.padTop >= c.dilationH * (c.kH - 1) + 1 && c.inW + 2 * c.padLeft >= c.dilationW * (c.kW - 1) + 1)
  .map(({ seed, cg, og, ...q }) => ({ p: convParams({ ...q, inC: cg * q.groups, outC: og * q.groups }), seed }));
