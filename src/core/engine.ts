/**
 * Which backend new tensors go to. `init()` picks and creates backends; ops run on the backend of
 * their inputs (all inputs must share one). Backends are created lazily and cached by name.
 */
import type { Backend, MemoryInfo } from './backend.js';

export type BackendName = 'cpu' | 'webgpu' | 'wasm';
export type BackendChoice = BackendName | 'auto';

export interface InitOptions {
  backend?: BackendChoice;
  /** threads for the wasm backend (default: available cores) */
  threads?: number;
  /**
   * cpu and wasm: bytes all live tensors may take together; a larger allocation is refused before
   * it is attempted (default: half of this machine's memory). WebGPU refuses what its adapter's
   * buffer limits cannot hold.
   */
  memoryLimit?: number;
  /**
   * false keeps the wasm kernels on separate multiply and add; default: relaxed-SIMD multiply-add
   * where the engine has it (Node 20 has it behind a V8 flag, which gmgrad then turns on)
   */
  wasmFma?: boolean;
  /** allow software WebGPU adapters (SwiftShader, llvmpipe) when backend is 'auto' (default false) */
  allowSoftwareWebGpu?: boolean;
  /** which WebGPU adapter to ask for (default 'high-performance') */
  powerPreference?: 'low-power' | 'high-performance';
  /** ask for the fallback (software) WebGPU adapter */
  forceFallbackAdapter?: boolean;
  /**
   * say which backend was picked and why (and when wasm threads are unavailable): true prints with
   * console.info; default false, the library prints nothing
   */
  verbose?: boolean;
  /**
   * WebGPU kernel variants: 'auto' (default) picks by adapter ('software' on CPU implementations
   * such as SwiftShader, 'hardware' on GPUs); forcing one overrides GMGRAD_WEBGPU_KERNELS
   */
  webgpuKernels?: 'auto' | 'software' | 'hardware';
  /** receives those lines instead (e.g. a CLI writing to stderr); implies verbose */
  log?: (line: string) => void;
}

export type BackendFactory = (options: InitOptions) => Promise<Backend>;

const factories = new Map<BackendName, BackendFactory>();
const created = new Map<BackendName, Backend>();
let current: Backend | null = null;
let defaultBackendMaker: (() => Backend) | null = null;

/** Backends announce themselves here (src/backends/register.ts). */
export function registerBackend(name: BackendName, factory: BackendFactory): void {
  factories.set(name, factory);
}

/** The synchronous default (the CPU reference) used when init() was never called. */
export function setDefaultBackendMaker(make: () => Backend): void {
  defaultBackendMaker = make;
}

export function getBackend(): Backend {
  if (!current) {
    if (!defaultBackendMaker) throw new Error('gmgrad: no backend registered');
    current = defaultBackendMaker();
    created.set(current.name as BackendName, current);
  }
  return current;
}

export function setBackend(b: Backend): void {
  created.set(b.name as BackendName, b);
  current = b;
}

export async function createBackend(name: BackendName, options: InitOptions = {}): Promise<Backend> {
  const existing = created.get(name);
  if (existing) return existing;
  const f = factories.get(name);
  if (!f) throw new Error(`gmgrad: unknown backend '${name}' (known: ${[...factories.keys()].join(', ')})`);
  const b = await f(options);
  created.set(name, b);
  return b;
}

export function createdBackends(): Backend[] {
  return [...created.values()];
}

/** Live tensors/bytes and pooled bytes per backend. */
export function memory(): Record<string, MemoryInfo> {
  const out: Record<string, MemoryInfo> = {};
  for (const b of created.values()) out[b.name] = b.memory();
  return out;
}
