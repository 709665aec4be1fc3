/** The op layer: every public op. */
import './methods.js';

export * from './creation.js';
export * from './unary.js';
export * from './binary.js';
export * from './reduce.js';
export * from './shape.js';
export * from './indexing.js';
export * from './linalg.js';
export * from './conv.js';
export * from './pool.js';
export * from './softmax.js';
export * from './batch-norm.js';
export * from './batch-norm-relu.js';
export * from './subsample-pad.js';
export * from './nn.js';
export { assignInPlace } from './assign.js';
export * from './gm.js';
export * from './attack.js';
export { OpError } from './util.js';
export * from './fused.js';
