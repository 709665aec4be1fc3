/**
 * Command-line options shared by the three benchmarks:
 *   --backends a,b   implementations to run: ids (cpu, wasm1, wasm, webgpu, tfjs-cpu, tfjs-wasm,
 *                    tfjs-webgpu) or groups (gmgrad, tfjs, all); default all
 *   --rows a,b       keep rows whose id contains any of these substrings
 *   --quick          fewer rows, fewer timed runs, shorter budgets
 *   --big            add the big rows (matmul 4096) and lift the per-run time cap
 *   --budget s       seconds of timed runs per cell (default depends on the benchmark)
 *   --out file       JSON results path (default bench/results/<bench>-<date>.json); --no-json to skip
 * Unknown flags are an error, so a typo never silently runs the full suite.
 */
export interface BenchArgs {
  backends: string[] | null;
  rows: string[] | null;
  quick: boolean;
  big: boolean;
  budgetS: number | null;
  out: string | null;
  json: boolean;
  /** benchmark-specific flags: --name value */
  extra: Map<string, string>;
  /** benchmark-specific switches given (--name, no value) */
  switches: Set<string>;
}

export function parseArgs(argv: readonly string[], extraFlags: readonly string[] = [], switches: readonly string[] = []): BenchArgs {
  const a: BenchArgs = {
    backends: null, rows: null, quick: false, big: false, budgetS: null, out: null, json: true, extra: new Map(), switches: new Set(),
  };
  const list = (v: string | undefined, flag: string): string[] => {
    if (!v || v.startsWith('--')) throw new Error(`${flag} needs a comma-separated list`);
    return v.split(',').map((s) => s.trim()).filter(Boolean);
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const [name, inline] = flag.includes('=') ? flag.split(/=(.*)/s, 2) as [string, string] : [flag, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--backends': a.backends = list(value(), name); break;
      case '--rows': a.rows = list(value(), name); break;
      case '--quick': a.quick = true; break;
      case '--big': a.big = true; break;
      case '--budget': {
        const s = Number(value());
        if (!(s > 0)) throw new Error(`--budget must be a positive number of seconds, got ${s}`);
        a.budgetS = s;
        break;
      }
      case '--out': a.out = value(); break;
      case '--no-json': a.json = false; break;
      case '--help': case '-h':
        throw new HelpRequested();
      default: {
        const bare = name.replace(/^--/, '');
        if (name.startsWith('--') && extraFlags.includes(bare)) { a.extra.set(bare, value()); break; }
        if (name.startsWith('--') && switches.includes(bare) && inline === undefined) { a.switches.add(bare); break; }
        throw new Error(`unknown option ${flag} (known: --backends, --rows, --quick, --big, --budget, --out, --no-json${[...extraFlags, ...switches].map((f) => `, --${f}`).join('')})`);
      }
    }
  }
  return a;
}

/** --head gm|softmax (default gm) */
export function headArg(args: BenchArgs): 'gm' | 'softmax' {
  const head = args.extra.get('head') ?? 'gm';
  if (head !== 'gm' && head !== 'softmax') throw new Error(`--head must be gm or softmax, got ${head}`);
  return head;
}

/** an integer flag of at least `min` (default `fallback`) */
export function intArg(args: BenchArgs, name: string, fallback: number, min: number): number {
  const raw = args.extra.get(name);
  const v = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min}, got ${raw}`);
  return v;
}

export class HelpRequested extends Error {
  constructor() { super('help'); }
}

/** true when the row id passes the --rows filter */
export function rowSelected(args: BenchArgs, id: string): boolean {
  return !args.rows || args.rows.some((r) => id.includes(r));
}
