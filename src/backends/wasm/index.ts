/** The WebAssembly CPU backend: SIMD kernels generated at run time, on a pool of threads. */
export { WasmBackend, createWasmBackend, type WasmBackendOptions, type ReferenceFactory } from './backend.js';
export { WasmKernels, type WasmKernelOptions } from './calls/kernel-calls.js';
export { probeFeatures, type WasmFeatures } from './features.js';
