/**
 * Assembles the kernel module: one imported memory ("env"."memory", shared when threads are used)
 * and the exported drivers every thread calls with the address of its parameter block.
 */
import { ModuleBuilder } from './assembler.js';
import { emitGemm, type GemmShape } from './kernels/gemm.js';
import { emitConv } from './kernels/conv.js';
import { emitUtil } from './kernels/util.js';
import { AFFINE_DRIVER, WASM_BINARY, WASM_UNARY, binaryDriverName, emitElementwise, unaryDriverName } from './kernels/elementwise.js';
import { emitAvgPool, emitPool } from './kernels/pool.js';
import { LOG_SOFTMAX_DRIVER, SOFTMAX_DRIVER, emitSoftmax } from './kernels/softmax.js';
import { GM_COVARIANCES, GM_INV_VAR_DRIVER, emitGm, gmDistancesDriverName, gmGradDriverName } from './kernels/gm.js';
import { Vec } from './kernels/vec.js';
import { WASM_REDUCE_OPS, emitReduce, reduceDriverName } from './kernels/reduce.js';
import { ADAM_DRIVER, SGD_DRIVER, emitOptim } from './kernels/optim.js';
import { BN_BACKWARD_DRIVER, BN_FORWARD_DRIVER, BN_RELU_BACKWARD_DRIVER, BN_RELU_FORWARD_DRIVER, emitBatchNorm } from './kernels/batch-norm.js';
import { emitWinograd, winogradDrivers } from './kernels/winograd-conv.js';
import { PRELU_BACKWARD_DRIVER, PRELU_FORWARD_DRIVER, emitPrelu } from './kernels/prelu.js';
import { IMPLICIT_DRIVERS, emitConvImplicit } from './kernels/conv-implicit.js';

export interface KernelModuleConfig {
  simd: boolean;
  /** use f32x4.relaxed_madd in the micro-kernel (only when the engine validates it) */
  relaxedMadd: boolean;
  sharedMemory: boolean;
  /** memory limits in 64 KiB pages (the import declares them; the memory must match) */
  initialPages: number;
  maximumPages: number;
  gemm: GemmShape;
  /** pixel block of the convolution drivers (a multiple of gemm.nr) */
  convNc: number;
}

/** Exported driver names; each takes one i32: the address of a parameter block. */
export const DRIVERS: readonly string[] = [
  'gemm', 'convForward', 'convBackwardWeight', 'convBackwardInputCol2im', 'maxPool2d', 'maxPool2dBackward', 'avgPool2d', 'avgPool2dBackward',
  ...Object.keys(WASM_UNARY).map(unaryDriverName),
  ...Object.keys(WASM_BINARY).map(binaryDriverName),
  SOFTMAX_DRIVER, LOG_SOFTMAX_DRIVER, GM_INV_VAR_DRIVER, ...GM_COVARIANCES.flatMap((cov) => [gmDistancesDriverName(cov), gmGradDriverName(cov)]),
  ...WASM_REDUCE_OPS.map(reduceDriverName), SGD_DRIVER, ADAM_DRIVER, AFFINE_DRIVER, BN_FORWARD_DRIVER, BN_BACKWARD_DRIVER,
  BN_RELU_FORWARD_DRIVER, BN_RELU_BACKWARD_DRIVER,
  ...winogradDrivers(), PRELU_FORWARD_DRIVER, PRELU_BACKWARD_DRIVER, ...IMPLICIT_DRIVERS,
];
export type DriverName = string;

/**
 * Register and cache blocking. 4×8 keeps 8 v128 accumulators, 2 B vectors, the A splat and a
 * product temporary live: 12 of the 15 XMM registers V8 allocates on x64 (5×8 and 6×8 spill and
 * measured slower). kc·nr·4 = 8 KiB B micro-panels stay in L1 across an mc-row A block (128 KiB,
 * L2); convNc keeps a packed patch block (256 KiB) in L2.
 */
export function defaultShape(simd: boolean): { gemm: GemmShape; convNc: number } {
  return simd
    ? { gemm: { mr: 4, nr: 8, kc: 256, mc: 128, nc: 1024 }, convNc: 256 }
    : { gemm: { mr: 4, nr: 4, kc: 256, mc: 128, nc: 1024 }, convNc: 256 };
}

export function buildKernelModule(cfg: KernelModuleConfig): Uint8Array<ArrayBuffer> {
  const mod = new ModuleBuilder({ simd: cfg.simd });
  mod.importMemory({
    module: 'env', name: 'memory', initial: cfg.initialPages, maximum: cfg.maximumPages, shared: cfg.sharedMemory,
  });
  const vec = new Vec(cfg.simd, cfg.simd && cfg.relaxedMadd);
  const gemm = emitGemm(mod, vec, cfg.gemm);
  const util = emitUtil(mod, vec);
  emitConv(mod, vec, cfg.gemm, cfg.convNc, gemm, util);
  emitPool(mod, vec);
  emitAvgPool(mod);
  emitElementwise(mod, vec);
  emitSoftmax(mod, vec);
  emitGm(mod, vec);
  emitReduce(mod, vec);
  emitOptim(mod);
  emitBatchNorm(mod, vec);
  emitWinograd(mod, cfg.simd, cfg.simd && cfg.relaxedMadd, gemm);
  emitPrelu(mod, vec);
  emitConvImplicit(mod, cfg.simd, cfg.simd && cfg.relaxedMadd);
  return mod.build();
}
