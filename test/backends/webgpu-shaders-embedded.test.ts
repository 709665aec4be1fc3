/**
 * The browser build never reads shaders/ at run time: the WGSL is embedded in
 * src/backends/webgpu/shaders.generated.ts by scripts/embed-shaders.mjs. This test fails when that
 * file is out of date with shaders/*.wgsl (run `node scripts/embed-shaders.mjs`), and checks that
 * the generation is deterministic and that every shader the backend includes or names exists.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without type declarations
import { generate } from '../../scripts/embed-shaders.mjs';
import { SHADERS } from '../../src/backends/webgpu/shaders.generated.js';
import { assembleShader } from '../../src/backends/webgpu/gpu-pipelines.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

describe('embedded WGSL', () => {
  it('shaders.generated.ts is up to date with shaders/*.wgsl (run node scripts/embed-shaders.mjs)', () => {
    const current = readFileSync(join(root, 'src/backends/webgpu/shaders.generated.ts'), 'utf8');
    const fresh = (generate as () => string)();
    expect(fresh === current, 'src/backends/webgpu/shaders.generated.ts is stale: run node scripts/embed-shaders.mjs').toBe(true);
    expect((generate as () => string)()).toBe(fresh);
  });

  it('embeds every shader file under its base name', () => {
    const names = readdirSync(join(root, 'shaders')).filter((f) => f.endsWith('.wgsl')).map((f) => f.slice(0, -5)).sort();
    expect(Object.keys(SHADERS).sort()).toEqual(names);
  });

  it('resolves includes and refuses a missing substitution by name', () => {
    const code = assembleShader({ shaders: ['fillBits'], subs: { WG: 64 } });
    expect(code).toContain('fn linearWorkgroup');
    expect(code).not.toMatch(/\{\{|\/\/!include/);
    expect(() => assembleShader({ shaders: ['fillBits'], subs: {} })).toThrow(/fillBits needs a value for \{\{WG\}\}/);
    expect(() => assembleShader({ shaders: ['noSuchShader'] })).toThrow(/no shader 'noSuchShader'/);
  });
});
