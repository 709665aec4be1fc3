/**
 * Checkpoints as safetensors with PyTorch names and layouts. `model.safetensors` holds only the
 * model's state dict (loads in PyTorch with `load_state_dict`) and, in its metadata, the run
 * configuration needed to rebuild the architecture; `training-state.safetensors` holds the
 * optimizer state and the position in the run for an exact --resume.
 */
import type { Backend } from '../core/backend.js';
import type { DType } from '../core/dtype.js';
import type { Tensor } from '../core/tensor.js';
import { tensor } from '../ops/creation.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '../io/safetensors.js';
import type { Classifier } from '../models/classifier.js';
import { createModel, type ModelName } from '../models/zoo.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { TrainConfig } from './config.js';

/** PyTorch keeps these integer buffers in int64 */
const INT64_BUFFERS = /(^|\.)num_batches_tracked$/;

async function toSafetensors(name: string, t: Tensor): Promise<SafetensorsTensor> {
  const data = await t.data();
  if (t.dtype === 'int32') {
    if (INT64_BUFFERS.test(name)) return { dtype: 'I64', shape: [...t.shape], data: BigInt64Array.from(data as Int32Array, (v) => BigInt(v)) };
    return { dtype: 'I32', shape: [...t.shape], data };
  }
  return { dtype: t.dtype === 'float64' ? 'F64' : 'F32', shape: [...t.shape], data };
}

function fromSafetensors(entry: SafetensorsTensor, key: string, backend?: Backend): Tensor {
  const d = entry.data;
  let dtype: DType;
  let values: Float32Array | Float64Array | Int32Array;
  if (d instanceof Float32Array) { dtype = 'float32'; values = d; }
  else if (d instanceof Float64Array) { dtype = 'float64'; values = d; }
  else if (d instanceof Int32Array) { dtype = 'int32'; values = d; }
  else if (d instanceof BigInt64Array) {
    dtype = 'int32';
    values = Int32Array.from(d, (v) => {
      if (v > 2147483647n || v < -2147483648n) throw new Error(`checkpoint: '${key}' holds an int64 value ${v} outside the int32 range`);
      return Number(v);
    });
  } else {
    throw new Error(`checkpoint: '${key}' has dtype ${entry.dtype}, which gmgrad cannot load (F32, F64, F16, BF16, I32, I64 are supported)`);
  }
  return tensor(values, { shape: entry.shape, dtype, backend });
}

/** The model state dict as safetensors bytes, with the config in the metadata. */
export async function encodeModel(model: Classifier, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const entries: Record<string, SafetensorsTensor> = {};
  for (const [k, t] of model.stateDict()) entries[k] = await toSafetensors(k, t);
  return encodeSafetensors(entries, { format: 'pt', ...metadata });
}

export interface LoadedModel {
  model: Classifier;
  config: Partial<TrainConfig>;
  metadata: Record<string, string>;
}

/** Rebuild a model from checkpoint bytes written by encodeModel (the metadata names the architecture). */
export function decodeModel(bytes: Uint8Array, backend: Backend, source = 'checkpoint'): LoadedModel {
  const { tensors, metadata } = decodeSafetensors(bytes, { source });
  if (!metadata.gmgrad_config) {
    throw new Error(`${source}: no gmgrad_config in the safetensors metadata, so the architecture is unknown (was it written by gmgrad?). Build the model yourself and call model.loadStateDict().`);
  }
  let config: Partial<TrainConfig>;
  try {
    config = JSON.parse(metadata.gmgrad_config) as Partial<TrainConfig>;
  } catch (e) {
    throw new Error(`${source}: gmgrad_config metadata is not valid JSON (${(e as Error).message})`);
  }
  const inputShape = JSON.parse(metadata.gmgrad_input_shape ?? '[1, 28, 28]') as number[];
  const model = createModel(config.model as ModelName, {
    head: config.loss ?? 'gm', featureDim: config.featureDim ?? 2, inputShape, backend,
    margin: config.alpha, lambda: config.lambda, likelihood: config.likelihood, diagonal: config.diagonal,
    numClasses: Number(metadata.gmgrad_num_classes ?? 10),
  });
  const state = new Map<string, Tensor>();
  for (const [k, e] of Object.entries(tensors)) state.set(k, fromSafetensors(e, k));
  try {
    model.loadStateDict(state);
  } finally {
    for (const t of state.values()) t.dispose();
  }
  return { model, config, metadata };
}

export function modelMetadata(config: TrainConfig, model: Classifier, extra: Record<string, string> = {}): Record<string, string> {
  return {
    gmgrad_config: JSON.stringify(config),
    gmgrad_input_shape: JSON.stringify(model.meta.inputShape),
    gmgrad_num_classes: String(model.meta.numClasses),
    ...extra,
  };
}

/** Optimizer state + run position. */
export async function encodeTrainingState(optimizer: Optimizer<{ lr: number }>, position: { epoch: number; generatorOffset: number }): Promise<Uint8Array> {
  const sd = optimizer.stateDict();
  const entries: Record<string, SafetensorsTensor> = {};
  for (const [k, t] of sd.tensors) entries[k] = await toSafetensors(k, t);
  return encodeSafetensors(entries, {
    optimizer_step: String(sd.step),
    epoch: String(position.epoch),
    generator_offset: String(position.generatorOffset),
  });
}

export function decodeTrainingState(bytes: Uint8Array, optimizer: Optimizer<{ lr: number }>, source = 'training state'): { epoch: number; generatorOffset: number } {
  const { tensors, metadata } = decodeSafetensors(bytes, { source });
  const map = new Map<string, Tensor>();
  for (const [k, e] of Object.entries(tensors)) map.set(k, fromSafetensors(e, k));
  try {
    optimizer.loadStateDict({ step: Number(metadata.optimizer_step ?? 0), tensors: map }, (src, like) => tensor(src.dataSync(), { shape: like.shape, dtype: like.dtype, backend: like.backend }));
  } finally {
    for (const t of map.values()) t.dispose();
  }
  return { epoch: Number(metadata.epoch ?? 0), generatorOffset: Number(metadata.generator_offset ?? 0) };
}
