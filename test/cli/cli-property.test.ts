/**
 * Property tests over the command line, run in-process through main(): fast-check builds argument
 * vectors for every command from its schema — valid values (kept cheap), invalid ones of every
 * kind, unknown and prototype-named flags, stray arguments, missing values — and every run must exit
 * 0 with a result, or non-zero with one line naming a flag (an invalid one, when one was given). The
 * same for byte-level mutations of a valid checkpoint (through `gmgrad eval`) and of IDX files
 * (through the dataset decoder): a result, or an error naming the file. Run counts are bounded.
 *
 * Valid train and attack runs need the MNIST training split; where it cannot be found (a bare clone)
 * they run with --dry-run, which still parses and checks everything.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { OptionSpec, Schema } from '../../src/cli/args.js';
import { TRAIN_OPTIONS } from '../../src/cli/train-command.js';
import { EVAL_OPTIONS } from '../../src/cli/eval-command.js';
import { ATTACK_OPTIONS } from '../../src/cli/attack-command.js';
import { DEMO_OPTIONS } from '../../src/cli/demo-command.js';
import { FIGURE_OPTIONS } from '../../src/cli/figure-command.js';
import { loadDataset } from '../../src/data/node/resolve.js';
import { decodeDataset } from '../../src/data/dataset.js';
import { getDatasetSpec } from '../../src/data/registry.js';
import { cli, fixtureCheckpoint, tempDir, type CliRun } from './helpers.js';

const EMBEDDED = fileURLToPath(new URL('../../data/mnist-test/', import.meta.url));
let checkpoint: string;
let checkpointBytes: Uint8Array;
let haveTrainSplit = false;

beforeAll(async () => {
  ({ path: checkpoint, bytes: checkpointBytes } = await fixtureCheckpoint());
  haveTrainSplit = await loadDataset('mnist', { split: 'train', allowDownload: false, progress: false, log: () => {} }).then(() => true, () => false);
});

/** One flag's tokens in the vector; `bad` names the flag when the value is invalid. */
interface Piece { flag: string; tokens: string[]; bad: boolean }

const str = (n: number) => String(n);

/** A valid value drawn from the flag's own rule (small, so runs stay cheap). */
function validTokens(flag: string, spec: OptionSpec): fc.Arbitrary<string[]> {
  const top = (lo: number, span: number) => Math.min(spec.max ?? Infinity, lo + span);
  switch (spec.type) {
    case 'boolean': return fc.constantFrom([`--${flag}`], [`--no-${flag}`], [`--${flag}=true`], [`--${flag}=no`]);
    case 'integer': return fc.integer({ min: spec.min ?? 0, max: top(spec.min ?? 0, 3) }).map((v) => [`--${flag}`, str(v)]);
    case 'number': {
      const lo = spec.min ?? 0;
      return fc.double({ min: lo, max: top(lo, 1), noNaN: true }).filter((v) => !(spec.exclusiveMin && v <= lo)).map((v) => [`--${flag}=${v}`]);
    }
    // a free string may name a file the command writes (--report-md): never one in the working directory
    case 'string': return spec.choices ? fc.constantFrom(...spec.choices).map((v) => [`--${flag}`, v]) : fc.constant(null).map(() => [`--${flag}`, join(tempDir(), 'x')]);
    case 'list': { const choices = [...(spec.choices ?? ['a', 'b'])]; return fc.subarray(choices, { minLength: 1, maxLength: Math.min(3, choices.length) }).map((v) => [`--${flag}`, v.join(',')]); }
    case 'numbers': return fc.uniqueArray(fc.double({ min: spec.min ?? 0, max: top(spec.min ?? 0, 0.5), noNaN: true }), { minLength: 1, maxLength: 3 }).map((v) => [`--${flag}`, v.join(',')]);
    case 'integers': return fc.uniqueArray(fc.integer({ min: spec.min ?? 1, max: (spec.min ?? 1) + 20 }), { minLength: 1, maxLength: 3 }).map((v) => [`--${flag}`, v.sort((a, b) => a - b).join(',')]);
  }
}

