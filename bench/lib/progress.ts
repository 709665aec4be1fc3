/** One stderr line per finished cell, so a long run shows where it is (the tables go to stdout). */
import type { Cell } from './harness.js';

export function reportCell(rowLabel: string, c: Cell, unit: string): void {
  const what = c.status === 'ok'
    ? `${c.ms!.toFixed(2)} ms${c.rate !== undefined ? `, ${c.rate.toPrecision(3)} ${unit}` : ''} (${c.runs} runs${c.variant ? `, ${c.variant}` : ''})`
    : `n/a (${c.reason})`;
  process.stderr.write(`  ${rowLabel} · ${c.impl}: ${what}\n`);
}
