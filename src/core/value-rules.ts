/**
 * Declarative rules for scalar settings (type, integer, range, choices), shared by the command-line
 * schema and the library's configuration checks, so a flag and its configuration field accept
 * exactly the same values and say so in the same words.
 */

export interface ValueRule {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'list' | 'numbers' | 'integers';
  /** numbers (and the items of number lists): the smallest allowed value */
  min?: number;
  max?: number;
  /** the minimum itself is excluded (a learning rate > 0) */
  exclusiveMin?: boolean;
  /** strings (and the items of lists): the allowed values */
  choices?: readonly string[];
  /** lists: the fewest items (default 1) */
  minItems?: number;
}

/** Seeds are 32-bit: Philox keys. */
export const SEED_RULE: ValueRule = { type: 'integer', min: 0, max: 2 ** 32 - 1 };

function range(r: ValueRule): string {
  const lo = r.min === undefined ? '' : `${r.exclusiveMin ? '>' : '≥'} ${r.min}`;
  const hi = r.max === undefined ? '' : `≤ ${r.max}`;
  if (lo && hi) return r.exclusiveMin ? ` ${lo} and ${hi}` : ` from ${r.min} to ${r.max}`;
  return lo || hi ? ` ${lo || hi}` : '';
}

/** "an integer ≥ 1", "a number > 0", "one of gm, softmax", "a comma-separated list of numbers ≥ 0" */
export function expectation(r: ValueRule): string {
  switch (r.type) {
    case 'boolean': return 'true or false';
    case 'integer': return `an integer${range(r)}`;
    case 'number': return `a number${range(r)}`;
    case 'string': return r.choices ? `one of ${r.choices.join(', ')}` : 'a non-empty string';
    case 'list': return `a comma-separated list${r.choices ? ` of ${r.choices.join(', ')}` : ''}`;
    case 'numbers': return `a comma-separated list of numbers${range(r)}`;
    case 'integers': return `a comma-separated list of integers${range(r)}`;
  }
}

function scalarOk(r: ValueRule, v: unknown, integer: boolean): boolean {
  if (typeof v !== 'number' || !Number.isFinite(v)) return false;
  if (integer && !Number.isSafeInteger(v)) return false;
  if (r.min !== undefined && (r.exclusiveMin ? v <= r.min : v < r.min)) return false;
  return r.max === undefined || v <= r.max;
}

/** Whether a (parsed) value obeys the rule. */
export function obeys(r: ValueRule, v: unknown): boolean {
  switch (r.type) {
    case 'boolean': return typeof v === 'boolean';
    case 'integer': return scalarOk(r, v, true);
    case 'number': return scalarOk(r, v, false);
    case 'string': return typeof v === 'string' && v !== '' && (!r.choices || r.choices.includes(v));
    default: {
      if (!Array.isArray(v) || v.length < (r.minItems ?? 1)) return false;
      if (r.type === 'list') return v.every((x) => typeof x === 'string' && x !== '' && (!r.choices || r.choices.includes(x)));
      return v.every((x) => scalarOk(r, x, r.type === 'integers'));
    }
  }
}

export function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v) ?? String(v);
}

/** Throw `${where} must be …, got …` unless the value obeys the rule; returns the value. */
export function checkValue<T>(where: string, r: ValueRule, v: T): T {
  if (!obeys(r, v)) throw new Error(`${where} must be ${expectation(r)}, got ${show(v)}`);
  return v;
}
