/** The per-sample worst case over restarts: success first, then the highest objective. */
import { expect, it } from 'vitest';
import * as g from '../../src/index.js';
import { keepWorstCase } from '../../src/attacks/restarts.js';
import { arr } from './fixtures.js';

const t = (v: number[], shape = [v.length]) => g.keep(g.tensor(v, { dtype: 'float64', shape }));

it('prefers a successful candidate even with a lower objective, then the higher objective', () => {
  const best = { x: t([10, 11, 20, 21, 30, 31, 40, 41], [4, 2]), success: t([0, 1, 1, 0]), objective: t([5, 1, 1, 3]) };
  const next = { x: t([12, 13, 22, 23, 32, 33, 42, 43], [4, 2]), success: t([1, 1, 0, 0]), objective: t([1, 2, 9, 2]) };
  const m = keepWorstCase(best, next);
  // sample 0: next succeeds; 1: both succeed, next higher; 2: only best succeeds; 3: neither, best higher
  expect(arr(m.x)).toEqual([12, 13, 22, 23, 30, 31, 40, 41]);
  expect(arr(m.success)).toEqual([1, 1, 1, 0]);
  expect(arr(m.objective)).toEqual([1, 2, 1, 3]);
  expect(best.x.isDisposed && next.x.isDisposed).toBe(true);
  m.x.dispose(); m.success.dispose(); m.objective.dispose();
});
