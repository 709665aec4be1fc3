export { Optimizer, type ParamGroup, type ParamGroupInput } from './optimizer.js';
export { SGD, type SgdHyper } from './sgd.js';
export { Adam, AdamW, type AdamHyper } from './adam.js';
export * from './schedules.js';
export { clipGradNorm } from './clip.js';
