/**
 * The library prints nothing unless asked: init is silent by default, tells `verbose` (console.info)
 * or `log`, and on a machine without a Vulkan driver Dawn's native driver-probing warnings stay in
 * the child process that probes for an adapter (this process never loads Dawn then), kept for the
 * error message.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init } from '../../src/init.js';
import { loadDawn } from '../../src/backends/webgpu/dawn-node.js';

function consoleSpies() {
  return (['log', 'info', 'warn', 'error', 'debug'] as const).map((k) => vi.spyOn(console, k).mockImplementation(() => {}));
}

afterEach(() => { vi.restoreAllMocks(); });

describe('init', () => {
  it('is silent by default, tells verbose on console.info and log through the function', async () => {
    const spies = consoleSpies();
    await init({ backend: 'cpu' });
    expect(spies.flatMap((s) => s.mock.calls)).toEqual([]);
    const lines: string[] = [];
    await init({ backend: 'cpu', log: (l) => lines.push(l) });
    expect(lines).toEqual(['gmgrad: using cpu']);
    await init({ backend: 'cpu', verbose: true });
    expect(spies[1]!.mock.calls).toEqual([['gmgrad: using cpu']]);
    expect(spies.filter((_, i) => i !== 1).flatMap((s) => s.mock.calls)).toEqual([]);
  });
});

describe('Dawn without a Vulkan driver', () => {
  it('probes in a child: no adapter, Dawn\'s warnings captured there, and auto falls back silently', async () => {
    const saved = process.env.VK_ICD_FILENAMES;
    process.env.VK_ICD_FILENAMES = join(mkdtempSync(join(tmpdir(), 'gmgrad-noicd-')), 'none.json');
    try {
      const err = (await loadDawn({}, 'no adapter here').catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(/^no adapter here\nDawn said:\n[\s\S]*VK_ERROR_INCOMPATIBLE_DRIVER/);
      const spies = consoleSpies();
      const r = await init({ backend: 'auto' });
      expect(r.backend.name).not.toBe('webgpu');
      expect(r.description).toMatch(/no WebGPU: webgpu: no WebGPU adapter found/);
      expect(spies.flatMap((s) => s.mock.calls)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.VK_ICD_FILENAMES; else process.env.VK_ICD_FILENAMES = saved;
    }
  });
});
