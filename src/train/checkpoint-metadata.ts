/**
 * The gmgrad metadata of a model checkpoint, checked before it is trusted: every key is parsed and
 * range-checked, and an error names the file, the key (and field) and what was found, instead of a
 * SyntaxError or a RangeError from deep inside model construction.
 */
import { GM_LIKELIHOODS as LIKELIHOODS } from '../core/kernel-contract.js';
import { MODEL_NAMES, type ModelName } from '../models/zoo.js';
import type { TrainConfig } from './config.js';

export interface ModelMetadata {
  config: Partial<TrainConfig> & { model: ModelName };
  inputShape: [number, number, number];
  numClasses: number;
}

function describe(v: unknown): string {
  return v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v);
}

function parseJson(source: string, key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: metadata '${key}' is not valid JSON (${(e as Error).message})`);
  }
}

/** The model description in a checkpoint's safetensors metadata (written by modelMetadata). */
export function parseModelMetadata(metadata: Record<string, string>, source: string): ModelMetadata {
  const raw = metadata.gmgrad_config;
  if (raw === undefined) {
    throw new Error(`${source}: no gmgrad_config in the safetensors metadata, so the architecture is unknown (was it written by gmgrad?). Build the model yourself and call model.loadStateDict().`);
  }
  const parsed = parseJson(source, 'gmgrad_config', raw);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${source}: metadata 'gmgrad_config' must be a JSON object, got ${describe(parsed)}`);
  }
  const config = parsed as Record<string, unknown>;
  const bad = (field: string, expected: string): never => {
    throw new Error(`${source}: metadata 'gmgrad_config' field '${field}' must be ${expected}, got ${describe(config[field])}`);
  };
  if (!MODEL_NAMES.includes(config.model as ModelName)) bad('model', `one of ${MODEL_NAMES.join(', ')}`);
  if (config.loss !== undefined && config.loss !== 'gm' && config.loss !== 'softmax') bad('loss', "'gm' or 'softmax'");
  if (config.featureDim !== undefined && !(Number.isSafeInteger(config.featureDim) && (config.featureDim as number) >= 1)) bad('featureDim', 'a positive integer');
  for (const f of ['alpha', 'lambda']) {
    if (config[f] !== undefined && !(typeof config[f] === 'number' && Number.isFinite(config[f]) && (config[f] as number) >= 0)) bad(f, 'a finite number >= 0');
  }
  if (config.likelihood !== undefined && !(LIKELIHOODS as readonly string[]).includes(config.likelihood as string)) bad('likelihood', `one of ${LIKELIHOODS.join(', ')}`);
  if (config.diagonal !== undefined && typeof config.diagonal !== 'boolean') bad('diagonal', 'true or false');

  const shapeText = metadata.gmgrad_input_shape ?? '[1, 28, 28]';
  const inputShape = parseJson(source, 'gmgrad_input_shape', shapeText);
  if (!Array.isArray(inputShape) || inputShape.length !== 3 || inputShape.some((d) => !Number.isSafeInteger(d) || d < 1 || d > 65536)) {
    throw new Error(`${source}: metadata 'gmgrad_input_shape' must be [channels, height, width] of positive integers, got ${shapeText}`);
  }
  const classesText = metadata.gmgrad_num_classes ?? '10';
  const numClasses = Number(classesText);
  if (!/^\d+$/.test(classesText) || !Number.isSafeInteger(numClasses) || numClasses < 2 || numClasses > 100_000) {
    throw new Error(`${source}: metadata 'gmgrad_num_classes' must be an integer from 2 to 100000, got '${classesText}'`);
  }
  return { config: config as ModelMetadata['config'], inputShape: inputShape as [number, number, number], numClasses };
}
