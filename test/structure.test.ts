/**
 * The source tree's structural rules (scripts/check-structure.mjs): no import cycle in src/, no
 * file over the line limit in the folders held to it, and no backend importing another backend's
 * folder.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without type declarations
import { importCycles, LINE_LIMITED, longFiles, MAX_LINES } from '../scripts/check-structure.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

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
    const walk = (dir: string, own: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) { walk(path, own); continue; }
        if (!name.endsWith('.ts')) continue;
        for (const m of readFileSync(path, 'utf8').matchAll(/from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
          const spec = m[1] ?? m[2]!;
          if (!spec.startsWith('.')) continue;
          const target = relative(backends, join(dirname(path), spec)).split('/')[0]!;
          if (folders.includes(target) && target !== own) offenders.push(`${relative(root, path)} → ${spec}`);
        }
      }
    };
    for (const folder of folders) walk(join(backends, folder), folder);
    expect(offenders).toEqual([]);
  });
});
