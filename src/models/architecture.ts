/**
 * A classifier's architecture as plain data: which zoo network, the feature dimension, the head and
 * its settings, the input shape and the number of classes. A checkpoint carries it in its metadata
 * so that `decodeModel` rebuilds the model; for a plain PyTorch state_dict (no metadata) the caller
 * names it (`gmgrad eval --model NAME --feature-dim D --head gm|softmax`), and what the tensors
 * themselves say (the head's shape, its kind, a diagonal covariance) fills in and checks the rest.
 */
import type { Backend, GMLikelihood } from '../core/backend.js';
import { GMHead } from '../nn/gm-head.js';
import type { Classifier } from './classifier.js';
import { createModel, MODEL_NAMES, type ModelName } from './zoo.js';

export interface Architecture {
  model: ModelName;
  featureDim: number;
  head: 'gm' | 'softmax';
  numClasses: number;
  /** [C, H, W] */
  inputShape: number[];
  /** GM head settings (the loss's; prediction and detection do not depend on the margin and lambda) */
  margin?: number;
  lambda?: number;
  likelihood?: GMLikelihood;
  diagonal?: boolean;
}

/** The metadata key of the architecture in a checkpoint (JSON). */
export const ARCHITECTURE_KEY = 'gmgrad_architecture';

/** When neither the checkpoint nor the caller says: MNIST's shape. */
const DEFAULT_INPUT_SHAPE = [1, 28, 28];

export function architectureOf(model: Classifier): Architecture {
  const { model: name, featureDim, numClasses, inputShape } = model.meta;
  const arch: Architecture = { model: name as ModelName, featureDim, head: model.head instanceof GMHead ? 'gm' : 'softmax', numClasses, inputShape: [...inputShape] };
  if (model.head instanceof GMHead) {
    Object.assign(arch, { margin: model.head.margin, lambda: model.head.lambda, likelihood: model.head.likelihood, diagonal: model.head.diagonal });
  }
  return arch;
}

export function buildModel(arch: Architecture, backend?: Backend): Classifier {
  return createModel(arch.model, {
    head: arch.head, featureDim: arch.featureDim, numClasses: arch.numClasses, inputShape: arch.inputShape, backend,
    margin: arch.margin, lambda: arch.lambda, likelihood: arch.likelihood, diagonal: arch.diagonal,
  });
}

/** The shapes of a state dict, by key (enough to infer and check an architecture). */
export type ShapeMap = Record<string, readonly number[]>;

/** What the head's tensors say: GM (head.means [K, D], maybe head.log_var) or softmax (head.weight [K, D]). */
function fromHeadTensors(shapes: ShapeMap): Partial<Architecture> {
  const means = shapes['head.means'];
  if (means?.length === 2) return { head: 'gm', numClasses: means[0]!, featureDim: means[1]!, diagonal: 'head.log_var' in shapes };
  const weight = shapes['head.weight'];
  if (weight?.length === 2) return { head: 'softmax', numClasses: weight[0]!, featureDim: weight[1]! };
  return {};
}

const FIELD_FLAGS: Partial<Record<keyof Architecture, string>> = { model: '--model', featureDim: '--feature-dim', head: '--head' };

/**
 * The architecture to rebuild: the caller's (`asked`, e.g. from flags) over the checkpoint's
 * (`stored`), completed from the head's tensors; a disagreement between any two is an error that
 * names both values, and so is a missing network name.
 */
export function resolveArchitecture(source: string, stored: Partial<Architecture>, asked: Partial<Architecture>, shapes: ShapeMap): Architecture {
  const inferred = fromHeadTensors(shapes);
  const out: Partial<Architecture> = { ...inferred, ...stored };
  for (const [key, value] of Object.entries(asked) as [keyof Architecture, unknown][]) {
    if (value === undefined) continue;
    const had = out[key];
    if (had !== undefined && JSON.stringify(had) !== JSON.stringify(value)) {
      const by = key in stored && JSON.stringify(stored[key]) === JSON.stringify(had) ? 'the checkpoint\'s metadata says' : 'the checkpoint\'s tensors say';
      throw new Error(`${source}: ${FIELD_FLAGS[key] ?? key} ${String(value)} was asked for, but ${by} ${JSON.stringify(had)}`);
    }
    (out as Record<string, unknown>)[key] = value;
  }
  for (const key of ['head', 'numClasses', 'featureDim'] as const) {
    if (inferred[key] !== undefined && out[key] !== inferred[key]) {
      throw new Error(`${source}: the checkpoint's metadata says ${key} ${String(out[key])}, but its head tensors say ${String(inferred[key])}`);
    }
  }
  if (out.model === undefined || out.featureDim === undefined || out.head === undefined) {
    const missing = (['model', 'featureDim', 'head'] as const).filter((k) => out[k] === undefined).map((k) => FIELD_FLAGS[k]);
    throw new Error(`${source}: the checkpoint does not name its architecture (a plain PyTorch state_dict?): pass ${missing.join(', ')} ` +
      `(gmgrad eval / attack: --model NAME --feature-dim D --head gm|softmax; the library: decodeModel(bytes, backend, source, { architecture: { model, featureDim, head } }))`);
  }
  if (!MODEL_NAMES.includes(out.model)) throw new Error(`${source}: unknown model '${out.model}' (known: ${MODEL_NAMES.join(', ')})`);
  return { ...out, numClasses: out.numClasses ?? 10, inputShape: out.inputShape ?? DEFAULT_INPUT_SHAPE } as Architecture;
}
