/** Number formatting shared by charts and tables: short, stable, never "NaN" on the page. */

const DASH = '—';
/** narrow no-break space: keeps "98.7 %" on one line without looking spaced out */
export const NNBSP = '\u202f';

/** A compact human number: 3 significant digits, no trailing zeros, k/M for large, e-notation for tiny. */
export function formatNumber(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? DASH : v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  const sign = v < 0 ? '−' : '';
  if (a >= 1e6) return sign + trimZeros((a / 1e6).toPrecision(digits)) + 'M';
  if (a >= 1e4) return sign + trimZeros((a / 1e3).toPrecision(digits)) + 'k';
  if (a < 1e-3) {
    const [m, e] = a.toExponential(Math.max(0, digits - 2)).split('e');
    return `${sign}${trimZeros(m!)}e${e!.replace('+', '')}`;
  }
  if (a >= 10 ** digits) return sign + Math.round(a).toString();
  return sign + trimZeros(a.toPrecision(digits));
}

function trimZeros(s: string): string {
  return s.includes('.') && !s.includes('e') ? s.replace(/\.?0+$/, '') : s;
}

/** A fraction in [0, 1] as a percentage with a fixed number of decimals: 0.9871 → "98.7 %". */
export function formatPercent(fraction: number, decimals = 1): string {
  if (!Number.isFinite(fraction)) return DASH;
  return `${(100 * fraction).toFixed(decimals)}${NNBSP}%`;
}

/** A probability-like value with fixed decimals (AUROC): 0.98712 → "0.987". */
export function formatFixed(v: number, decimals = 3): string {
  return Number.isFinite(v) ? v.toFixed(decimals) : DASH;
}

/** Seconds as "850 ms", "12.3 s", "4 min 05 s", "1 h 02 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return DASH;
  if (seconds < 1) return `${Math.round(seconds * 1000)}${NNBSP}ms`;
  if (seconds < 60) return `${seconds.toPrecision(3)}${NNBSP}s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)}${NNBSP}min ${String(s % 60).padStart(2, '0')}${NNBSP}s`;
  return `${Math.floor(s / 3600)}${NNBSP}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}${NNBSP}min`;
}

/** Any configuration value as display text (arrays joined, objects as compact JSON). */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return DASH;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : formatNumber(v, 4);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.map(formatValue).join(', ');
  return JSON.stringify(v);
}
