/** The WebGPU backend: `createWebGpuBackend()` finds an adapter (Dawn in Node, navigator.gpu in browsers). */
export { createWebGpuBackend, type WebGpuBackendOptions } from './create.js';
export { WebGpuBackend } from './webgpu-backend.js';
export type { AdapterInfo } from './gpu-adapter.js';
