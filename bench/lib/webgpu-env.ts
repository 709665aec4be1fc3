/**
 * One Dawn instance for the whole process (from the `webgpu` package), published as
 * `navigator.gpu` with the WebGPU globals (GPUBufferUsage, GPUMapMode, ...) that TensorFlow.js's
 * WebGPU backend expects: it registers itself only when `navigator.gpu` exists at import time.
 * The Vulkan ICD (SwiftShader here) comes from VK_ICD_FILENAMES, set by bench/run.mjs.
 */
export interface AdapterSummary {
  description: string;
  /** SwiftShader, llvmpipe and other CPU rasterisers */
  software: boolean;
}

let gpuPromise: Promise<GPU> | null = null;

export function installNavigatorGpu(): Promise<GPU> {
  gpuPromise ??= (async () => {
    const g = globalThis as { navigator?: { gpu?: GPU } };
    if (g.navigator?.gpu) return g.navigator.gpu;
    const { create, globals } = await import('webgpu') as { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
    Object.assign(globalThis, globals);
    const gpu = create([]);
    if (g.navigator) {
      Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    } else {
      // Node 20 has no navigator; hardwareConcurrency keeps browser-style probes honest
      const { availableParallelism } = await import('node:os');
      Object.defineProperty(globalThis, 'navigator', {
        value: { gpu, hardwareConcurrency: availableParallelism() }, configurable: true, writable: true,
      });
    }
    return gpu;
  })();
  return gpuPromise;
}

let adapterPromise: Promise<AdapterSummary | null> | null = null;

/** The default adapter Dawn hands out (the one both gmgrad and TF.js get), or null. */
export function probeAdapter(): Promise<AdapterSummary | null> {
  adapterPromise ??= (async () => {
    try {
      const gpu = await installNavigatorGpu();
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) return null;
      const info = adapter.info;
      const text = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
      const software = /swiftshader|llvmpipe|lavapipe|software|warp/i.test(text)
        || (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
      return { description: text || 'unknown adapter', software };
    } catch {
      return null;
    }
  })();
  return adapterPromise;
}

/**
 * Extra options for gmgrad's WebGPU backend from GMGRAD_BENCH_WEBGPU (JSON, e.g.
 * '{"dispatchesPerSubmit":4096}' or '{"webgpuKernels":"hardware"}'), so that one benchmark can be
 * rerun with another submit batching or kernel set.
 */
export function webgpuOptionsFromEnv(): Record<string, unknown> {
  const raw = process.env.GMGRAD_BENCH_WEBGPU;
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch { /* reported below */ }
  throw new Error(`GMGRAD_BENCH_WEBGPU must be a JSON object of webgpu backend options, got ${raw}`);
}
