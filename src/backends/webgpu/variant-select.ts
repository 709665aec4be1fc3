/**
 * Which kernel variants a WebGPU device runs, chosen once per adapter. CPU implementations of
 * WebGPU (SwiftShader, llvmpipe) keep the 'software' set: register-blocked GEMMs without
 * workgroup memory or barriers, and the GM loss recomputing distances in its row kernels — what is
 * fast on a CPU rasteriser. Hardware GPUs get the 'hardware' set: the double-buffered tiled GEMM
 * core (gemmHw.wgsl, its tile picked per shape from the adapter's class), the tiled GM distance
 * pass, and subgroup reductions where the device has the 'subgroups' feature.
 *
 * The set can be forced (init option `webgpuKernels`, or GMGRAD_WEBGPU_KERNELS=software|hardware
 * in Node), so that CI runs on SwiftShader exactly the kernels that GPUs run, at small shapes.
 */
import type { AdapterInfo } from './gpu-adapter.js';

/** 'hw' picks hw64 or hw128 per GEMM shape; the others are one core for every shape */
export type GemmCore = 'register' | 'hw' | 'hw64' | 'hw128';
export type KernelFamily = 'software' | 'hardware';

/** How a GPU is served by big tiles: discrete GPUs have many cores to fill and large register files */
export type GpuClass = 'discrete' | 'integrated' | 'software';

export interface KernelVariants {
  family: KernelFamily;
  /** why this family: the adapter's class, or the option/variable that forced it */
  reason: string;
  gpuClass: GpuClass;
  gemm: GemmCore;
  /** GM loss: distances recomputed per row ('direct') or one tiled pass shared by the row kernels */
  gmLoss: 'direct' | 'tiled';
  /**
   * subgroup size for kernels written for one subgroup per workgroup (the GM loss's rows), when
   * the device has 'subgroups' of one fixed size; 0: no subgroup kernels
   */
  subgroupSize: number;
  /** bytes of workgroup memory a kernel may use */
  workgroupStorage: number;
}

export interface VariantRequest {
  /** 'auto' (default): by adapter; or force a family */
  kernels?: 'auto' | KernelFamily;
  /** a GEMM core of its own, over the family's (tests, benchmarks) */
  gemmCore?: GemmCore | 'auto';
}

const DISCRETE = /\b(nvidia|amd|ati|radeon|geforce|quadro|tesla|rtx|turing|ampere|lovelace|hopper|blackwell|rdna\d*|gcn\d*)\b/i;

/** The adapter's class, from its vendor / architecture / description strings. */
export function gpuClass(info: AdapterInfo): GpuClass {
  if (info.isSoftware) return 'software';
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  return DISCRETE.test(text) ? 'discrete' : 'integrated';
}

/** GMGRAD_WEBGPU_KERNELS in Node (read through globalThis, so browser builds need no Node types). */
export function kernelsFromEnvironment(): KernelFamily | undefined {
  const v = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.GMGRAD_WEBGPU_KERNELS;
  if (v === undefined || v === '' || v === 'auto') return undefined;
  if (v === 'software' || v === 'hardware') return v;
  throw new Error(`webgpu: GMGRAD_WEBGPU_KERNELS must be 'software', 'hardware' or 'auto', got '${v}'`);
}

export function selectVariants(info: AdapterInfo, features: readonly string[], limits: { maxComputeWorkgroupStorageSize: number; maxComputeInvocationsPerWorkgroup: number },
  request: VariantRequest = {}): KernelVariants {
  const fixedSubgroup = info.subgroupMinSize !== undefined && info.subgroupMinSize === info.subgroupMaxSize && info.subgroupMinSize >= 4
    && info.subgroupMinSize <= limits.maxComputeInvocationsPerWorkgroup ? info.subgroupMinSize : 0;
  const cls = gpuClass(info);
  const env = kernelsFromEnvironment();
  const asked = request.kernels && request.kernels !== 'auto' ? request.kernels : env;
  const family: KernelFamily = asked ?? (cls === 'software' ? 'software' : 'hardware');
  const reason = request.kernels && request.kernels !== 'auto' ? `forced by the webgpuKernels option`
    : env ? `forced by GMGRAD_WEBGPU_KERNELS=${env}` : `${cls} adapter`;
  // the hardware GEMM tiles need 256 invocations and 16 KiB (hw64, hw128) of workgroup memory
  const fits = limits.maxComputeInvocationsPerWorkgroup >= 256 && limits.maxComputeWorkgroupStorageSize >= 16384;
  if (family === 'hardware' && !fits) {
    throw new Error(`webgpu: the hardware kernels need 256 invocations and 16 KiB of workgroup memory per workgroup; this adapter allows ${limits.maxComputeInvocationsPerWorkgroup} and ${limits.maxComputeWorkgroupStorageSize} bytes`);
  }
  const core = request.gemmCore && request.gemmCore !== 'auto' ? request.gemmCore : family === 'hardware' ? 'hw' : 'register';
  return {
    family,
    reason,
    gpuClass: cls,
    gemm: core,
    gmLoss: family === 'hardware' ? 'tiled' : 'direct',
    subgroupSize: family === 'hardware' && features.includes('subgroups') ? fixedSubgroup : 0,
    workgroupStorage: limits.maxComputeWorkgroupStorageSize,
  };
}
