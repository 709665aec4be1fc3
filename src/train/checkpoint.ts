/**
 * Checkpoints as safetensors with PyTorch names and layouts. `model.safetensors` holds only the
 * model's state dict (loads in PyTorch with `load_state_dict`) and, in its metadata, the
 * architecture (and, from a training run, its configuration); a plain PyTorch state_dict loads when
 * the caller names the architecture; `training-state.safetensors` holds the
 * optimizer state and the position in the run for an exact --resume.
 */
import type { Backend } from '../core/backend.js';
import type { DType } from '../core/dtype.js';
import type { Tensor } from '../core/tensor.js';
import { tensor } from '../ops/creation.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '../io/safetensors.js';
import type { Classifier } from '../models/classifier.js';
import { ARCHITECTURE_KEY, architectureOf, buildModel, resolveArchitecture, type Architecture } from '../models/architecture.js';
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

/** The model state dict as safetensors bytes, with its architecture (and `metadata`) in the metadata. */
export async function encodeModel(model: Classifier, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const entries: Record<string, SafetensorsTensor> = {};
  for (const [k, t] of model.stateDict()) entries[k] = await toSafetensors(k, t);
  return encodeSafetensors(entries, { format: 'pt', [ARCHITECTURE_KEY]: JSON.stringify(architectureOf(model)), ...metadata });
}

export interface LoadedModel {
  model: Classifier;
  /** the training run's configuration (empty fields for files not written by a run), with the architecture's model, featureDim and loss */
  config: Partial<TrainConfig>;
  architecture: Architecture;
  metadata: Record<string, string>;
}

export interface DecodeModelOptions {
  /** the architecture, for files that do not carry it (a PyTorch state_dict); where they do, it must agree */
  architecture?: Partial<Architecture>;
}

function parseJson<T>(source: string, key: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${source}: ${key} metadata is not valid JSON (${(e as Error).message})`);
  }
}

/** The architecture a checkpoint's metadata records (older files: derived from gmgrad_config). */
function storedArchitecture(source: string, metadata: Record<string, string>, config: Partial<TrainConfig>): Partial<Architecture> {
  if (metadata[ARCHITECTURE_KEY]) return parseJson<Partial<Architecture>>(source, ARCHITECTURE_KEY, metadata[ARCHITECTURE_KEY]);
  if (!metadata.gmgrad_config) return {};
  return {
    model: config.model, featureDim: config.featureDim ?? 2, head: config.loss ?? 'gm',
    alpha: config.alpha, lambda: config.lambda, likelihood: config.likelihood, diagonal: config.diagonal,
    inputShape: parseJson<number[]>(source, 'gmgrad_input_shape', metadata.gmgrad_input_shape ?? '[1, 28, 28]'),
    numClasses: Number(metadata.gmgrad_num_classes ?? 10),
  };
}

/**
 * Rebuild a model from safetensors bytes: written by encodeModel (the metadata names the
 * architecture), or a plain PyTorch state_dict with PyTorch names when `options.architecture` names it.
 */
export function decodeModel(bytes: Uint8Array, backend: Backend, source = 'checkpoint', options: DecodeModelOptions = {}): LoadedModel {
  const { tensors, metadata } = decodeSafetensors(bytes, { source });
  const stored: Partial<TrainConfig> = metadata.gmgrad_config ? parseJson(source, 'gmgrad_config', metadata.gmgrad_config) : {};
  const shapes = Object.fromEntries(Object.entries(tensors).map(([k, e]) => [k, e.shape]));
  const architecture = resolveArchitecture(source, storedArchitecture(source, metadata, stored), options.architecture ?? {}, shapes);
  const model = buildModel(architecture, backend);
  const config: Partial<TrainConfig> = { ...stored, model: architecture.model, featureDim: architecture.featureDim, loss: architecture.head };
  const state = new Map<string, Tensor>();
  for (const [k, e] of Object.entries(tensors)) state.set(k, fromSafetensors(e, k));
  try {
    model.loadStateDict(state);
  } catch (e) {
    model.dispose();
    const a = architecture;
    throw new Error(`${source}: does not fit ${a.model} with ${a.featureDim}-d features and a ${a.head} head: ${(e as Error).message}`);
  } finally {
    for (const t of state.values()) t.dispose();
  }
  return { model, config, architecture, metadata };
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
