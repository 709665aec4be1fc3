/**
 * Picking the engine's backend in a page. The page prefers WebGPU (software adapters included: the
 * page exists to show WebGPU), and falls back to the WebAssembly backend, then the TypeScript CPU
 * reference, saying why. `?backend=webgpu|wasm|cpu` forces one.
 */
import { describeBackend, init, type Backend, type BackendName } from '../../../src/index.js';
import { errorMessage } from './dom.js';

export type BackendChoice = BackendName | 'prefer-webgpu';

export interface BackendReport {
  backend: Backend;
  name: BackendName;
  /** e.g. "WebGPU · google swiftshader" or "WebAssembly (1 thread)" */
  title: string;
  /** the engine's one-line description */
  description: string;
  /** why the page is not on WebGPU (null when it is) */
  fallbackReason: string | null;
  /** the WebGPU adapter, when there is one */
  adapter: AdapterReport | null;
}

export interface AdapterReport {
  vendor: string;
  architecture: string;
  description: string;
  isSoftware: boolean;
}

interface WithAdapterInfo {
  adapterInfo?: () => Partial<AdapterReport>;
  threads?: number;
}

function adapterOf(b: Backend): AdapterReport | null {
  const info = (b as Backend & WithAdapterInfo).adapterInfo?.();
  if (!info) return null;
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    description: info.description ?? '',
    isSoftware: info.isSoftware ?? false,
  };
}

function titleOf(name: BackendName, b: Backend, adapter: AdapterReport | null): string {
  if (name === 'webgpu') {
    const parts = [adapter?.vendor, adapter?.architecture].filter((s) => s && s.length > 0);
    return `WebGPU · ${parts.join(' ') || 'unnamed adapter'}${adapter?.isSoftware ? ' (software)' : ''}`;
  }
  const threads = (b as Backend & WithAdapterInfo).threads;
  if (name === 'wasm') return `WebAssembly SIMD (${threads ?? 1} thread${threads === 1 ? '' : 's'})`;
  return 'CPU (TypeScript reference)';
}

/** Why WebGPU cannot be used here, before even asking the engine. */
function webGpuPrecheck(): string | null {
  if (!('gpu' in navigator) || !navigator.gpu) {
    return window.isSecureContext
      ? 'this browser exposes no navigator.gpu (WebGPU disabled or unsupported)'
      : 'the page is not a secure context (serve it from localhost or https), so navigator.gpu is missing';
  }
  return null;
}

export async function pickBackend(choice: BackendChoice): Promise<BackendReport> {
  const order: BackendName[] = choice === 'prefer-webgpu' ? ['webgpu', 'wasm', 'cpu'] : [choice];
  const reasons: string[] = [];
  let softwareGpu: BackendReport | null = null;
  for (const name of order) {
    if (name === 'webgpu') {
      const pre = webGpuPrecheck();
      if (pre) { reasons.push(`no WebGPU: ${pre}`); continue; }
    }
    try {
      const { backend, description } = await init({ backend: name, verbose: false });
      const adapter = adapterOf(backend);
      const report: BackendReport = {
        backend, name, description: description || describeBackend(backend), adapter,
        title: titleOf(name, backend, adapter),
        fallbackReason: name === 'webgpu' ? null : (reasons.join('; ') || `the ${name} backend was asked for (?backend=${name})`),
      };
      // the engine's own rule ('auto'): a software adapter (SwiftShader, llvmpipe) is slower than
      // the WebAssembly backend; 'WebGPU only' (?backend=webgpu) uses it anyway
      if (choice === 'prefer-webgpu' && name === 'webgpu' && adapter?.isSoftware) {
        softwareGpu = report;
        reasons.push(`the WebGPU adapter is a software one (${[adapter.vendor, adapter.architecture].filter(Boolean).join(' ')}), slower than WebAssembly; pick “WebGPU only” to use it anyway`);
        continue;
      }
      return report;
    } catch (e) {
      reasons.push(`no ${name === 'webgpu' ? 'WebGPU' : name}: ${errorMessage(e).split('\n')[0]}`);
    }
  }
  if (softwareGpu) {
    await init({ backend: 'webgpu', verbose: false });
    return softwareGpu;
  }
  throw new Error(`no backend could be started: ${reasons.join('; ')}`);
}

/** `?backend=` from the URL (default: prefer WebGPU). */
export function backendChoiceFromUrl(params: URLSearchParams): BackendChoice {
  const v = params.get('backend');
  return v === 'webgpu' || v === 'wasm' || v === 'cpu' ? v : 'prefer-webgpu';
}
