/** The CPU reference backend (also the base class of the WebAssembly backend). */
export { CpuBackend } from './backend.js';
export { CpuStorage } from './storage.js';
export { CpuKernelError } from './checks.js';
