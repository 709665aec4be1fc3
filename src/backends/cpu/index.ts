/** The CPU reference backend (also the reference the WebAssembly backend holds). */
export { CpuBackend, type CpuBackendOptions } from './backend.js';
export { CpuStorage } from './storage.js';
