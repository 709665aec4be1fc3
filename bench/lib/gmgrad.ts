/**
 * Opening gmgrad's backends for the benchmarks. Two WebAssembly backends live side by side (one
 * thread, and one per core); `createBackend` caches one backend per name, so those two are created
 * through the wasm module's own factory. A backend that is missing or fails to start is reported
 * with its reason, and every row prints n/a for it.
 */
import { availableParallelism } from 'node:os';
import { createBackend, describeBackend, type Backend, type Tensor } from '../../src/index.js';
import type { Storage } from '../../src/core/backend.js';
import { errorText, type ImplId, type Unavailable } from './impls.js';
import { installNavigatorGpu, probeAdapter, webgpuOptionsFromEnv } from './webgpu-env.js';

export interface GmgradImpl {
  ok: true;
  id: ImplId;
  backend: Backend;
  /** e.g. 'wasm (2 threads)', 'webgpu (google swiftshader)' */
  label: string;
  /** a software WebGPU adapter: big rows are shrunk or skipped */
  software: boolean;
  dispose(): void;
}

export async function openGmgrad(id: ImplId): Promise<GmgradImpl | Unavailable> {
  try {
    switch (id) {
      case 'cpu': {
        const backend = await createBackend('cpu');
        return impl(id, backend, 'cpu (TypeScript reference)', false);
      }
      case 'wasm1': case 'wasm': {
        const threads = id === 'wasm1' ? 1 : availableParallelism();
        if (id === 'wasm' && threads === 1) return { ok: false, reason: 'one core: same as wasm1' };
        const { createWasmBackend } = await import('../../src/backends/create.js');
        const backend = await createWasmBackend({ threads, verbose: false });
        if (id === 'wasm' && backend.threads === 1) {
          backend.dispose();
          return { ok: false, reason: 'threads unavailable (no shared memory): same as wasm1' };
        }
        return impl(id, backend, describeBackend(backend), false, () => backend.dispose());
      }
      case 'webgpu': {
        await installNavigatorGpu();
        const backend = await createBackend('webgpu', { allowSoftwareWebGpu: true, verbose: false, ...webgpuOptionsFromEnv() });
        const adapter = await probeAdapter();
        const info = (backend as Backend & { adapterInfo?: () => { isSoftware?: boolean } }).adapterInfo?.();
        const software = info?.isSoftware ?? adapter?.software ?? false;
        return impl(id, backend, describeBackend(backend), software);
      }
      default:
        return { ok: false, reason: `${id} is not a gmgrad backend` };
    }
  } catch (e) {
    return { ok: false, reason: errorText(e) };
  }
}

function impl(id: ImplId, backend: Backend, label: string, software: boolean, dispose = () => {}): GmgradImpl {
  return { ok: true, id, backend, label, software, dispose };
}

/**
 * Wait until a result is computed: copy its first element and read that back (on WebGPU the read
 * completes after every command queued before it; on CPU backends it is immediate).
 */
export async function syncStorage(b: Backend, s: Storage): Promise<void> {
  const one = b.copy({ storage: s, view: { shape: [1], strides: [1], offset: 0 } });
  try {
    await b.read(one);
  } finally {
    b.free(one);
  }
}

export function syncTensor(t: Tensor): Promise<void> {
  return syncStorage(t.backend, t.storage);
}

export async function readFloat(b: Backend, s: Storage): Promise<Float32Array> {
  return Float32Array.from(await b.read(s) as ArrayLike<number>);
}
