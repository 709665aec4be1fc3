/** The WebGPU backend: `createWebGpuBackend()` finds an adapter (Dawn in Node, navigator.gpu in browsers). */
import type { Backend } from '../../core/backend.js';
import { acquireDevice } from './device.js';
import { WebGpuBackend, type WebGpuOptions } from './backend.js';

export { WebGpuBackend, type WebGpuOptions } from './backend.js';
export type { AdapterInfo } from './device.js';

export async function createWebGpuBackend(options: WebGpuOptions = {}): Promise<Backend> {
  const { device, info } = await acquireDevice();
  return new WebGpuBackend(device, info, options);
}
