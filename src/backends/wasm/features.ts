/**
 * What this JavaScript engine offers the wasm backend, probed by validating tiny modules built with
 * our own assembler (no user-agent sniffing).
 */
import { ModuleBuilder, type FunctionBuilder } from './assembler.js';

export interface WasmFeatures {
  /** 128-bit SIMD (v128, f32x4 arithmetic, load-splat) */
  simd: boolean;
  /** relaxed-simd's f32x4.relaxed_madd (a fused multiply-add where the hardware has one) */
  relaxedMadd: boolean;
  /** shared WebAssembly.Memory (SharedArrayBuffer and, in browsers, cross-origin isolation) */
  sharedMemory: boolean;
  /** a main thread that may block in Atomics.wait (Node: yes; a browser window: no) */
  canBlockMainThread: boolean;
}

function validates(body: (f: FunctionBuilder) => void, results: Array<'v128'> = ['v128']): boolean {
  if (typeof WebAssembly === 'undefined' || typeof WebAssembly.validate !== 'function') return false;
  try {
    const m = new ModuleBuilder();
    m.func('probe', [], results, (f) => body(f));
    return WebAssembly.validate(m.build());
  } catch {
    return false;
  }
}

export function probeSimd(): boolean {
  return validates((f) => {
    f.f32(1).op('f32x4.splat').f32x4Const(2).op('f32x4.mul');
  });
}

export function probeRelaxedMadd(): boolean {
  return validates((f) => {
    f.f32x4Const(1).f32x4Const(2).f32x4Const(3).op('f32x4.relaxed_madd');
  });
}

export function probeSharedMemory(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  // browsers expose SharedArrayBuffer only to cross-origin isolated pages; be explicit about it
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (g.crossOriginIsolated === false) return false;
  try {
    const mem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return mem.buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/**
 * Node 20's V8 (11.3) implements relaxed SIMD behind --experimental-wasm-relaxed-simd; V8 11.4+
 * (Node 22, Chrome 114) ships it. Where SIMD validates but relaxed_madd does not, this turns the
 * flag on through `v8.setFlagsFromString` (a process-wide V8 flag that only makes more modules
 * validate) and returns whether relaxed_madd validates afterwards. The FMA micro-kernel is 1.3–1.5×
 * faster than mul + add on x86-64. Browsers and other engines are left as they are.
 */
export function enableRelaxedSimdInNode(): boolean {
  if (probeRelaxedMadd()) return true;
  if (!isNode() || !probeSimd()) return false;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  // process.getBuiltinModule (Node ≥ 20.16) reaches v8 without an import a browser bundler would see
  if (typeof proc?.getBuiltinModule !== 'function') return false;
  try {
    const v8 = proc.getBuiltinModule('node:v8') as { setFlagsFromString(flags: string): void };
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    return false;
  }
  return probeRelaxedMadd();
}

export function probeFeatures(): WasmFeatures {
  const g = globalThis as { document?: unknown };
  return {
    simd: probeSimd(),
    relaxedMadd: probeRelaxedMadd(),
    sharedMemory: probeSharedMemory(),
    // Atomics.wait throws on a browser window's main thread; Node's main thread may block
    canBlockMainThread: isNode() || typeof g.document === 'undefined',
  };
}
