/** The recipe files shipped with the package (`recipes/*.json`), read from disk in Node. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { RecipeError, validateRecipe, type Recipe } from '../recipe.js';

/** src/train/node or dist/train/node → the package root's recipes/ */
export const RECIPES_DIR = fileURLToPath(new URL('../../../recipes/', import.meta.url));

export function recipeNames(dir = RECIPES_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
}

/** Load and check recipe `name`; an unknown name lists the known ones. */
export function loadRecipe(name: string, dir = RECIPES_DIR): Recipe {
  const names = recipeNames(dir);
  if (!names.includes(name)) throw new RecipeError(`unknown recipe '${name}' (known: ${names.join(', ') || `none in ${dir}`})`);
  const path = join(dir, `${name}.json`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RecipeError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const r = validateRecipe(parsed, path);
  if (r.name !== name) throw new RecipeError(`${path}: the file is named '${name}' but the recipe calls itself '${r.name}'`);
  return r;
}
