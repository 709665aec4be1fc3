/**
 * Side-by-side timing on a shared machine: every implementation of a row is prepared first, then
 * they take turns, round after round (the order reversed every other round), so that a burst of
 * load from elsewhere hits all of them alike. A cell's time is the median of its rounds; a
 * speed-up is the median over rounds of the ratio within the round.
 */
import { errorCell, type Cell, type Prepared } from './harness.js';
import type { ImplId } from './impls.js';
import { median } from './timing.js';

export interface AlternateOptions {
  rounds: number;
  /** runs per implementation and round (the round's figure is their median) */
  steps: number;
}

export interface Contender {
  id: ImplId;
  prepare(): Promise<Prepared>;
  /** the work of one run in the rate's unit */
  work: number;
}

/** cells in the contenders' order, and each one's per-round times (ms per run) */
export async function alternate(contenders: readonly Contender[], o: AlternateOptions): Promise<{ cells: Cell[]; rounds: Map<ImplId, number[]> }> {
  const cells = new Map<ImplId, Cell>();
  const ready: Array<{ id: ImplId; p: Prepared; work: number }> = [];
  const rounds = new Map<ImplId, number[]>();
  try {
    for (const c of contenders) {
      let p: Prepared | null = null;
      try {
        p = await c.prepare();
        const t0 = performance.now();
        const outputs = await p.outputs();
        cells.set(c.id, { impl: c.id, status: 'ok', firstMs: performance.now() - t0, outputs, remark: p.remark, extra: p.extra });
        ready.push({ id: c.id, p, work: c.work });
      } catch (e) {
        try { p?.dispose(); } catch { /* the error above is the one to report */ }
        cells.set(c.id, errorCell(c.id, e));
      }
    }
    for (const r of ready) await r.p.run(); // warm-up
    for (let round = 0; round < o.rounds; round++) {
      const order = round % 2 === 0 ? ready : [...ready].reverse();
      for (const r of order) {
        const ms = r.p.runTimed ? await r.p.runTimed(o.steps) : await timedRuns(r.p, o.steps);
        rounds.set(r.id, [...(rounds.get(r.id) ?? []), median(ms)]);
      }
    }
    for (const r of ready) {
      const cell = cells.get(r.id)!;
      const perRound = rounds.get(r.id) ?? [];
      cell.ms = median(perRound);
      cell.runs = perRound.length * o.steps;
      cell.rate = r.work / (cell.ms / 1000);
      cell.extra = { ...cell.extra, roundMs: perRound.map((v) => Number(v.toFixed(3))) };
    }
  } finally {
    for (const r of ready) {
      try { r.p.dispose(); } catch { /* nothing to add */ }
    }
  }
  return { cells: contenders.map((c) => cells.get(c.id)!), rounds };
}

async function timedRuns(p: Prepared, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await p.run();
    out.push(performance.now() - t);
  }
  return out;
}

/** peer ms / gmgrad ms within each round, median over the rounds both ran */
export function roundRatio(rounds: Map<ImplId, number[]>, gmgrad: ImplId, peer: ImplId): number | undefined {
  const a = rounds.get(gmgrad), b = rounds.get(peer);
  if (!a?.length || !b?.length) return undefined;
  const n = Math.min(a.length, b.length);
  return median(Array.from({ length: n }, (_, i) => b[i]! / a[i]!));
}
