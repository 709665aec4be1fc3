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
