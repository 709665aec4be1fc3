/**
 * Every WGSL file is used and compiles. Statically: the files the kernels name (the `shaders`
 * lists of their specs, the GEMM cores' `shader` fields and the problems passed to runGemm), with
 * what they `//!include`, are exactly the files in shaders/ — a file no kernel names fails. On the
 * device (SwiftShader in CI): a workload that runs every WebGPU kernel on the software kernel
 * family and again forced to the hardware family (the hw GEMM core with its fused epilogues and
 * vec4 fetches, the tiled GM distances) compiles every one of those files (an error in any would
 * surface as a thrown device error), and the compiled pipelines cover every file — except the
 * subgroup rows, which compile only on an adapter with one fixed subgroup size.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import type { GMLikelihood, StridedView } from '../../src/core/backend.js';
import type { WebGpuBackend } from '../../src/backends/webgpu/index.js';
import { createTestBackend } from './webgpu-helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const shaderDir = join(root, 'shaders');
const files = readdirSync(shaderDir).filter((f) => f.endsWith('.wgsl')).map((f) => f.slice(0, -5)).sort();
const includes = (name: string) => [...readFileSync(join(shaderDir, `${name}.wgsl`), 'utf8').matchAll(/^\s*\/\/!include\s+(\w+)/gm)].map((m) => m[1]!);

/** the file names with everything they include, transitively */
function withIncludes(names: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const visit = (n: string) => { if (out.has(n)) return; out.add(n); for (const i of includes(n)) visit(i); };
  for (const n of names) visit(n);
  return out;
}

/** the shader files the kernel sources name, found in their syntax tree */
function namedByKernels(): Set<string> {
  const dir = join(root, 'src/backends/webgpu');
  const named = new Set<string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.generated.ts'))) {
    const source = ts.createSourceFile(f, readFileSync(join(dir, f), 'utf8'), ts.ScriptTarget.ES2022, true);
    const strings = (node: ts.Node) => {
      const found: string[] = [];
      // string literals that are values (not the operands of a comparison such as core === 'hw')
      const walk = (n: ts.Node) => { if (ts.isStringLiteral(n) && !ts.isBinaryExpression(n.parent)) found.push(n.text); ts.forEachChild(n, walk); };
      walk(node);
      return found;
    };
    const visit = (node: ts.Node): void => {
      // { shaders: [...] } and { shader: '...' }, const shaders = [...], shaders.push('...')
      if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && (node.name.text === 'shaders' || node.name.text === 'shader')) {
        for (const s of strings(node.initializer)) named.add(s);
      }
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === 'shaders' && node.initializer) {
        for (const s of strings(node.initializer)) named.add(s);
      }
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'push'
        && ts.isIdentifier(node.expression.expression) && node.expression.expression.text === 'shaders') {
        for (const a of node.arguments) for (const s of strings(a)) named.add(s);
      }
      if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'runGemm' && node.arguments[2]) {
        for (const s of strings(node.arguments[2])) named.add(s);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return named;
}

describe('WGSL files', () => {
  it('every file in shaders/ is named by a kernel or included by one that is, and every named file exists', () => {
    const named = namedByKernels();
    const used = withIncludes([...named].filter((n) => files.includes(n)));
    expect([...named].filter((n) => !files.includes(n)), 'named by a kernel but missing from shaders/').toEqual([]);
    expect(files.filter((f) => !used.has(f)), 'in shaders/ but used by no kernel').toEqual([]);
  });
});

