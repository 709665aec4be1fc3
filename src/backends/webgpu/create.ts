/**
 * Creating the WebGPU backend: `createWebGpuBackend(options)` gets a device (navigator.gpu in a
 * browser, Dawn through the `webgpu` package in Node) with the adapter's real limits, and picks
 * the GEMM core for the adapter (register-blocked for CPU implementations such as SwiftShader,
 * workgroup-tiled for GPUs).
 */
import { acquireDevice, type AdapterInfo } from './gpu-adapter.js';
import type { GemmCore } from './kernels-gemm.js';
import { WebGpuBackend } from './webgpu-backend.js';

export interface WebGpuBackendOptions {
  /** debug: fill every newly allocated kernel output with NaN (int32: a sentinel) first */
  poisonOutputs?: boolean;
  /** submit after this many recorded dispatches (default 128) */
  dispatchesPerSubmit?: number;
  /** GEMM core: 'auto' (default) = 'register' on software adapters, 'tiled' on GPUs */
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
  const core = options.gemmCore ?? 'auto';
  return new WebGpuBackend(device, info, {
    poisonOutputs: options.poisonOutputs ?? false,
    dispatchesPerSubmit: Math.max(1, Math.floor(options.dispatchesPerSubmit ?? 128)),
    maxWorkgroupsPerDimension: Math.max(1, Math.floor(options.maxWorkgroupsPerDimension ?? Number.POSITIVE_INFINITY)),
    maxPooledBytes: options.maxPooledBytes ?? 512 * 1024 * 1024,
    gemmCore: core === 'auto' ? (info.isSoftware ? 'register' : 'tiled') : core,
  }, features);
}

export { WebGpuBackend, type WebGpuStats } from './webgpu-backend.js';
export type { AdapterInfo } from './gpu-adapter.js';
export type { GemmCore } from './kernels-gemm.js';
