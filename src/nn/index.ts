export { Module } from './module.js';
export {
  Linear, Conv2d, BatchNorm2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, ReLU, PReLU, Normalize, Dropout, Flatten, Sequential,
  type LayerOptions, type Conv2dLayerOptions,
} from './layers.js';
export { GMHead, type GMHeadOptions } from './gm-head.js';
export * as initializers from './init.js';
