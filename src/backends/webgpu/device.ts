/**
 * Getting a GPUDevice: `navigator.gpu` in browsers, Dawn's Node bindings (the `webgpu` package,
 * imported dynamically so bundles never pull it) in Node. Asks for the adapter's real limits and
 * the optional features it has.
 */

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** a CPU implementation (SwiftShader, llvmpipe): correct but slower than the wasm backend */
  isSoftware: boolean;
  features: string[];
}

export interface AcquiredDevice {
  device: GPUDevice;
  info: AdapterInfo;
}

const INSTALL_HINT = 'On Linux without a GPU: apt-get install libvulkan1 chromium (Debian\'s chromium ships the SwiftShader ' +
  'Vulkan driver), then run with VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json and XDG_RUNTIME_DIR set to a ' +
  'private (0700) directory. Or use --backend wasm / cpu.';

const OPTIONAL_FEATURES: GPUFeatureName[] = ['shader-f16', 'subgroups' as GPUFeatureName, 'timestamp-query'];

let nodeGpu: GPU | null = null;

async function getGpu(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (!isNode) throw new Error('webgpu: this browser has no navigator.gpu (WebGPU is not available or not enabled)');
  let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    const name = 'webgpu';
    mod = await import(/* @vite-ignore */ name) as typeof mod;
  } catch (e) {
    throw new Error(`webgpu: the 'webgpu' package (Dawn for Node) could not be loaded: ${(e as Error).message}. npm install webgpu`);
  }
  Object.assign(globalThis, mod.globals);
  // keep Dawn's instance alive as long as the process: collecting it tears down the devices
  nodeGpu ??= mod.create([]);
  return nodeGpu;
}

export async function acquireDevice(): Promise<AcquiredDevice> {
  const gpu = await getGpu();
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error(`webgpu: no WebGPU adapter was found. ${INSTALL_HINT}`);
  const features = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: features,
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxStorageBuffersPerShaderStage: Math.min(l.maxStorageBuffersPerShaderStage, 10),
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  });
  const ai = adapter.info ?? ({} as GPUAdapterInfo);
  const text = `${ai.vendor ?? ''} ${ai.architecture ?? ''} ${ai.device ?? ''} ${ai.description ?? ''}`.toLowerCase();
  return {
    device,
    info: {
      vendor: ai.vendor ?? '', architecture: ai.architecture ?? '', device: ai.device ?? '', description: ai.description ?? '',
      isSoftware: /swiftshader|llvmpipe|lavapipe|software|microsoft basic/.test(text),
      features,
    },
  };
}
