/**
 * Choosing a backend. 'auto' takes WebGPU on a hardware adapter, otherwise the WebAssembly CPU
 * backend (software WebGPU adapters such as SwiftShader are slower than it), otherwise the
 * TypeScript CPU reference. Silent unless asked (`verbose` or `log`): then it says which one it
 * picked and why.
 */
import type { Backend } from './core/backend.js';
import { createBackend, setBackend, type InitOptions, type BackendName } from './core/engine.js';
import './backends/register.js';

export interface InitResult {
  backend: Backend;
  /** one line: which backend, which adapter, and why */
  description: string;
}

export async function init(options: InitOptions = {}): Promise<InitResult> {
  const choice = options.backend ?? 'auto';
  if (choice !== 'auto') {
    const b = await createBackend(choice, options);
    setBackend(b);
    return announce({ backend: b, description: describeBackend(b) }, options);
  }
  const reasons: string[] = [];
  try {
    const gpu = await createBackend('webgpu', options);
    const info = (gpu as Backend & { adapterInfo?: () => { isSoftware: boolean; architecture: string } }).adapterInfo?.();
    if (info && info.isSoftware && !options.allowSoftwareWebGpu) {
      reasons.push(`the WebGPU adapter is a software one (${info.architecture}), slower than the CPU backend`);
    } else {
      setBackend(gpu);
      return announce({ backend: gpu, description: describeBackend(gpu) }, options);
    }
  } catch (e) {
    reasons.push(`no WebGPU: ${(e as Error).message.split('\n')[0]}`);
  }
  for (const name of ['wasm', 'cpu'] as BackendName[]) {
    try {
      const b = await createBackend(name, options);
      setBackend(b);
      return announce({ backend: b, description: `${describeBackend(b)} (${reasons.join('; ')})` }, options);
    } catch (e) {
      reasons.push(`no ${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`init: no backend could be created: ${reasons.join('; ')}`);
}

function announce(r: InitResult, options: InitOptions): InitResult {
  const log = options.log ?? (options.verbose ? (line: string) => console.info(line) : null);
  log?.(`gmgrad: using ${r.description}`);
  return r;
}

export function describeBackend(b: Backend): string {
  const info = (b as Backend & { adapterInfo?: () => { vendor: string; architecture: string; description?: string } }).adapterInfo?.();
  if (info) return `webgpu (${[info.vendor, info.architecture, info.description].filter(Boolean).join(' ')})`;
  const { threads, instructions } = b as Backend & { threads?: number; instructions?: string };
  if (threads === undefined) return b.name;
  return `${b.name} (${threads} thread${threads === 1 ? '' : 's'}${instructions ? `, ${instructions}` : ''})`;
}
