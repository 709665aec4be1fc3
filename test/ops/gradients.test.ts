/**
 * Every differentiable op: the analytic gradient in float64 matches central finite differences
 * (eps 1e-6, |analytic − numeric| <= 1e-8 + 1e-6·|numeric|) on fast-check-generated shapes.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { gradCheck } from '../helpers/gradcheck.js';
import { opSpecs, valuesFor } from './op-specs.js';

const RUNS = Number(process.env.GMGRAD_PROPERTY_RUNS ?? 12);

describe('gradients match central finite differences (CPU, float64)', () => {
  for (const spec of opSpecs) {
    it(spec.name, () => {
      fc.assert(fc.property(spec.shapes, fc.integer({ min: 1, max: 1_000_000 }), (shapes, seed) => {
        const inputs = shapes.map((s, i) => valuesFor(spec, s.reduce((a, b) => a * b, 1), seed + i));
        gradCheck(spec.fn, inputs, shapes, { rtol: spec.rtol ?? 1e-6, atol: 1e-8 });
      }), { numRuns: RUNS, seed: 42 });
    });
  }
});