/** Values the flag must refuse, of every kind its type admits. */
function invalidTokens(flag: string, spec: OptionSpec): fc.Arbitrary<string[]> {
  const kinds: string[][] = [[`--${flag}`, ''], [`--${flag}=`]];
  const number = ['abc', 'NaN', 'Infinity', '-Infinity', '1e400', '0x10', '1,2', ' '];
  switch (spec.type) {
    case 'boolean': kinds.splice(0, 2, [`--${flag}=maybe`], [`--${flag}=2`], [`--no-${flag}=true`]); break;
    case 'integer': kinds.push(...[...number, '1.5', '2.000001'].map((v) => [`--${flag}`, v]));
    // falls through: integers are numbers too
    case 'number':
      kinds.push(...number.map((v) => [`--${flag}=${v}`]));
      if (spec.min !== undefined) kinds.push([`--${flag}=${spec.min - 1}`]);
      if (spec.exclusiveMin) kinds.push([`--${flag}=${spec.min}`]);
      if (spec.max !== undefined) kinds.push([`--${flag}=${spec.max + 1}`]);
      break;
    case 'string':
      if (spec.path) kinds.push([`--${flag}`, '/no/such/path/gmgrad']);
      if (spec.choices) kinds.push([`--${flag}`, 'nope'], [`--${flag}`, '__proto__'], [`--${flag}`, spec.choices[0]!.toUpperCase()]);
      break;
    default:
      kinds.splice(1, 1);
      kinds.push([`--${flag}`, ','], [`--${flag}`, 'a,,b'], [`--${flag}`, spec.type === 'list' ? `${spec.choices?.[0]},${spec.choices?.[0]}` : '1,1']);
      if (spec.choices) kinds.push([`--${flag}`, `${spec.choices[0]},nope`]);
      if (spec.type !== 'list') kinds.push([`--${flag}`, 'x,1'], [`--${flag}`, spec.min !== undefined ? String(spec.min - 1) : 'NaN']);
  }
  return fc.constantFrom(...kinds);
}

/** Structural mistakes: unknown or prototype-named flags, stray arguments. */
const strayPiece: fc.Arbitrary<Piece> = fc.constantFrom(
  ['--__proto__', '1'], ['--constructor'], ['--toString=x'], ['--hasOwnProperty', 'x'], ['--valueOf'], ['--'], ['extra'], ['-n', '5'], ['--nope', '3'],
).map((tokens) => ({ flag: tokens[0]!.replace(/^-+/, '').split('=')[0]!, tokens, bad: true }));

interface CommandCase {
  schema: Schema;
  /** cheap values for the flags that need them in a real run */
  base: () => Record<string, string[]>;
  /** flags the generator leaves to `base` */
  fixed: string[];
  /** valid values narrower than the rule allows (cost, or data a bare clone has) */
  cheap?: Record<string, fc.Arbitrary<string[]>>;
  runs: number;
}