/** Runs every WebGPU kernel once (float32 and the int32 variants), then waits for the device. */
async function everyKernel(b: WebGpuBackend): Promise<void> {
  const f = (n: number) => b.upload(Float32Array.from({ length: n }, (_, i) => Math.sin(i) + 1.5));
  const i32 = (n: number, mod: number) => b.upload(Int32Array.from({ length: n }, (_, i) => i % mod));
  const flat = (s: ReturnType<typeof f>, shape: number[]): { storage: typeof s; view: StridedView } => {
    const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, c) => a * c, 1));
    return { storage: s, view: { shape, strides, offset: 0 } };
  };
  const x = f(24), xi = i32(24, 7);
  for (const [m, n] of [[1, 1100], [1100, 1], [3, 130], [150, 130]] as const) {
    b.matmul(f(m * 5), f(5 * n), { batch: 1, m, n, k: 5, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
  }
  // the hw core's two fetches (vec4 operands, scalar ones) and its fused epilogue (a pass of its
  // own on the register core, and after a split-K sum)
  const mm = (m: number, n: number, k: number, transB: boolean) => ({ batch: 1, m, n, k, transA: false, transB, aBatchStride: 0, bBatchStride: 0 });
  b.matmul(f(64 * 8), f(8 * 64), mm(64, 64, 8, false));
  b.matmul(f(33 * 7), f(35 * 7), mm(33, 35, 7, true));
  const epi = (c: number) => ({ scale: f(c), shift: f(c), relu: true });
  b.accelerated.matmulEpilogue!(f(40 * 6), f(6 * 36), mm(40, 36, 6, false), epi(36));
  b.accelerated.matmulEpilogue!(f(2 * 3000), f(3000 * 3), mm(2, 3, 3000, false), epi(3));
  b.matmul(i32(12, 5), i32(12, 5), { batch: 1, m: 3, n: 3, k: 4, transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 });
  for (const stride of [1, 2]) {
    const p = { n: 2, inC: 3, inH: 6, inW: 6, outC: 4, kH: 3, kW: 3, outH: stride === 1 ? 6 : 3, outW: stride === 1 ? 6 : 3, strideH: stride, strideW: stride, padTop: 1, padLeft: 1, dilationH: 1, dilationW: 1, groups: 1 };
    const X = f(216), W = f(108), D = f(2 * 4 * p.outH * p.outW);
    b.conv2d(X, W, p); b.accelerated.conv2dBackwardInput!(D, W, p); b.accelerated.conv2dBackwardWeight!(X, D, p);
    b.accelerated.conv2dEpilogue!(X, W, p, epi(4));
  }
  {
    // every GEMM side >= 32: the hw core on the hardware family
    const p = { n: 1, inC: 32, inH: 6, inW: 6, outC: 32, kH: 3, kW: 3, outH: 6, outW: 6, strideH: 1, strideW: 1, padTop: 1, padLeft: 1, dilationH: 1, dilationW: 1, groups: 1 };
    const X = f(32 * 36), W = f(32 * 32 * 9), D = f(32 * 36);
    b.conv2d(X, W, p); b.accelerated.conv2dBackwardInput!(D, W, p); b.accelerated.conv2dBackwardWeight!(X, D, p);
    b.accelerated.conv2dEpilogue!(X, W, p, epi(32));
  }
  b.alloc(8, 'float32'); b.fill(8, 'int32', 3);
  b.copy({ storage: x, view: { shape: [4, 6], strides: [1, 4], offset: 0 } });
  b.assign(b.alloc(24, 'float32'), flat(x, [24]).view, flat(x, [24]));
  b.cast(x, 'int32'); b.cast(xi, 'float32');
  // one instance of each file (the op variants are the kernel suite's business): Φ pulls in erf
  b.unary('normalCdf', x); b.unary('powScalar', xi, [3]);
  b.binary('add', flat(x, [4, 6]), { storage: x, view: { shape: [4, 6], strides: [0, 1], offset: 0 } }, [4, 6]);
  b.binary('pow', flat(xi, [24]), flat(xi, [24]), [24]);
  b.where(flat(xi, [24]), flat(x, [24]), flat(x, [24]), [24]);
  b.reduce('sum', x, 2, 3, 4); b.reduce('argmax', xi, 1, 24, 1);
  const pool = { n: 1, c: 2, inH: 4, inW: 4, outH: 2, outW: 2, kH: 2, kW: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0, countIncludePad: true };
  const { argmax } = b.maxPool2d(f(32), pool);
  b.accelerated.maxPool2dBackward!(f(8), argmax, pool);
  b.avgPool2d(f(32), pool); b.accelerated.avgPool2dBackward!(f(8), pool);
  b.gather(x, i32(24, 6), 1, 24, 1, 24); b.scatterAdd(x, i32(24, 6), 1, 6, 1, 24); b.scatterAdd(xi, i32(24, 6), 1, 6, 1, 24);
  b.accelerated.softmax!(x, 4, 6, false); b.accelerated.softmax!(f(3000), 1, 3000, true);
  for (const [likelihood, diagonal] of [['true-class', false], ['all-class', true]] as Array<[GMLikelihood, boolean]>) {
    {
      const p = { n: 4, k: 3, d: 2, margin: 1, lambda: 0.1, likelihood, diagonal };
      const args = [f(8), f(6), diagonal ? f(6) : null, i32(4, 3)] as const;
      const r = b.accelerated.gmForward!(...args, p);
      b.accelerated.gmBackward!(...args, r.logSumExp, f(1), p);
    }
  }
  const bn = { outer: 2, c: 3, inner: 4, varianceEpsilon: 1e-5 };
  const r = b.accelerated.batchNormForward!(x, f(3), f(3), bn);
  b.accelerated.batchNormBackward!(x, x, r.mean, r.variance, f(3), bn);
  b.accelerated.linfStep!(x, f(24), f(24), { size: 24, alpha: 0.1, eps: 0.2, lo: 0, hi: 1 });
  for (const momentum of [0, 0.9]) b.accelerated.sgdStep!(f(24), f(24), f(24), { lr: 0.1, momentum, dampening: 0, weightDecay: 0, nesterov: false, firstStep: false });
  b.accelerated.adamStep!(f(24), f(24), f(24), f(24), { lr: 0.1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0, decoupled: false, step: 1 });
  await b.sync();
}

const families = {
  software: await createTestBackend({ webgpuKernels: 'software' }),
  hardware: await createTestBackend({ webgpuKernels: 'hardware' }),
};
afterAll(() => { families.software?.dispose(); families.hardware?.dispose(); });

/** the files only an adapter with one fixed subgroup size compiles (gm-variants.ts) */
const SUBGROUP_FILES = ['enableSubgroups', 'gmLossRowsSubgroup'];

describe.skipIf(!families.software || !families.hardware)('WGSL compiles on the device', () => {
  it('running every kernel on both kernel families compiles every file without an error', async () => {
    const compiled = new Set<string>();
    for (const b of [families.software!, families.hardware!]) {
      await everyKernel(b);
      for (const file of b.stats().shaderFiles) compiled.add(file);
    }
    expect(families.software!.stats().gemmCore).toBe('register');
    expect(families.hardware!.stats().gemmCore).toBe('hw');
    const subgroups = families.hardware!.stats().variants.subgroupSize > 0;
    const missing = files.filter((f) => !withIncludes(compiled).has(f));
    expect(missing, 'files no kernel of the workload compiled').toEqual(subgroups ? [] : SUBGROUP_FILES);
  });
});
