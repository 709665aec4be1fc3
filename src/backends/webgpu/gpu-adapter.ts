/**
 * Getting a GPUDevice. Browsers: navigator.gpu. Node: Dawn's bindings from the optional `webgpu`
 * package (dawn-node.ts: loaded lazily, after a quiet probe on Linux). The device gets the
 * adapter's real limits (WebGPU otherwise caps every device at the spec's defaults, e.g. 128 MiB
 * storage bindings) and the optional features the backend can use, each only when the adapter has it.
 */
import { loadDawn } from './dawn-node.js';

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** a CPU implementation (SwiftShader, llvmpipe/lavapipe, WARP): slower than the wasm backend */
  isSoftware: boolean;
  /** the adapter's subgroup sizes, where it reports them */
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
}

export interface AcquireOptions {
  powerPreference?: GPUPowerPreference;
  /** ask for the fallback (software) adapter */
  forceFallbackAdapter?: boolean;
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: GPUAdapter;
  info: AdapterInfo;
  features: string[];
}

const LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupSizeZ', 'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize', 'maxBindGroups', 'maxBindingsPerBindGroup',
] as const;

const OPTIONAL_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render|warp/i;

let nodeGpu: Promise<GPU> | null = null;

/** Node (not a browser bundle): read through globalThis so that the browser build needs no Node types. */
function isNodeRuntime(): boolean {
  return !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
}

/**
 * Dawn's Vulkan loader wants XDG_RUNTIME_DIR (a private 0700 directory) and prints errors without
 * it; give it one under the temp directory when the environment has none.
 */
async function ensureRuntimeDir(): Promise<void> {
  // process.getBuiltinModule (Node ≥ 20.16) reaches fs without an import a browser bundler would see
  const proc = (globalThis as { process?: NodeProcessLike }).process;
  if (!proc || proc.env.XDG_RUNTIME_DIR || typeof proc.getBuiltinModule !== 'function') return;
  try {
    const fs = proc.getBuiltinModule('node:fs') as { mkdirSync(p: string, o: object): void; chmodSync(p: string, m: number): void };
    const os = proc.getBuiltinModule('node:os') as { tmpdir(): string };
    const dir = `${os.tmpdir()}/gmgrad-xdg-${proc.getuid?.() ?? 'user'}`;
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    proc.env.XDG_RUNTIME_DIR = dir;
  } catch { /* Dawn still works; it only complains */ }
}

interface NodeProcessLike {
  env: Record<string, string | undefined>;
  getuid?: () => number;
  getBuiltinModule?: (id: string) => unknown;
}

async function loadNodeGpu(options: GPURequestAdapterOptions): Promise<GPU> {
  await ensureRuntimeDir();
  const mod = await loadDawn(options, noAdapterMessage(true));
  // Dawn's classes (GPUBufferUsage, GPUMapMode, ...) are not globals in Node unless installed
  for (const [name, value] of Object.entries(mod.globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  return mod.create([]);
}

async function getGpu(options: GPURequestAdapterOptions): Promise<GPU | null> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  const isNode = isNodeRuntime();
  if (!isNode) return null;
  nodeGpu ??= loadNodeGpu(options);
  return nodeGpu;
}

export function noAdapterMessage(inNode: boolean): string {
  if (!inNode) {
    return 'webgpu: this browser exposes no WebGPU adapter (navigator.gpu is missing or requestAdapter() returned null); ' +
      'use a browser with WebGPU enabled, or the wasm/cpu backend.';
  }
  return [
    'webgpu: no WebGPU adapter found (Dawn found no Vulkan device).',
    'On Linux without a GPU, install the Vulkan loader and a software Vulkan driver, e.g. SwiftShader from Debian\'s chromium:',
    '  apt-get install libvulkan1 chromium',
    '  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json',
    '  export XDG_RUNTIME_DIR=/tmp/xdg && mkdir -p $XDG_RUNTIME_DIR && chmod 700 $XDG_RUNTIME_DIR',
    'With a GPU, install its Vulkan driver (mesa-vulkan-drivers, or the NVIDIA driver with its Vulkan ICD).',
  ].join('\n');
}

function describe(adapter: GPUAdapter, forcedFallback: boolean): AdapterInfo {
  const raw = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  const vendor = raw?.vendor ?? '', architecture = raw?.architecture ?? '';
  const device = raw?.device ?? '', description = raw?.description ?? '';
  const fallback = (raw as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter
    ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? forcedFallback;
  const sizes = raw as { subgroupMinSize?: number; subgroupMaxSize?: number } | undefined;
  return {
    vendor, architecture, device, description, isSoftware: fallback || SOFTWARE.test(`${vendor} ${architecture} ${device} ${description}`),
    ...(typeof sizes?.subgroupMinSize === 'number' ? { subgroupMinSize: sizes.subgroupMinSize, subgroupMaxSize: sizes.subgroupMaxSize } : {}),
  };
}

export async function acquireDevice(options: AcquireOptions = {}): Promise<AcquiredDevice> {
  const request: GPURequestAdapterOptions = {
    powerPreference: options.powerPreference ?? 'high-performance',
    forceFallbackAdapter: options.forceFallbackAdapter ?? false,
  };
  const gpu = await getGpu(request);
  const inNode = isNodeRuntime();
  if (!gpu) throw new Error(noAdapterMessage(inNode));
  const adapter = await gpu.requestAdapter(request);
  if (!adapter) throw new Error(noAdapterMessage(inNode));
  const requiredLimits: Record<string, number> = {};
  const limits = adapter.limits as unknown as Record<string, number | undefined>;
  for (const name of LIMITS) {
    const v = limits[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const features = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures: features as unknown as GPUFeatureName[] });
  return { device, adapter, info: describe(adapter, options.forceFallbackAdapter ?? false), features: [...features] };
}
