/**
 * What the three benchmarks share: opening every selected implementation (each failure becomes
 * that column's "n/a (reason)"), running one cell per implementation and row with its own error
 * handling, checking that all implementations computed the same thing, and printing the table
 * with gmgrad/peer speed-ups beside the pairs.
 */
import { agreement } from './data.js';
import { openGmgrad, type GmgradImpl } from './gmgrad.js';
import { errorText, implInfo, PAIRS, type ImplId } from './impls.js';
import { renderTable, fmtSci, fmtSpeedup, type Column } from './table.js';
import { measure, yieldToEventLoop, type TimingOptions } from './timing.js';
import { openTfjs, type TfjsImpl } from './tfjs.js';
import { closeTorch, openTorch, type TorchImpl } from './torch.js';

export interface Opened {
  ids: ImplId[];
  gmgrad: Map<ImplId, GmgradImpl>;
  tfjs: Map<ImplId, TfjsImpl>;
  torch: Map<ImplId, TorchImpl>;
  unavailable: Map<ImplId, string>;
}

export async function openImpls(ids: readonly ImplId[]): Promise<Opened> {
  const o: Opened = { ids: [...ids], gmgrad: new Map(), tfjs: new Map(), torch: new Map(), unavailable: new Map() };
  for (const id of ids) {
    const side = implInfo(id).side;
    const r = side === 'gmgrad' ? await openGmgrad(id) : side === 'torch' ? openTorch(id) : await openTfjs(id);
    if (!r.ok) o.unavailable.set(id, r.reason);
    else if ('backend' in r) o.gmgrad.set(id, r);
    else if ('peer' in r) o.torch.set(id, r);
    else o.tfjs.set(id, r);
  }
  return o;
}

export function closeImpls(o: Opened): void {
  for (const g of o.gmgrad.values()) {
    try { g.dispose(); } catch { /* already stopped */ }
  }
  if (o.torch.size) closeTorch();
}

export function implLabel(o: Opened, id: ImplId): string {
  return o.gmgrad.get(id)?.label ?? o.tfjs.get(id)?.label ?? o.torch.get(id)?.label ?? id;
}

/** One implementation's result on one row. */
export interface Cell {
  impl: ImplId;
  status: 'ok' | 'na' | 'error';
  /** short text shown in the table after "n/a" */
  tag?: string;
  /** the full reason (notes, JSON) */
  reason?: string;
  /** what was actually run when it differs from the row (e.g. 'batch 8' on a software adapter) */
  variant?: string;
  ms?: number;
  runs?: number;
  firstMs?: number;
  /** one untimed-warm-up run only (it took longer than the cold-only limit) */
  cold?: boolean;
  /** GFLOPS (kernels) or images/s (training, attacks) */
  rate?: number;
  /** implementation-specific remark shown in the notes, e.g. the im2col weight gradient */
  remark?: string;
  /** outputs for the agreement check (dropped before the JSON is written) */
  outputs?: Float32Array[];
  /** relative max-abs difference against the row's reference */
  rel?: number;
  /** fraction of output values off by more than 1e-3 of the reference's scale */
  offFraction?: number;
  maxAbs?: number;
  reference?: ImplId;
  /** anything else worth keeping in the JSON */
  extra?: Record<string, unknown>;
}

export interface Row {
  id: string;
  label: string;
  cells: Cell[];
  /**
   * speed-ups measured side by side ('gmgrad/peer' → peer ms / gmgrad ms, the median over
   * alternating rounds); the table prints these instead of the ratio of the cells' medians
   */
  pairRatios?: Record<string, number>;
  /** the worst relative difference in the row and where */
  worstRel?: number;
  worstImpl?: ImplId;
  /** bound on the relative max-abs difference */
  tolerance: number;
  /**
   * when set, the row agrees if at most this fraction of values is off instead: gradients through
   * max-pooling differ where a near-tie picks another maximum (a handful of values, rightly)
   */
  fractionTolerance?: number;
}

export function naCell(impl: ImplId, tag: string, reason = tag): Cell {
  return { impl, status: 'na', tag, reason };
}

export function errorCell(impl: ImplId, e: unknown): Cell {
  return { impl, status: 'error', tag: 'error', reason: errorText(e) };
}

/**
 * Compare every cell's outputs with a reference of the same variant: a PyTorch or TF.js cell when
 * there is one (an independent implementation), otherwise the first gmgrad cell.
 */
