#!/usr/bin/env node
/**
 * Two structural rules of the source tree, checked by test/structure.test.ts and runnable by hand
 * (`node scripts/check-structure.mjs`, exit status 1 on a violation):
 *
 * - no import cycle in src/: the graph of static imports that exist at run time (`import type`,
 *   `export type` and imports whose every name is a type are erased; `await import()` is lazy)
 *   has no strongly connected component of more than one file, and no file imports itself;
 * - no source file over MAX_LINES lines in the folders of LINE_LIMITED.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const MAX_LINES = 400;

/** the folders held to MAX_LINES lines per file */
export const LINE_LIMITED = ['src/core', 'src/ops', 'src/backends', 'test/backends', 'test/ops', 'test/helpers', 'test/kernels'];
// to bring under the limit (other work is under way in them): src/attacks, src/cli, src/data, src/detect,
// src/eval, src/io, src/models, src/nn, src/optim, src/report, src/train, the rest of test/, bench/

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The relative modules a file imports at run time, resolved to .ts paths. */
function runtimeImports(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
  const targets = [];
  for (const st of source.statements) {
    let spec = null;
    if (ts.isImportDeclaration(st)) {
      const clause = st.importClause;
      const typeOnly = clause?.isTypeOnly
        || (clause && !clause.name && clause.namedBindings && ts.isNamedImports(clause.namedBindings)
          && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) spec = st.moduleSpecifier;
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier) {
      const typeOnly = st.isTypeOnly
        || (st.exportClause && ts.isNamedExports(st.exportClause) && st.exportClause.elements.length > 0
          && st.exportClause.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) spec = st.moduleSpecifier;
    }
    if (spec && ts.isStringLiteral(spec) && spec.text.startsWith('.')) {
      targets.push(resolve(dirname(file), spec.text).replace(/\.js$/, '.ts'));
    }
  }
  return targets;
}

/** Strongly connected components of more than one file, and self-imports (Tarjan). */
export function importCycles(root = ROOT) {
  const files = walk(join(root, 'src'));
  const graph = new Map(files.map((f) => [f, runtimeImports(f)]));
  const index = new Map(), low = new Map(), onStack = new Set(), stack = [], cycles = [];
  let counter = 0;
  const visit = (v) => {
    index.set(v, counter); low.set(v, counter); counter++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do { w = stack.pop(); onStack.delete(w); component.push(w); } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.map((f) => relative(root, f)).sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return cycles;
}

/** Files over MAX_LINES lines in the LINE_LIMITED folders, with their line counts. */
export function longFiles(root = ROOT) {
  const out = [];
  for (const folder of LINE_LIMITED) {
    let files = [];
    try { files = walk(join(root, folder)); } catch { continue; }
    for (const f of files) {
      const lines = readFileSync(f, 'utf8').split('\n').length - 1;
      if (lines > MAX_LINES && !f.endsWith('.generated.ts')) out.push({ file: relative(root, f), lines });
    }
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const cycles = importCycles(), long = longFiles();
  for (const c of cycles) console.log(`import cycle across ${c.length} file(s): ${c.join(' → ')}`);
  for (const { file, lines } of long) console.log(`${file}: ${lines} lines (limit ${MAX_LINES})`);
  if (cycles.length === 0 && long.length === 0) console.log('structure: no import cycle, no file over the line limit');
  process.exit(cycles.length || long.length ? 1 : 0);
}
