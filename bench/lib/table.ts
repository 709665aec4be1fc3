/**
 * Aligned plain-text tables: a header row, an optional unit row, a rule, then the body. Numbers
 * are right-aligned, text left-aligned; cells may be multi-part strings already formatted by the
 * helpers below so that every benchmark prints the same units the same way.
 */
export interface Column {
  title: string;
  /** printed under the title, e.g. 'ms · GFLOPS' */
  unit?: string;
  align?: 'left' | 'right';
}

export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const width = columns.map((c, i) => Math.max(
    visibleLength(c.title), visibleLength(c.unit ?? ''),
    ...rows.map((r) => visibleLength(r[i] ?? '')),
  ));
  const line = (cells: readonly string[]) => cells.map((cell, i) => {
    const pad = ' '.repeat(width[i]! - visibleLength(cell));
    return (columns[i]!.align ?? 'right') === 'left' ? cell + pad : pad + cell;
  }).join('  ').trimEnd();
  const out = [line(columns.map((c) => c.title))];
  if (columns.some((c) => c.unit)) out.push(line(columns.map((c) => c.unit ?? '')));
  out.push(width.map((w) => '─'.repeat(w)).join('  '));
  for (const r of rows) out.push(line(columns.map((_, i) => r[i] ?? '')));
  return out.join('\n');
}

/** string length as the terminal shows it (code points; the tables use no wide characters) */
function visibleLength(s: string): number {
  return [...s].length;
}

/** milliseconds with 3 significant digits (0.123, 12.3, 1234) */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

export function fmtRate(v: number): string {
  if (!Number.isFinite(v)) return '—';
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  if (v >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

/** speed-up of a over b from their times: b / a, printed ×1.23 (gmgrad faster when > 1) */
export function fmtSpeedup(gmgradMs: number | undefined, peerMs: number | undefined): string {
  if (gmgradMs === undefined || peerMs === undefined || !(gmgradMs > 0) || !(peerMs > 0)) return '';
  const r = peerMs / gmgradMs;
  return `×${r >= 10 ? r.toFixed(1) : r.toFixed(2)}`;
}

export function fmtSci(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  return v.toExponential(1);
}

/** A titled section: the title, a blank line, the table, then numbered notes. */
export function renderSection(title: string, table: string, notes: readonly string[]): string {
  const body = [title, '='.repeat([...title].length), '', table];
  if (notes.length) body.push('', ...notes.map((n) => `  ${n}`));
  return body.join('\n');
}
