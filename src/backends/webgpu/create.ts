/**
 * Creating the WebGPU backend: `createWebGpuBackend(options)` gets a device (navigator.gpu in a
 * browser, Dawn through the `webgpu` package in Node) with the adapter's real limits, and picks
 * the kernel variants for the adapter (variant-select.ts: the software set for CPU implementations
 * such as SwiftShader, the hardware set for GPUs; either can be forced).
 */
import { acquireDevice, type AdapterInfo } from './gpu-adapter.js';
import { selectVariants, type GemmCore, type KernelFamily } from './variant-select.js';
import { WebGpuBackend } from './webgpu-backend.js';

export interface WebGpuBackendOptions {
  /** debug: fill every newly allocated kernel output with NaN (int32: a sentinel) first */
  poisonOutputs?: boolean;
  /** submit after this many recorded dispatches (default 128) */
  dispatchesPerSubmit?: number;
  /**
   * kernel variants: 'auto' (default) = 'software' on CPU adapters (SwiftShader), 'hardware' on
   * GPUs; forcing 'hardware' on SwiftShader runs the GPU kernels there (tests). Overrides
   * GMGRAD_WEBGPU_KERNELS.
   */
  webgpuKernels?: 'auto' | KernelFamily;
  /** GEMM core over the variant set's: 'register', 'hw' (hw64/hw128 by shape), 'hw64', 'hw128' */
  gemmCore?: GemmCore | 'auto';
  /** fold grids above this many workgroups per dimension (default and maximum: the device limit) */
  maxWorkgroupsPerDimension?: number;
  /** bytes of free buffers kept for reuse (default 512 MiB); more are destroyed */
  maxPooledBytes?: number;
  powerPreference?: GPUPowerPreference;
  forceFallbackAdapter?: boolean;
  /** use this device instead of requesting one (its adapter info comes from `adapterInfo`) */
  device?: GPUDevice;
  adapterInfo?: AdapterInfo;
  /** other (InitOptions) fields are accepted and ignored */
  [other: string]: unknown;
}

export async function createWebGpuBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  let device: GPUDevice, info: AdapterInfo, features: string[];
  if (options.device) {
    device = options.device;
    info = options.adapterInfo ?? { vendor: '', architecture: '', device: '', description: 'device supplied by the caller', isSoftware: false };
    features = [...device.features];
  } else {
    ({ device, info, features } = await acquireDevice({ powerPreference: options.powerPreference, forceFallbackAdapter: options.forceFallbackAdapter }));
  }
  const variants = selectVariants(info, features, device.limits, { kernels: options.webgpuKernels, gemmCore: options.gemmCore });
  return new WebGpuBackend(device, info, {
    poisonOutputs: options.poisonOutputs ?? false,
    dispatchesPerSubmit: Math.max(1, Math.floor(options.dispatchesPerSubmit ?? 128)),
    maxWorkgroupsPerDimension: Math.max(1, Math.floor(options.maxWorkgroupsPerDimension ?? Number.POSITIVE_INFINITY)),
    maxPooledBytes: options.maxPooledBytes ?? 512 * 1024 * 1024,
    variants,
  }, features);
}

export { WebGpuBackend, type WebGpuStats } from './webgpu-backend.js';
export type { AdapterInfo } from './gpu-adapter.js';
export type { GemmCore, KernelFamily, KernelVariants } from './variant-select.js';
