/**
 * Timing: warm-up runs (shader compilation, scratch growth, JIT), then timed runs until either
 * `maxRuns` are done or the budget is spent with at least `minRuns`; the figure is the median.
 * Each run must include its own synchronisation (a tiny readback on GPU backends), so the clock
 * stops when the result exists, not when the work was queued.
 */
export interface TimingOptions {
  warmup: number;
  minRuns: number;
  maxRuns: number;
  /** milliseconds of timed runs per cell */
  budgetMs: number;
  /**
   * a first run longer than this is the whole measurement (nothing is repeated): slow reference
   * kernels would otherwise eat the time budget of the entire suite
   */
  coldOnlyMs: number;
}

export interface Timing {
  medianMs: number;
  minMs: number;
  runs: number;
}

/** `warmup` untimed runs (fewer when one already exceeds the budget), then the timed ones */
export async function measure(run: () => Promise<void>, o: Omit<TimingOptions, 'coldOnlyMs'>): Promise<Timing> {
  for (let i = 0; i < o.warmup; i++) {
    const t = performance.now();
    await run();
    if (performance.now() - t > o.budgetMs) break;
  }
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < o.maxRuns) {
    const t = performance.now();
    await run();
    samples.push(performance.now() - t);
    if (samples.length >= o.minRuns && performance.now() - start >= o.budgetMs) break;
    // a single run bigger than the budget: one timed run is all we can afford
    if (samples[0]! > o.budgetMs) break;
  }
  return { medianMs: median(samples), minMs: Math.min(...samples), runs: samples.length };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** let pending I/O (Dawn callbacks, worker messages) run between cells */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