export function checkAgreement(row: Row): void {
  const byVariant = new Map<string, Cell[]>();
  for (const c of row.cells) {
    if (c.status !== 'ok' || !c.outputs) continue;
    const k = c.variant ?? '';
    byVariant.set(k, [...(byVariant.get(k) ?? []), c]);
  }
  for (const cells of byVariant.values()) {
    const ref = cells.find((c) => implInfo(c.impl).side === 'torch') ?? cells.find((c) => implInfo(c.impl).side === 'tfjs') ?? cells[0]!;
    for (const c of cells) {
      if (c === ref) continue;
      try {
        const a = agreement(ref.outputs!, c.outputs!);
        c.rel = a.rel; c.maxAbs = a.maxAbs; c.offFraction = a.offFraction; c.reference = ref.impl;
        if (row.worstRel === undefined || !(severity(row, c) <= severity(row, row.cells.find((x) => x.impl === row.worstImpl)!))) {
          row.worstRel = a.rel; row.worstImpl = c.impl;
        }
      } catch (e) {
        c.rel = NaN; c.reference = ref.impl; c.maxAbs = NaN; c.offFraction = NaN;
        row.worstRel = NaN; row.worstImpl = c.impl;
        c.remark = `outputs not comparable: ${errorText(e)}`;
      }
    }
  }
  for (const c of row.cells) {
    // small outputs (training losses) are worth keeping in the JSON
    const n = c.outputs?.reduce((a, o) => a + o.length, 0) ?? 0;
    if (n > 0 && n <= 8) c.extra = { ...c.extra, outputs: c.outputs!.flatMap((o) => Array.from(o)) };
    delete c.outputs;
  }
}

/** how bad a cell's difference is, in the row's own criterion (larger: worse; NaN: worst) */
function severity(row: Row, c: Cell): number {
  const v = row.fractionTolerance !== undefined ? c.offFraction! / row.fractionTolerance : c.rel! / row.tolerance;
  return Number.isNaN(v) ? Infinity : v;
}

export function cellAgrees(row: Row, c: Cell): boolean {
  return c.rel === undefined || severity(row, c) <= 1;
}

export function rowAgrees(row: Row): boolean {
  return row.cells.every((c) => cellAgrees(row, c));
}

/** the agreement column: 'ok 3.1e-7', or with a fraction criterion 'ok 0.01% off (max 2.0e-2)' */
export function agreementText(row: Row, c: Cell): string {
  const ok = cellAgrees(row, c) ? 'ok' : 'MISMATCH';
  const who = cellAgrees(row, c) ? '' : ` (${c.impl} vs ${c.reference})`;
  if (row.fractionTolerance === undefined) return `${ok} ${fmtSci(c.rel!)}${who}`;
  return `${ok} ${(100 * c.offFraction!).toPrecision(2)}% off, max ${fmtSci(c.rel!)}${who}`;
}

export interface TableSpec {
  rowTitle: string;
  /** the unit line under each implementation's column */
  unit: string;
  /** the text of an ok cell */
  format(c: Cell): string;
}

/** The notes' categories: each (implementation, category) is explained once. */
const NA_EXPLAINED: Record<string, string> = {
  'sw adapter': 'skipped on a software WebGPU adapter (too much work for a CPU rasteriser)',
};

/**
 * One table per hardware family (CPU, WebAssembly, WebGPU): row | gmgrad impl(s) | peer |
 * speed-up(s) | agreement of that family's cells. Cells not run print "n/a (tag)"; the notes
 * under each table explain every tag once.
 */
