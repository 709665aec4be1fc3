/** Scales (data → pixels) and "nice" tick positions, linear and logarithmic. */

export interface Scale {
  (v: number): number;
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
  readonly log: boolean;
  ticks(count?: number): number[];
}

/** A linear map of [d0, d1] onto [r0, r1]; a zero-width domain maps to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain, [r0, r1] = range;
  const span = d1 - d0;
  const f = ((v: number) => (span === 0 ? (r0 + r1) / 2 : r0 + ((v - d0) / span) * (r1 - r0))) as Scale;
  return Object.assign(f, { domain, range, log: false, ticks: (count = 5) => niceTicks(d0, d1, count) });
}

/** A base-10 logarithmic map; the domain must be positive. */
export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain, [r0, r1] = range;
  if (!(d0 > 0 && d1 > 0)) throw new Error(`logScale: domain must be positive, got [${d0}, ${d1}]`);
  const l0 = Math.log10(d0), l1 = Math.log10(d1);
  const span = l1 - l0;
  const f = ((v: number) => {
    const l = Math.log10(Math.max(v, Number.MIN_VALUE));
    return span === 0 ? (r0 + r1) / 2 : r0 + ((l - l0) / span) * (r1 - r0);
  }) as Scale;
  return Object.assign(f, { domain, range, log: true, ticks: (count = 5) => logTicks(d0, d1, count) });
}

/** The tick step 1, 2 or 5 × 10^k that splits [lo, hi] into about `count` intervals. */
export function niceStep(lo: number, hi: number, count = 5): number {
  const raw = Math.abs(hi - lo) / Math.max(1, count);
  if (raw === 0 || !Number.isFinite(raw)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m >= 7.5 ? 10 : m >= 3.5 ? 5 : m >= 1.5 ? 2 : 1) * p;
}

/** Ticks at multiples of a nice step that fall inside [lo, hi] (ends included within rounding). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) return [lo];
  const step = niceStep(lo, hi, count);
  const first = Math.ceil(lo / step - 1e-9), last = Math.floor(hi / step + 1e-9);
  const out: number[] = [];
  // multiply instead of accumulating so 0.1 + 0.2 style drift never shows up in labels
  for (let i = first; i <= last; i++) out.push(Number((i * step).toPrecision(12)));
  return out;
}

/** Widen [lo, hi] outwards to the nearest nice ticks, so axes start and end on a label. */
export function niceDomain(lo: number, hi: number, count = 5): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (lo === hi) return lo === 0 ? [-1, 1] : [lo - Math.abs(lo) * 0.1, hi + Math.abs(hi) * 0.1];
  const step = niceStep(lo, hi, count);
  return [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
}

/** Powers of ten inside [lo, hi]; with fewer than three decades also 2× and 5× marks. */
export function logTicks(lo: number, hi: number, count = 5): number[] {
  if (lo > hi) [lo, hi] = [hi, lo];
  const e0 = Math.floor(Math.log10(lo)), e1 = Math.ceil(Math.log10(hi));
  const decades = e1 - e0;
  const mults = Math.log10(hi / lo) <= 2 ? [1, 2, 5] : [1];
  const stride = Math.max(1, Math.ceil((decades + 1) / Math.max(2, count + 2)));
  const out: number[] = [];
  for (let e = e0; e <= e1; e++) {
    if ((e - e0) % stride !== 0) continue;
    for (const m of mults) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
    }
  }
  return out.length > 0 ? out : [lo, hi];
}

/** Min and max of the finite values (and of `extra`), or null when there are none. */
export function extent(values: Iterable<number>, extra: number[] = []): [number, number] | null {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  for (const v of extra) if (Number.isFinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return lo <= hi ? [lo, hi] : null;
}
