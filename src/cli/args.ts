/**
 * The command-line schema every command shares: one declarative entry per flag (its type, integer
 * and range rules, choices, whether it is required, its default and help) drives parsing,
 * validation and --help. Values are checked here, at the boundary, so a bad value stops the command
 * with one line naming the flag, what it accepts and what it got, before any work is done.
 *
 * Syntax: --flag value, --flag=value, --flag / --no-flag for booleans. Lists are comma separated.
 */
import { statSync } from 'node:fs';
import { expectation, obeys, type ValueRule } from '../core/value-rules.js';

type Value = string | number | boolean | string[] | number[];

export interface OptionSpec extends Partial<Omit<ValueRule, 'type'>> {
  type: ValueRule['type'];
  help: string;
  default?: Value;
  /** how --help states a default that depends on other flags (e.g. the dataset's recipe) */
  defaultText?: string;
  required?: boolean;
  /** a string naming a path that must exist as a file or a folder */
  path?: 'file' | 'dir';
}

export type Schema = Record<string, OptionSpec>;

/** Flags every command accepts (main handles --debug; each command, --help). */
export const COMMON_FLAGS: Schema = {
  help: { type: 'boolean', default: false, help: 'show this help and exit' },
  debug: { type: 'boolean', default: false, help: 'print the stack trace of an error (or set GMGRAD_DEBUG=1)' },
};

type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type ValueOf<F extends OptionSpec> =
  F['type'] extends 'boolean' ? boolean
  : F['type'] extends 'number' | 'integer' ? number
  : F['type'] extends 'numbers' | 'integers' ? number[]
  : F['type'] extends 'list' ? string[]
  : F extends { choices: readonly (infer C)[] } ? C : string;
type Known<F> = F extends { default: unknown } ? true : F extends { required: true } ? true : false;

/**
 * Parsed flags, camelCased (--feature-dim → featureDim); optional unless defaulted or required. A
 * schema declared `as const`/`satisfies` gets exact types; one typed Record<string, OptionSpec> gets loose ones.
 */
export type ParsedArgs<S extends Schema = Schema> = (string extends keyof S
  ? Record<string, Value | undefined>
  : { -readonly [K in keyof S as Camel<K & string>]: Known<S[K]> extends true ? ValueOf<S[K]> : ValueOf<S[K]> | undefined })
  & { help: boolean; debug: boolean };

/** A wrong command line: the CLI prints the one-line message and exits with status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

function expected(spec: OptionSpec): string {
  return expectation({ ...spec, type: spec.type });
}

/** Text → typed value, or a UsageError naming the flag and what it accepts. */
function convert(flag: string, spec: OptionSpec, text: string): Value {
  const bad = (): never => { throw new UsageError(`--${flag} must be ${expected(spec)}, got '${text}'`); };
  const number = (t: string): number => (DECIMAL.test(t.trim()) ? Number(t) : bad());
  let value: Value;
  switch (spec.type) {
    case 'boolean': {
      const v = text.toLowerCase();
      if (['true', '1', 'yes'].includes(v)) value = true;
      else if (['false', '0', 'no'].includes(v)) value = false;
      else value = bad();
      break;
    }
    case 'number': case 'integer': value = number(text); break;
    case 'string': value = text; break;
    default: {
      const items = text.split(',').map((s) => s.trim());
      if (items.some((s) => s === '') && text !== '') throw new UsageError(`--${flag} has an empty item in '${text}' (expected ${expected(spec)})`);
      const list = text === '' ? [] : items;
      if (new Set(list).size !== list.length) throw new UsageError(`--${flag} lists a value twice in '${text}'`);
      value = spec.type === 'list' ? list : list.map(number);
    }
  }
  if (!obeys({ ...spec, type: spec.type }, value)) bad();
  if (spec.path) checkPath(flag, spec.path, value as string);
  return value;
}

function checkPath(flag: string, kind: 'file' | 'dir', path: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`--${flag} ${path}: ${code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file or folder' : (e as Error).message}`);
  }
  if (kind === 'file' && isDir) throw new UsageError(`--${flag} ${path} is a folder; expected a file`);
  if (kind === 'dir' && !isDir) throw new UsageError(`--${flag} ${path} is a file; expected a folder`);
}

