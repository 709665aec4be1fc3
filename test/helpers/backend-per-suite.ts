/**
 * One backend per describe block: created before its tests, disposed after. A backend that cannot
 * start (no WebGPU adapter) skips the block locally but fails it in CI, where every backend must run.
 */
import { afterAll, beforeAll } from 'vitest';
import * as g from '../../src/index.js';
import type { Backend } from '../../src/core/backend.js';

export function backendPerSuite(name: string): () => Backend | null {
  let backend: Backend | null = null;
  beforeAll(async () => {
    try {
      backend = await g.createBackend(name as g.BackendName, { verbose: false });
    } catch (e) {
      if (process.env.CI) throw e;
    }
  });
  afterAll(() => { (backend as { dispose?: () => void } | null)?.dispose?.(); });
  return () => backend;
}
