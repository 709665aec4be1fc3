/**
 * Backend registration. The CPU reference is created synchronously as the default; the others
 * load on demand through dynamic imports (create.ts) so that a browser bundle never pulls
 * Node-only modules and nobody pays for a backend they do not use.
 */
import { registerBackend, setDefaultBackendMaker } from '../core/engine.js';
import { createCpuBackend, createWasmBackend, createWebGpuBackend } from './create.js';

setDefaultBackendMaker(() => createCpuBackend());
registerBackend('cpu', async (o) => createCpuBackend({ memoryLimit: o.memoryLimit }));
registerBackend('webgpu', async (o) => createWebGpuBackend({ ...o } as Record<string, unknown>));
registerBackend('wasm', async (o) => createWasmBackend({ ...o, relaxedMadd: o.wasmFma }));
