/** The op layer: every public op, and the registration the autodiff core needs. */
import { registerCoreOps } from '../core/op-registry.js';
import { add } from './binary.js';
import { onesLike, zerosLike } from './creation.js';
import { cast, detach } from './shape.js';
import './methods.js';

registerCoreOps({ add, onesLike: (t) => onesLike(t), zerosLike: (t) => zerosLike(t), detach, cast });

export * from './creation.js';
export * from './unary.js';
export * from './binary.js';
export * from './reduce.js';
export * from './shape.js';
export * from './indexing.js';
export * from './linalg.js';
export * from './conv.js';
export * from './pool.js';
export * from './nn.js';
export * from './gm.js';
export { OpError } from './util.js';
