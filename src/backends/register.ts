/**
 * Backend registration. The CPU reference is created synchronously as the default; the others
 * load on demand through dynamic imports so that a browser bundle never pulls Node-only modules
 * and nobody pays for a backend they do not use.
 */
import { registerBackend, setDefaultBackendMaker } from '../core/engine.js';
import { CpuBackend } from './cpu/index.js';

setDefaultBackendMaker(() => new CpuBackend());
registerBackend('cpu', async (o) => new CpuBackend({ memoryLimit: o.memoryLimit }));
registerBackend('webgpu', async (o) => (await import('./webgpu/index.js')).createWebGpuBackend({ ...o } as Record<string, unknown>));
registerBackend('wasm', async (o) => (await import('./wasm/index.js')).createWasmBackend({ ...o, relaxedMadd: o.wasmFma }));
