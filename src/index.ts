/** gmgrad: tensors, autodiff, layers, the GM loss, attacks and detection, on WebGPU or the CPU. */
export * from './ops/index.js';
export { Tensor, type NestedArray } from './core/tensor.js';
export type { DType, TypedArray } from './core/dtype.js';
export type { Backend, MemoryInfo, GMLikelihood } from './core/backend.js';
export { backward, grad, valueAndGrad, noGrad, isGradEnabled } from './core/autograd.js';
export { tidy, keep } from './core/scope.js';
export { Generator, manualSeed, defaultGenerator } from './core/random.js';
export { getBackend, setBackend, createBackend, memory, type InitOptions, type BackendName } from './core/engine.js';
export { ShapeError, formatShape } from './core/shape.js';
export { init, describeBackend } from './init.js';
