/** A small, strict command-line parser: --key value, --key=value, --flag, --no-flag. */

export interface OptionSpec {
  type: 'string' | 'number' | 'boolean' | 'list';
  default?: string | number | boolean | string[];
  help: string;
  /** allowed values for strings */
  choices?: string[];
}

export type ParsedArgs = Record<string, string | number | boolean | string[] | undefined>;

export class UsageError extends Error {
  override name = 'UsageError';
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function parseArgs(argv: string[], specs: Record<string, OptionSpec>): ParsedArgs {
  const out: ParsedArgs = {};
  for (const [k, s] of Object.entries(specs)) out[camel(k)] = s.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}' (options start with --)`);
    let [key, value] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    let spec = specs[key];
    if (!spec && key.startsWith('no-') && specs[key.slice(3)]?.type === 'boolean') {
      spec = specs[key.slice(3)]; key = key.slice(3); value = 'false';
    }
    if (!spec) {
      const known = Object.keys(specs).map((k) => `--${k}`).join(', ');
      throw new UsageError(`unknown option --${key} (known: ${known})`);
    }
    if (spec.type === 'boolean') {
      out[camel(key)] = value === undefined ? true : !['false', '0', 'no'].includes(value);
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new UsageError(`--${key} needs a value`);
    }
    if (spec.type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new UsageError(`--${key} must be a number, got '${value}'`);
      out[camel(key)] = n;
    } else if (spec.type === 'list') {
      out[camel(key)] = value.split(',').map((v) => v.trim()).filter(Boolean);
    } else {
      if (spec.choices && !spec.choices.includes(value)) throw new UsageError(`--${key} must be one of ${spec.choices.join(', ')}, got '${value}'`);
      out[camel(key)] = value;
    }
  }
  return out;
}

export function helpText(command: string, summary: string, specs: Record<string, OptionSpec>): string {
  const lines = [`usage: gmgrad ${command} [options]`, '', summary, '', 'options:'];
  for (const [k, s] of Object.entries(specs)) {
    const def = s.default === undefined ? '' : ` (default: ${Array.isArray(s.default) ? s.default.join(',') : s.default})`;
    const choices = s.choices ? ` [${s.choices.join('|')}]` : '';
    lines.push(`  --${k.padEnd(18)} ${s.help}${choices}${def}`);
  }
  return lines.join('\n');
}