export function renderRows(o: Opened, rows: readonly Row[], spec: TableSpec): string {
  const sections: string[] = [];
  const titles = { cpu: 'CPU: TypeScript reference vs tfjs-cpu', wasm: 'WebAssembly (and native CPU peers)', webgpu: 'WebGPU' } as const;
  for (const family of ['cpu', 'wasm', 'webgpu'] as const) {
    const ids = o.ids.filter((id) => implInfo(id).family === family);
    if (!ids.length) continue;
    const pairs = PAIRS.filter(([g, p]) => ids.includes(g) && ids.includes(p));
    const columns: Column[] = [
      { title: spec.rowTitle, align: 'left' },
      ...ids.map((id) => ({ title: id, unit: spec.unit })),
      ...pairs.map(([g, p]) => ({ title: `${g}/${p.replace('tfjs-', 'tf.')}`, unit: 'speed-up' })),
      { title: 'agree', unit: 'max rel Δ', align: 'left' as const },
    ];
    const notes = new Map<string, string>();
    const variants = new Map<ImplId, string[]>();
    const note = (key: string, text: string) => { if (!notes.has(key)) notes.set(key, text); };
    const body = rows.map((row) => {
      const cellOf = (id: ImplId) => row.cells.find((c) => c.impl === id);
      const line = [row.label];
      for (const id of ids) {
        const c = cellOf(id);
        if (!c) { line.push(''); continue; }
        if (c.status === 'ok') {
          line.push(spec.format(c) + (c.variant ? '†' : '') + (c.remark ? '*' : '') + (c.cold ? '°' : ''));
          if (c.variant) variants.set(id, [...(variants.get(id) ?? []), `${row.label}: ${c.variant}`]);
          if (c.remark) note(`remark:${id}:${c.remark}`, `* ${id}: ${c.remark}`);
          if (c.cold) note('cold', '° one cold run only (the first run took longer than the cold-only limit): no warm-up');
        } else {
          line.push(`n/a (${c.tag})`);
          if (c.tag === 'unavailable') continue;
          if (c.status === 'error') note(`error:${id}:${c.reason}`, `n/a ${id} (error, first in ${row.label}): ${c.reason}`);
          else if (c.tag?.startsWith('est.')) note(`est:${id}`, `n/a (est. …) ${id}: ${c.reason}`);
          else note(`na:${id}:${c.tag}`, `n/a (${c.tag}) ${id}: ${NA_EXPLAINED[c.tag ?? ''] ?? c.reason}`);
        }
      }
      for (const [g, p] of pairs) {
        const a = cellOf(g), b = cellOf(p);
        const same = a?.status === 'ok' && b?.status === 'ok' && (a.variant ?? '') === (b.variant ?? '');
        const measured = row.pairRatios?.[`${g}/${p}`];
        line.push(!same ? '' : measured !== undefined ? fmtSpeedup(1, measured) : fmtSpeedup(a!.ms, b!.ms));
      }
      const checked = row.cells.filter((c) => ids.includes(c.impl) && c.rel !== undefined);
      if (!checked.length) line.push('—');
      else line.push(agreementText(row, checked.reduce((w, c) => (severity(row, c) > severity(row, w) ? c : w))));
      return line;
    });
    const list = ids.filter((id) => o.unavailable.has(id)).map((id) => `n/a (unavailable) ${id}: ${o.unavailable.get(id)}`);
    for (const [id, v] of variants) list.push(`† ${id} ran a smaller batch on the software adapter: ${v.join('; ')}`);
    list.push(...notes.values());
    const heading = `${titles[family]} — ${ids.map((id) => `${id} = ${implLabel(o, id)}`).join('; ')}`;
    sections.push([heading, '', renderTable(columns, body), ...(list.length ? ['', ...list.map((n) => `  ${n}`)] : [])].join('\n'));
  }
  return sections.join('\n\n');
}

/** cells without their outputs, for the JSON */
export function rowsForJson(rows: readonly Row[]): unknown[] {
  return rows.map((r) => ({ ...r, agrees: rowAgrees(r) }));
}

/**
 * A cell ready to time: run() includes its own synchronisation; outputs() computes once more and
 * reads everything back (it is the first, cold run).
 */
export interface Prepared {
  run(): Promise<void>;
  /** n runs timed by the implementation itself (a peer in another process), ms each */
  runTimed?(n: number): Promise<number[]>;
  outputs(): Promise<Float32Array[]>;
  dispose(): void;
  remark?: string;
  /** how many runs outputs() does (training: two steps, to check the loss after an update) */
  outputsRuns?: number;
  /** the work of one run when it differs from the row's (attacks: fewer steps on slow backends) */
  work?: number;
  /** extra facts for the notes and the JSON */
  extra?: Record<string, unknown>;
}

/**
 * Prepare; compute the outputs (the cold run, timed: when it exceeds timing.coldOnlyMs it is the
 * measurement); time warm runs; dispose. Any failure becomes an error cell. `work` is the amount
 * done by one run in the rate's unit (GFLOP for GFLOPS, images for images/s).
 */
export async function timeCell(impl: ImplId, prepare: () => Promise<Prepared>, timing: TimingOptions,
  work: number, variant?: string): Promise<Cell> {
  let p: Prepared | null = null;
  try {
    p = await prepare();
    const t0 = performance.now();
    const outputs = await p.outputs();
    const firstMs = performance.now() - t0;
    const cell: Cell = { impl, status: 'ok', firstMs, outputs };
    if (firstMs > timing.coldOnlyMs) {
      cell.ms = firstMs / (p.outputsRuns ?? 1); cell.runs = p.outputsRuns ?? 1; cell.cold = true;
    } else {
      const t = await measure(() => p!.run(), { ...timing, warmup: Math.max(0, timing.warmup - 1) });
      cell.ms = t.medianMs; cell.runs = t.runs;
    }
    cell.rate = (p.work ?? work) / (cell.ms / 1000);
    if (variant) cell.variant = variant;
    if (p.remark) cell.remark = p.remark;
    if (p.extra) cell.extra = p.extra;
    return cell;
  } catch (e) {
    return errorCell(impl, e);
  } finally {
    try { p?.dispose(); } catch { /* the error above is the one to report */ }
    await yieldToEventLoop();
  }
}
