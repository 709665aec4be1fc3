/**
 * Kernel-variant selection (variant-select.ts, gemm-variants.ts): software adapters keep the
 * software set, GPUs get the hardware set (hw GEMM tiles by shape and GPU class, the tiled GM
 * distances, subgroup rows where subgroups have one fixed size); the set can be forced by option
 * or by GMGRAD_WEBGPU_KERNELS, and a forced backend on this adapter really runs it.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AdapterInfo } from '../../src/backends/webgpu/gpu-adapter.js';
import { chooseHwTile, coreForShape } from '../../src/backends/webgpu/gemm-variants.js';
import { gpuClass, selectVariants } from '../../src/backends/webgpu/variant-select.js';
import { createTestBackend } from './webgpu-helpers.js';

const SWIFTSHADER: AdapterInfo = { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader Device (Subzero)', isSoftware: true, subgroupMinSize: 4, subgroupMaxSize: 4 };
const H200: AdapterInfo = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200', isSoftware: false, subgroupMinSize: 32, subgroupMaxSize: 32 };
const APPLE: AdapterInfo = { vendor: 'apple', architecture: 'metal-3', device: '', description: 'Apple M2', isSoftware: false, subgroupMinSize: 4, subgroupMaxSize: 64 };
const LIMITS = { maxComputeWorkgroupStorageSize: 32768, maxComputeInvocationsPerWorkgroup: 1024 };

const forced = await createTestBackend({ webgpuKernels: 'hardware' });
afterAll(() => forced?.dispose());
afterEach(() => { delete process.env.GMGRAD_WEBGPU_KERNELS; });

describe('kernel variant selection', () => {
  it('software adapters keep the software set; GPUs get the hardware set, by class', () => {
    const sw = selectVariants(SWIFTSHADER, ['subgroups'], LIMITS);
    expect(sw).toMatchObject({ family: 'software', gpuClass: 'software', gemm: 'register', gmLoss: 'direct', subgroupSize: 0, reason: 'software adapter' });
    const gpu = selectVariants(H200, ['subgroups', 'shader-f16'], LIMITS);
    expect(gpu).toMatchObject({ family: 'hardware', gpuClass: 'discrete', gemm: 'hw', gmLoss: 'tiled', subgroupSize: 32 });
    expect(selectVariants(H200, [], LIMITS).subgroupSize).toBe(0);
    // subgroups of varying size: no one-subgroup-per-workgroup kernels
    expect(selectVariants(APPLE, ['subgroups'], LIMITS)).toMatchObject({ family: 'hardware', gpuClass: 'integrated', subgroupSize: 0 });
    expect(gpuClass({ ...APPLE, vendor: 'amd', architecture: 'rdna-3', description: '' })).toBe('discrete');
  });

  it('forcing: the option over the environment variable over the adapter; a GEMM core of its own', () => {
    expect(selectVariants(SWIFTSHADER, ['subgroups'], LIMITS, { kernels: 'hardware' })).toMatchObject({ family: 'hardware', gemm: 'hw', subgroupSize: 4, reason: 'forced by the webgpuKernels option' });
    process.env.GMGRAD_WEBGPU_KERNELS = 'hardware';
    expect(selectVariants(SWIFTSHADER, [], LIMITS)).toMatchObject({ family: 'hardware', reason: 'forced by GMGRAD_WEBGPU_KERNELS=hardware' });
    expect(selectVariants(SWIFTSHADER, [], LIMITS, { kernels: 'software' }).family).toBe('software');
    expect(selectVariants(H200, [], LIMITS, { gemmCore: 'hw64' }).gemm).toBe('hw64');
    process.env.GMGRAD_WEBGPU_KERNELS = 'gpu';
    expect(() => selectVariants(H200, [], LIMITS)).toThrow(/GMGRAD_WEBGPU_KERNELS must be 'software', 'hardware' or 'auto', got 'gpu'/);
  });

  it('refuses the hardware set on an adapter too small for its workgroups', () => {
    expect(() => selectVariants(H200, [], { maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 128 }))
      .toThrow(/hardware kernels need 256 invocations and 16 KiB of workgroup memory per workgroup; this adapter allows 128 and 16384 bytes/);
  });

  it('hw picks 128×128 tiles only when a GEMM has enough of them for the GPU class', () => {
    expect(chooseHwTile('hw', 4096, 4096, 1, 'discrete').name).toBe('hw128');
    expect(chooseHwTile('hw', 512, 512, 1, 'discrete').name).toBe('hw64');
    expect(chooseHwTile('hw', 512, 1024, 1, 'integrated').name).toBe('hw128');
    expect(chooseHwTile('hw', 16, 200_000, 1, 'discrete').name).toBe('hw64');
    expect(chooseHwTile('hw64', 4096, 4096, 1, 'discrete').name).toBe('hw64');
  });

  it("'hw' gives GEMMs with a side under 32 to the register core; forced cores stay", () => {
    expect(coreForShape('hw', 3, 50_000)).toBe('register');
    expect(coreForShape('hw', 16, 4096)).toBe('register');
    expect(coreForShape('hw', 32, 4096)).toBe('hw');
    expect(coreForShape('hw64', 3, 50_000)).toBe('hw64');
    expect(coreForShape('register', 4096, 4096)).toBe('register');
  });
});

describe.skipIf(!forced)('a backend forced to the hardware set on this adapter', () => {
  it('runs the hardware kernels and says why', () => {
    const { variants, gemmCore, features } = forced!.stats();
    expect(variants).toMatchObject({ family: 'hardware', reason: 'forced by the webgpuKernels option', gmLoss: 'tiled' });
    expect(gemmCore).toBe('hw');
    const info = forced!.adapterInfo();
    const fixed = features.includes('subgroups') && info.subgroupMinSize === info.subgroupMaxSize;
    expect(variants.subgroupSize).toBe(fixed ? info.subgroupMinSize : 0);
  });
});
