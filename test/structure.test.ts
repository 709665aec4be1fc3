/**
 * The source tree's structural rules (scripts/check-structure.mjs): no import cycle in src/, no
 * file over the line limit in the folders held to it, no backend importing another backend's
 * folder, and nothing below the CLI importing it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without type declarations
import { importCycles, LINE_LIMITED, longFiles, MAX_LINES } from '../scripts/check-structure.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Every .ts file under `dir`, with the relative specifiers it imports (static or dynamic). */
function relativeImports(dir: string): Array<{ path: string; spec: string }> {
  const out: Array<{ path: string; spec: string }> = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) { out.push(...relativeImports(path)); continue; }
    if (!name.endsWith('.ts')) continue;
    for (const m of readFileSync(path, 'utf8').matchAll(/from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) out.push({ path, spec });
    }
  }
  return out;
}

describe('source structure', () => {
  it('no import cycle in src/', () => {
    expect((importCycles as () => string[][])()).toEqual([]);
  });

  it(`no file over ${MAX_LINES as number} lines in ${(LINE_LIMITED as string[]).join(', ')}`, () => {
    expect((longFiles as () => Array<{ file: string; lines: number }>)()).toEqual([]);
  });

  it('no backend imports from another backend\'s folder', () => {
    const backends = join(root, 'src/backends');
    const folders = readdirSync(backends).filter((n) => statSync(join(backends, n)).isDirectory() && n !== 'common');
    const offenders: string[] = [];
    for (const own of folders) {
      for (const { path, spec } of relativeImports(join(backends, own))) {
        const target = relative(backends, join(dirname(path), spec)).split('/')[0]!;
        if (folders.includes(target) && target !== own) offenders.push(`${relative(root, path)} → ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('nothing outside src/cli imports from it (the CLI sits on top of the library)', () => {
    const cli = join(root, 'src/cli');
    const offenders = relativeImports(join(root, 'src'))
      .filter(({ path, spec }) => !path.startsWith(`${cli}/`) && join(dirname(path), spec).startsWith(`${cli}/`))
      .map(({ path, spec }) => `${relative(root, path)} → ${spec}`);
    expect(offenders).toEqual([]);
  });
});
