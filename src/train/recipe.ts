/**
 * Training recipes: a named, cited TrainConfig fragment (the files in `recipes/`). A run starts
 * from the recipe and may change any setting flag by flag, except the ones that define the
 * experiment (dataset, network, feature dimension, head): changing those is a different recipe.
 */
import { checkValue, type ValueRule } from '../core/value-rules.js';
import { checkNormalization, CONFIG_RULES, defaultConfig, type TrainConfig } from './config.js';

export interface Recipe {
  name: string;
  title: string;
  /** true: the authors' full recipe (the reproduction reference); false: a shortened variant */
  reference: boolean;
  /** a shortened variant: the reference recipe it compresses */
  shortens?: string;
  /** where every setting comes from (files and lines of the authors' code, papers) */
  sources: string[];
  /** the authors' number for this experiment and how they measured it */
  authors?: { accuracy: number; note: string };
  notes?: string[];
  config: Partial<TrainConfig>;
}

export class RecipeError extends Error {
  override name = 'RecipeError';
}

/** The settings that make the experiment what it is; a flag may repeat them, not change them. */
export const DEFINING_FIELDS = ['dataset', 'model', 'featureDim', 'loss'] as const;

/** Machine- and run-specific settings a recipe must not fix. */
const RUN_FIELDS = new Set<keyof TrainConfig>(['backend', 'threads', 'limit', 'testLimit', 'dataDir', 'out', 'recipe']);

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Check a parsed recipe file; `source` names it in errors. */
export function validateRecipe(value: unknown, source: string): Recipe {
  const r = value as Recipe;
  if (typeof value !== 'object' || value === null) throw new RecipeError(`${source}: a recipe is a JSON object, got ${kind(value)}`);
  for (const [k, t] of [['name', 'string'], ['title', 'string'], ['reference', 'boolean'], ['sources', 'array'], ['config', 'object']] as const) {
    if (kind((r as unknown as Record<string, unknown>)[k]) !== t) throw new RecipeError(`${source}: '${k}' must be a ${t}, got ${kind((r as unknown as Record<string, unknown>)[k])}`);
  }
  if (r.sources.length === 0 || !r.sources.every((s) => typeof s === 'string' && s.length > 0)) throw new RecipeError(`${source}: 'sources' must cite at least one source`);
  if (!r.reference && typeof r.shortens !== 'string') throw new RecipeError(`${source}: a recipe that is not the reference must name the one it shortens ('shortens')`);
  for (const f of DEFINING_FIELDS) if (r.config[f] === undefined) throw new RecipeError(`${source}: config.${f} is required`);
  const rules = CONFIG_RULES as Record<string, ValueRule>;
  for (const [k, v] of Object.entries(r.config)) {
    const key = k as keyof TrainConfig;
    if (RUN_FIELDS.has(key)) throw new RecipeError(`${source}: config.${k} belongs to a run, not a recipe (set it with a flag)`);
    if (!(k in rules) && key !== 'normalize') throw new RecipeError(`${source}: config.${k} is not a training setting (known: ${[...Object.keys(rules), 'normalize'].filter((x) => !RUN_FIELDS.has(x as keyof TrainConfig)).join(', ')})`);
    try {
      if (key === 'normalize') checkNormalization(`${source}: config.normalize`, v);
      else checkValue(`${source}: config.${k}`, rules[k]!, v);
    } catch (e) {
      throw new RecipeError((e as Error).message);
    }
  }
  return r;
}

/** The run config a recipe describes (gmgrad's base settings under the recipe's). */
export function configFromRecipe(r: Recipe): TrainConfig {
  return { ...defaultConfig(r.config.dataset), ...r.config, recipe: r.name, out: `runs/${r.name}` };
}

/** Throw if a flag changes a defining setting of the recipe (repeating it is fine). */
export function checkOverrides(r: Recipe, overrides: Partial<TrainConfig>, flagOf: (field: string) => string): void {
  for (const f of DEFINING_FIELDS) {
    const v = overrides[f];
    if (v === undefined || v === r.config[f]) continue;
    throw new RecipeError(`${flagOf(f)} ${String(v)} contradicts recipe '${r.name}' (${f} ${String(r.config[f])}): a recipe fixes the dataset, network, feature dimension and head; pick another recipe, or leave out --recipe to set them freely`);
  }
}
