/**
 * Creating each backend with what it needs from the others. The WebAssembly backend holds a CPU
 * reference for what it does not run itself; it is handed one here, so that no backend's folder
 * imports another's.
 */
import type { Backend, HostArrays } from '../core/backend.js';
import { CpuBackend } from './cpu/index.js';
import type { WasmBackend, WasmBackendOptions } from './wasm/index.js';
import type { WebGpuBackend, WebGpuBackendOptions } from './webgpu/index.js';

export function createCpuBackend(options: { memoryLimit?: number } = {}): CpuBackend {
  return new CpuBackend({ memoryLimit: options.memoryLimit });
}

/** the CPU reference a WebAssembly backend holds: its storages belong to `owner`, its arrays live in `arrays` */
export function cpuReference(owner: Backend, arrays: HostArrays, memoryLimit?: number): CpuBackend {
  return new CpuBackend({ owner, arrays, memoryLimit });
}

export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const wasm = await import('./wasm/index.js');
  return wasm.createWasmBackend(cpuReference, options);
}

export async function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  return (await import('./webgpu/index.js')).createWebGpuBackend(options);
}
