import { expect } from 'vitest';

/** |a − b| <= atol + rtol·|b| elementwise, NaN matching NaN; the message names the first miss. */
export function expectCloseWithin(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, b = expected[i]!;
    if (Number.isNaN(b) && Number.isNaN(a)) continue;
    if (a === b) continue;
    if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) expect.fail(`${what}[${i}]: got ${a}, expected ${b}`);
  }
}
