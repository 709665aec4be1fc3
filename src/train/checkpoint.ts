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
import { decodeSafetensors, encodeSafetensors, type BytesLike, type SafetensorsTensor } from '../io/safetensors.js';
import type { Classifier } from '../models/classifier.js';
import { ARCHITECTURE_KEY, architectureOf, buildModel, resolveArchitecture, type Architecture } from '../models/architecture.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { TrainConfig } from './config.js';
import { parseModelMetadata } from './checkpoint-metadata.js';

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

/** The first NaN or ±Inf of a float array, as "element i is v", or null. */
export function firstNonFinite(values: ArrayLike<number>): string | null {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return `element ${i} is ${values[i]}`;
  return null;
}

function fromSafetensors(entry: SafetensorsTensor, key: string, backend?: Backend, requireFinite = false): Tensor {
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
  const bad = requireFinite && dtype !== 'int32' ? firstNonFinite(values) : null;
  if (bad) throw new Error(`tensor '${key}' is not finite (${bad}); the model is unusable (was it saved after training diverged?)`);
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
  /** accept NaN/Inf weights (default false: such a checkpoint is refused, naming the tensor) */
  allowNonFinite?: boolean;
}

/**
 * The architecture (and the run's configuration) a checkpoint's metadata records: a training run's
 * checked gmgrad_config first; else the gmgrad_architecture every encodeModel writes.
 */
function storedArchitecture(source: string, metadata: Record<string, string>): { stored: Partial<Architecture>; config: Partial<TrainConfig> } {
  const config = metadata.gmgrad_config !== undefined ? parseModelMetadata(metadata, source) : null;
  if (!config && metadata[ARCHITECTURE_KEY] !== undefined) {
    let arch: unknown;
    try { arch = JSON.parse(metadata[ARCHITECTURE_KEY]); } catch (e) {
      throw new Error(`${source}: metadata '${ARCHITECTURE_KEY}' is not valid JSON (${(e as Error).message})`);
    }
    if (typeof arch !== 'object' || arch === null || Array.isArray(arch)) throw new Error(`${source}: metadata '${ARCHITECTURE_KEY}' must be a JSON object, got ${metadata[ARCHITECTURE_KEY]}`);
    return { stored: arch as Partial<Architecture>, config: {} };
  }
  if (!config) return { stored: {}, config: {} };
  const c = config.config;
  return {
    stored: {
      model: c.model, featureDim: c.featureDim ?? 2, head: c.loss ?? 'gm', margin: c.alpha, lambda: c.lambda,
      likelihood: c.likelihood, diagonal: c.diagonal, inputShape: config.inputShape, numClasses: config.numClasses,
    },
    config: c,
  };
}

/**
 * Rebuild a model from safetensors bytes: written by encodeModel (the metadata names the
 * architecture), or a plain PyTorch state_dict with PyTorch names when `options.architecture` names it.
 */
export function decodeModel(bytes: BytesLike, backend: Backend, source = 'checkpoint', options: DecodeModelOptions = {}): LoadedModel {
  const { tensors, metadata } = decodeSafetensors(bytes, { source });
  const { stored, config: runConfig } = storedArchitecture(source, metadata);
  const shapes = Object.fromEntries(Object.entries(tensors).map(([k, e]) => [k, e.shape]));
  const architecture = resolveArchitecture(source, stored, options.architecture ?? {}, shapes);
  const config: Partial<TrainConfig> = { ...runConfig, model: architecture.model, featureDim: architecture.featureDim, loss: architecture.head };
  const state = new Map<string, Tensor>();
  let model: Classifier | null = null;
  try {
    model = buildModel(architecture, backend);
    for (const [k, e] of Object.entries(tensors)) state.set(k, fromSafetensors(e, k, backend, !options.allowNonFinite));
    model.loadStateDict(state);
  } catch (e) {
    model?.dispose();
    const message = (e as Error).message.replace(/^checkpoint: /, '');
    const a = architecture;
    if (message.startsWith('loadStateDict')) throw new Error(`${source}: does not fit ${a.model} with ${a.featureDim}-d features and a ${a.head} head: ${message}`);
    throw new Error(message.startsWith(source) ? message : `${source}: ${message}`);
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

export interface RunPosition {
  /** epochs completed */
  epoch: number;
  /** words drawn from the default generator so far */
  generatorOffset: number;
}

/** Optimizer state + run position. */
export async function encodeTrainingState(optimizer: Optimizer<{ lr: number }>, position: RunPosition, optimizerName = ''): Promise<Uint8Array> {
  const sd = optimizer.stateDict();
  const entries: Record<string, SafetensorsTensor> = {};
  for (const [k, t] of sd.tensors) entries[k] = await toSafetensors(k, t);
  return encodeSafetensors(entries, {
    optimizer: optimizerName,
    optimizer_step: String(sd.step),
    epoch: String(position.epoch),
    generator_offset: String(position.generatorOffset),
  });
}

function counter(metadata: Record<string, string>, key: string, source: string): number {
  const text = metadata[key];
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new Error(`${source}: metadata '${key}' must be a non-negative integer, got ${text === undefined ? 'nothing' : `'${text}'`}`);
  }
  return Number(text);
}

/** Load the optimizer state saved by encodeTrainingState; returns the run position. */
export function decodeTrainingState(bytes: BytesLike, optimizer: Optimizer<{ lr: number }>, source = 'training state', optimizerName?: string): RunPosition {
  const { tensors, metadata } = decodeSafetensors(bytes, { source });
  const step = counter(metadata, 'optimizer_step', source);
  const position = { epoch: counter(metadata, 'epoch', source), generatorOffset: counter(metadata, 'generator_offset', source) };
  if (optimizerName !== undefined && metadata.optimizer && metadata.optimizer !== optimizerName) {
    throw new Error(`${source}: holds the state of a '${metadata.optimizer}' optimizer, not '${optimizerName}'`);
  }
  const map = new Map<string, Tensor>();
  try {
    for (const [k, e] of Object.entries(tensors)) map.set(k, fromSafetensors(e, k, undefined, true));
    optimizer.loadStateDict({ step, tensors: map }, (src, like) => tensor(src.dataSync(), { shape: like.shape, dtype: like.dtype, backend: like.backend }));
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message}`);
  } finally {
    for (const t of map.values()) t.dispose();
  }
  return position;
}