const pick = (flag: string, values: string[]) => fc.constantFrom(...values).map((v) => [`--${flag}`, v]);
const between = (flag: string, lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((v) => [`--${flag}`, str(v)]);

const COMMANDS: Record<string, CommandCase> = {
  train: {
    schema: TRAIN_OPTIONS,
    base: () => ({
      backend: ['--backend', 'cpu'], model: ['--model', 'tiny-cnn'], epochs: ['--epochs', '1'], limit: ['--limit', '20'],
      'test-limit': ['--test-limit', '10'], batch: ['--batch', '10'], out: ['--out', join(tempDir(), 'run')],
      ...(haveTrainSplit ? {} : { 'dry-run': ['--dry-run'] }),
    }),
    fixed: ['backend', 'model', 'out', 'resume', 'force', 'data', 'threads', 'dataset', 'dry-run', 'help', 'debug'],
    cheap: { epochs: between('epochs', 1, 2), limit: between('limit', 10, 30), 'test-limit': between('test-limit', 5, 20), batch: between('batch', 5, 20), 'feature-dim': between('feature-dim', 1, 4), lr: pick('lr', ['0.001', '0.01', '0.05']) },
    runs: 30,
  },
  eval: {
    schema: EVAL_OPTIONS,
    base: () => ({ checkpoint: ['--checkpoint', checkpoint], backend: ['--backend', 'cpu'], limit: ['--limit', '20'] }),
    fixed: ['checkpoint', 'pretrained', 'backend', 'help', 'debug'],
    cheap: { limit: between('limit', 1, 40), dataset: pick('dataset', ['mnist']), split: pick('split', ['test']), data: pick('data', [EMBEDDED]) },
    runs: 40,
  },
  attack: {
    schema: ATTACK_OPTIONS,
    base: () => ({
      checkpoint: ['--checkpoint', checkpoint], backend: ['--backend', 'cpu'], n: ['--n', '10'], calibration: ['--calibration', '10'], 'fit-n': ['--fit-n', '20'],
      attacks: ['--attacks', 'fgsm'], steps: ['--steps', '1'], queries: ['--queries', '20'], 'cw-search': ['--cw-search', '1'], 'cw-iterations': ['--cw-iterations', '2'], out: ['--out', tempDir()],
      ...(haveTrainSplit ? {} : { 'dry-run': ['--dry-run'] }),
    }),
    fixed: ['checkpoint', 'pretrained', 'backend', 'out', 'data', 'dataset', 'dry-run', 'help', 'debug'],
    cheap: {
      n: between('n', 5, 12), calibration: between('calibration', 5, 12), 'fit-n': between('fit-n', 10, 30), steps: between('steps', 1, 2),
      'cw-search': between('cw-search', 1, 2), 'cw-iterations': between('cw-iterations', 1, 3), batch: between('batch', 5, 20),
      // not DeepFool: 50 iterations × 10 class gradients on the untrained 28×28 model take ~20 s a run (report-md.test.ts runs it)
      attacks: fc.subarray(['fgsm', 'fgm', 'bim', 'pgd', 'pgd-l2', 'mim', 'cw', 'adaptive', 'apgd-ce', 'apgd-adaptive'], { minLength: 1, maxLength: 2 }).map((v) => ['--attacks', v.join(',')]),
      // L1 alone is an error for pgd and adaptive (no L1 form); in a list it is skipped
      norm: pick('norm', ['linf', 'l2', 'linf,l2', 'l1,linf', 'linf,l2,l1']),
    },
    runs: 25,
  },
  figure: {
    schema: FIGURE_OPTIONS,
    base: () => ({ checkpoint: ['--checkpoint', checkpoint], backend: ['--backend', 'cpu'], n: ['--n', '20'], data: ['--data', EMBEDDED], out: ['--out', join(tempDir(), 'f.svg')] }),
    fixed: ['checkpoint', 'pretrained', 'backend', 'out', 'data', 'help', 'debug'],
    cheap: { n: between('n', 1, 30) },
    runs: 15,
  },
  demo: {
    schema: DEMO_OPTIONS,
    // a real demo trains two models: here every valid run is a dry run (main.test.ts and the examples run it)
    base: () => ({ out: ['--out', tempDir()], 'dry-run': ['--dry-run'] }),
    fixed: ['out', 'dry-run', 'help', 'debug'],
    cheap: { data: pick('data', [EMBEDDED]) },
    runs: 30,
  },
};

function vectors(c: CommandCase): fc.Arbitrary<{ pieces: Piece[]; order: number[] }> {
  const flags = Object.keys(c.schema).filter((f) => !c.fixed.includes(f));
  const piece = (flag: string): fc.Arbitrary<Piece> => fc.oneof(
    { weight: 8, arbitrary: (c.cheap?.[flag] ?? validTokens(flag, c.schema[flag]!)).map((tokens) => ({ flag, tokens, bad: false })) },
    { weight: 1, arbitrary: invalidTokens(flag, c.schema[flag]!).map((tokens) => ({ flag, tokens, bad: true })) },
  );
  // about half the vectors hold a mistake: an invalid value, a stray argument, or a missing value
  const sometimes = <T>(a: fc.Arbitrary<T>, weight: number) => fc.oneof({ weight: 10 - weight, arbitrary: fc.constant(null) }, { weight, arbitrary: a });
  return fc.tuple(
    fc.subarray(flags, { maxLength: Math.min(4, flags.length) }).chain((chosen) => fc.tuple(...chosen.map(piece))),
    sometimes(strayPiece, 2),
    sometimes(fc.constant(true), 1),
  ).chain(([chosen, stray, missingValueAtEnd]) => {
    const pieces: Piece[] = [...chosen];
    if (stray) pieces.push(stray);
    if (missingValueAtEnd) {
      // a value-taking flag with its value missing, last on the line
      const f = flags.find((x) => c.schema[x]!.type !== 'boolean' && !pieces.some((p) => p.flag === x));
      if (f) pieces.push({ flag: f, tokens: [`--${f}`], bad: true });
    }
    return fc.shuffledSubarray(pieces.map((_, i) => i), { minLength: pieces.length, maxLength: pieces.length }).map((order) => ({ pieces, order }));
  });
}

/** The property every run must satisfy. */
function check(run: CliRun, pieces: Piece[], argv: string[]): void {
  const what = `gmgrad ${argv.join(' ')}\n${run.stderr}`;
  const bad = pieces.filter((p) => p.bad);
  if (run.code === 0) {
    expect(bad, what).toEqual([]);
    expect(run.stdout.trim(), what).not.toBe('');
    return;
  }
  // progress may come first; the error is main's one line at the end
  const lines = run.stderr.trimEnd().split('\n');
  const error = lines.findIndex((l) => l.startsWith(`gmgrad ${argv[0]}: `) || l.startsWith('gmgrad: '));
  expect(error, what).toBe(lines.length - 1);
  const line = lines[error]!;
  expect(line, what).toMatch(/--[a-zA-Z_]/);
  // with an invalid value on the line, the message names one of the invalid flags
  if (bad.length) expect(bad.some((p) => line.includes(`--${p.flag}`) || line.includes(`--no-${p.flag}`) || line.includes(`'${p.tokens[0]}'`)), what).toBe(true);
}

describe('command lines built from the schema', () => {
  for (const [command, c] of Object.entries(COMMANDS)) {
    it(`${command}: a result, or one line naming a flag`, async () => {
      let succeeded = 0, refused = 0;
      await fc.assert(fc.asyncProperty(vectors(c), async ({ pieces, order }) => {
        const byFlag = c.base();
        const argv = [...Object.entries(byFlag).filter(([f]) => !pieces.some((p) => p.flag === f)).flatMap(([, t]) => t), ...order.flatMap((i) => pieces[i]!.tokens)];
        const run = await cli(command, ...argv);
        check(run, pieces, [command, ...argv]);
        if (run.code === 0) succeeded++; else refused++;
      }), { numRuns: c.runs, seed: 16 });
      // both sides were exercised
      expect(succeeded).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(0);
    }, 300_000);
  }
});

/** Byte-level damage: flip bits, overwrite, truncate, insert, delete; half of them in the header. */
const mutation = (length: number, headerEnd: number) => fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.oneof(fc.nat({ max: headerEnd }), fc.nat({ max: length - 1 })), bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.oneof(fc.nat({ max: headerEnd }), fc.nat({ max: length - 1 })), bit: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: length - 1 }), bit: fc.constant(0) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat({ max: headerEnd }), bit: fc.nat({ max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat({ max: headerEnd }), bit: fc.constant(0) }),
);