/** Parse and validate argv against the schema (plus COMMON_FLAGS); defaults fill what is not given. */
export function parseArgs<S extends Schema>(argv: readonly string[], schema: S): ParsedArgs<S> {
  const specs: Schema = { ...schema, ...COMMON_FLAGS };
  const out: Record<string, Value | undefined> = {};
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') throw new UsageError(`unexpected argument '${arg}' (flags start with --; --help lists them)`);
    const eq = arg.indexOf('=');
    let flag = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    let text: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    let spec = own(specs, flag) ? specs[flag] : undefined;
    if (!spec && flag.startsWith('no-') && own(specs, flag.slice(3)) && specs[flag.slice(3)]!.type === 'boolean') {
      if (text !== undefined) throw new UsageError(`--${flag} takes no value, got '${text}'`);
      flag = flag.slice(3);
      spec = specs[flag];
      text = 'false';
    }
    if (!spec) {
      const near = Object.keys(specs).filter((k) => distance(k, flag) <= Math.max(1, Math.floor(flag.length / 4)));
      throw new UsageError(`unknown flag --${flag}${near.length ? ` (did you mean ${near.map((k) => `--${k}`).join(' or ')}?)` : ''}; --help lists the flags`);
    }
    if (given.has(flag)) throw new UsageError(`--${flag} is given more than once`);
    given.add(flag);
    if (text === undefined && spec.type === 'boolean') text = 'true';
    if (text === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`--${flag} needs a value (${expected(spec)})`);
      text = next;
      i++;
    }
    if (text === '' && spec.type !== 'list' && spec.type !== 'numbers' && spec.type !== 'integers') throw new UsageError(`--${flag} needs a value (${expected(spec)}), got an empty one`);
    out[camel(flag)] = convert(flag, spec, text);
  }
  for (const [flag, spec] of Object.entries(specs)) {
    if (given.has(flag)) continue;
    if (spec.required && !out.help) throw new UsageError(`--${flag} is required (${spec.help})`);
    out[camel(flag)] = spec.default;
  }
  return out as ParsedArgs<S>;
}

/** The flags the user actually wrote (to tell an explicit value from a default). */
export function givenFlags(argv: readonly string[]): Set<string> {
  const flags = new Set<string>();
  for (const a of argv) if (a.startsWith('--')) flags.add(a.slice(2).split('=')[0]!.replace(/^no-/, ''));
  return flags;
}

function defaultOf(spec: OptionSpec): string {
  if (spec.defaultText) return spec.defaultText;
  if (spec.required) return 'required';
  if (spec.default === undefined) return 'not set';
  if (Array.isArray(spec.default)) return spec.default.length ? spec.default.join(',') : 'none';
  return String(spec.default);
}

const METAVAR: Record<OptionSpec['type'], string> = { string: 'TEXT', number: 'X', integer: 'N', boolean: '', list: 'A,B', numbers: 'X,Y', integers: 'N,M' };

/** --help: every flag with what it accepts and its default, generated from the schema. */
export function helpText(command: string, summary: string, schema: Schema): string {
  const specs: Schema = { ...schema, ...COMMON_FLAGS };
  const lines = [`usage: gmgrad ${command} [flags]`, '', summary, '', 'flags:'];
  for (const [flag, spec] of Object.entries(specs)) {
    const meta = spec.path ? 'PATH' : spec.choices && spec.type === 'string' ? 'NAME' : METAVAR[spec.type];
    const head = `  --${flag}${meta ? ` ${meta}` : ''}`;
    const accepts = spec.type === 'boolean' ? (spec.default === false ? '' : `; --no-${flag} turns it off`)
      : spec.type === 'string' && !spec.choices ? '' : `; ${expected(spec)}`;
    lines.push(`${head.padEnd(26)} ${spec.help}${accepts} (default: ${defaultOf(spec)})`);
  }
  return lines.join('\n');
}
