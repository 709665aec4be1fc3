/** The package's entry point: every op is exported under its own name (nothing else shadows it). */
import { expect, it } from 'vitest';
import * as g from '../../src/index.js';
import * as ops from '../../src/ops/index.js';

it('exports every op of src/ops unchanged', () => {
  const shadowed = Object.keys(ops).filter((k) => (g as Record<string, unknown>)[k] !== (ops as Record<string, unknown>)[k]);
  expect(shadowed).toEqual([]);
});