function mutate(bytes: Uint8Array, ms: { kind: string; at: number; bit: number }[]): Uint8Array {
  let b = Uint8Array.from(bytes);
  for (const m of ms) {
    const at = Math.min(m.at, Math.max(0, b.length - 1));
    if (m.kind === 'flip') b[at] = b[at]! ^ (1 << m.bit);
    else if (m.kind === 'set') b[at] = m.bit;
    else if (m.kind === 'truncate') b = b.subarray(0, at);
    else if (m.kind === 'insert') b = Uint8Array.from([...b.subarray(0, at), m.bit, ...b.subarray(at)]);
    else b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1)]);
  }
  return b;
}

describe('damaged files', () => {
  it('a mutated checkpoint: eval gives a result or one line naming the file', async () => {
    const dir = tempDir();
    const headerEnd = 8 + Number(new DataView(checkpointBytes.buffer, checkpointBytes.byteOffset).getBigUint64(0, true));
    let i = 0;
    await fc.assert(fc.asyncProperty(fc.array(mutation(checkpointBytes.length, headerEnd), { minLength: 1, maxLength: 3 }), async (ms) => {
      const path = join(dir, `m${i++}.safetensors`);
      writeFileSync(path, mutate(checkpointBytes, ms));
      const run = await cli('eval', '--checkpoint', path, '--limit', '10', '--backend', 'cpu');
      if (run.code === 0) { expect(run.stdout).toMatch(/accuracy/); return; }
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines.findIndex((l) => l.startsWith('gmgrad eval: ')), run.stderr).toBe(lines.length - 1);
      expect(lines[lines.length - 1], run.stderr).toContain(path);
    }), { numRuns: 40, seed: 16 });
  }, 300_000);

  it('mutated IDX files: a consistent dataset or an error naming the file', () => {
    const spec = getDatasetSpec('mnist');
    // a small, valid pair: the first 50 images and labels of the embedded split
    const images = gunzipSync(readFileSync(join(EMBEDDED, 't10k-images-idx3-ubyte.gz')));
    const labels = gunzipSync(readFileSync(join(EMBEDDED, 't10k-labels-idx1-ubyte.gz')));
    const n = 50;
    const img = Uint8Array.from(images.subarray(0, 16 + n * 784));
    new DataView(img.buffer).setUint32(4, n, false);
    const lab = Uint8Array.from(labels.subarray(0, 8 + n));
    new DataView(lab.buffer).setUint32(4, n, false);
    expect(decodeDataset(spec, 'test', [img, lab], 'x').n).toBe(n);
    const names = spec.splits.test.files.map((f) => f.name);
    fc.assert(fc.property(fc.boolean(), fc.array(mutation(800, 16), { minLength: 1, maxLength: 3 }), (whichImages, ms) => {
      const files = whichImages ? [mutate(img, ms), lab] : [img, mutate(lab, ms.map((m) => ({ ...m, at: m.at % (8 + n) })))];
      let d;
      try {
        d = decodeDataset(spec, 'test', files, 'mutated');
      } catch (e) {
        const message = (e as Error).message;
        expect(message.startsWith(names[0]!) || message.startsWith(names[1]!) || message.startsWith('mnist test:'), message).toBe(true);
        return;
      }
      expect(d.images.length).toBe(d.n * 28 * 28);
      expect(d.labels.length).toBe(d.n);
      expect(Array.from(d.labels).every((l) => l < 10)).toBe(true);
    }), { numRuns: 300, seed: 16 });
  });
});
