/**
 * WGSL assembly and the pipeline cache. A kernel is named by a KernelSpec: the shader files it is
 * made of (concatenated in order: a GEMM "problem" file then a GEMM "core", say), the entry point,
 * the text substitutions that specialise it ({{T}} → f32, {{RANK}} → 3, an op's expression), and
 * its binding layout. Lines `//!include name` pull in shared snippets (dispatch, math, erf) once.
 * Each distinct spec compiles one shader module and one pipeline, cached for the device's life.
 *
 * Layouts are explicit (not 'auto') so that a kernel may declare a binding that one
 * specialisation does not touch (the logVar of an identity-covariance GM loss): the caller binds
 * a small dummy buffer there.
 */
import { SHADERS } from './shaders.generated.js';

export type BindingKind = 'uniform' | 'read' | 'rw';

export interface KernelSpec {
  /** shader names (files in shaders/ without .wgsl), concatenated in this order */
  shaders: readonly string[];
  entryPoint?: string;
  subs?: Readonly<Record<string, string | number | boolean>>;
  /** binding i's kind (null: not bound by this entry point); binding 0 is the uniform parameter block */
  layout: readonly (BindingKind | null)[];
}

const INCLUDE = /^\s*\/\/!include\s+([A-Za-z0-9_]+)\s*$/gm;
const PLACEHOLDER = /\{\{([A-Za-z0-9_]+)\}\}/g;

function shaderText(name: string): string {
  const text = SHADERS[name];
  if (text === undefined) throw new Error(`webgpu: no shader '${name}' (shaders/${name}.wgsl is not embedded; run node scripts/embed-shaders.mjs)`);
  return text;
}

/** The WGSL of a spec: includes resolved (each once), placeholders substituted, none left over. */
export function assembleShader(spec: Pick<KernelSpec, 'shaders' | 'subs'>): string {
  const included = new Set<string>();
  const expand = (text: string): string => text.replace(INCLUDE, (_line, name: string) => {
    if (included.has(name)) return '';
    included.add(name);
    return expand(shaderText(name));
  });
  const code = spec.shaders.map((s) => expand(shaderText(s))).join('\n');
  const subs = spec.subs ?? {};
  const out = code.replace(PLACEHOLDER, (_m, key: string) => {
    const v = subs[key];
    if (v === undefined) throw new Error(`webgpu: shader ${spec.shaders.join('+')} needs a value for {{${key}}}`);
    return String(v);
  });
  return out;
}

export function specKey(spec: KernelSpec): string {
  const subs = Object.entries(spec.subs ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(';');
  return `${spec.shaders.join('+')}@${spec.entryPoint ?? 'main'}[${spec.layout.map((k) => k ?? '-').join(',')}]{${subs}}`;
}

export interface CompiledKernel {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  key: string;
}

export class PipelineCache {
  readonly #kernels = new Map<string, CompiledKernel>();
  readonly #modules = new Map<string, GPUShaderModule>();
  readonly #layouts = new Map<string, GPUBindGroupLayout>();
  readonly #files = new Set<string>();

  constructor(private readonly device: GPUDevice, private readonly onCompileError: (message: string) => void) {}

  /** number of distinct pipelines compiled so far */
  get size(): number {
    return this.#kernels.size;
  }

  /** the shader files (without their includes) of the pipelines compiled so far */
  get shaderFiles(): string[] {
    return [...this.#files].sort();
  }

  get(spec: KernelSpec): CompiledKernel {
    const key = specKey(spec);
    const hit = this.#kernels.get(key);
    if (hit) return hit;
    const code = assembleShader(spec);
    let module = this.#modules.get(code);
    if (!module) {
      module = this.device.createShaderModule({ code, label: key });
      this.#modules.set(code, module);
      this.#watchCompilation(module, key, code);
    }
    const layout = this.#bindGroupLayout(spec.layout);
    const pipeline = this.device.createComputePipeline({
      label: key,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: spec.entryPoint ?? 'main' },
    });
    const compiled = { pipeline, layout, key };
    this.#kernels.set(key, compiled);
    for (const file of spec.shaders) this.#files.add(file);
    return compiled;
  }

  #bindGroupLayout(kinds: readonly (BindingKind | null)[]): GPUBindGroupLayout {
    const key = kinds.map((k) => k ?? '-').join(',');
    let layout = this.#layouts.get(key);
    if (!layout) {
      layout = this.device.createBindGroupLayout({
        label: key,
        entries: kinds.flatMap((kind, binding) => (kind === null ? [] : [{
          binding,
          visibility: 0x4 /* GPUShaderStage.COMPUTE */,
          // the parameter block is bound at a dynamic offset (its slot in the recorder's ring)
          buffer: kind === 'uniform' ? { type: 'uniform' as const, hasDynamicOffset: true }
            : { type: kind === 'read' ? 'read-only-storage' as const : 'storage' as const },
        }])),
      });
      this.#layouts.set(key, layout);
    }
    return layout;
  }

  /** Compilation messages arrive asynchronously; errors are reported with the line that failed. */
  #watchCompilation(module: GPUShaderModule, key: string, code: string): void {
    if (typeof module.getCompilationInfo !== 'function') return;
    module.getCompilationInfo().then((info) => {
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length === 0) return;
      const lines = code.split('\n');
      const text = errors.map((m) => `line ${m.lineNum}: ${m.message}\n    ${lines[m.lineNum - 1]?.trim() ?? ''}`).join('\n');
      this.onCompileError(`WGSL compilation failed for ${key}:\n${text}`);
    }, () => { /* device lost: reported elsewhere */ });
  }
}
