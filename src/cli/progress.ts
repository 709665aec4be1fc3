/** A one-line progress bar on stderr (redrawn in place on a TTY, throttled lines otherwise). */

export interface ProgressFields {
  [key: string]: string | number;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60), sec = Math.floor(s % 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

export class ProgressBar {
  readonly #start = performance.now();
  #last = 0;
  readonly #tty: boolean;
  readonly #stream: { write(s: string): unknown; isTTY?: boolean } | null;

  constructor(readonly label: string, readonly total: number, stream?: { write(s: string): unknown; isTTY?: boolean } | null) {
    const s = stream === undefined ? (typeof process !== 'undefined' ? process.stderr : null) : stream;
    this.#stream = s;
    this.#tty = Boolean(s?.isTTY);
  }

  update(done: number, fields: ProgressFields = {}, force = false): void {
    if (!this.#stream) return;
    const now = performance.now();
    const interval = this.#tty ? 100 : 10_000;
    if (!force && now - this.#last < interval && done < this.total) return;
    this.#last = now;
    const elapsed = (now - this.#start) / 1000;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const eta = frac > 0 ? elapsed * (1 - frac) / frac : Infinity;
    const extra = Object.entries(fields).map(([k, v]) => `${k} ${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(4)) : v}`).join('  ');
    const line = `${this.label} ${bar} ${done}/${this.total}  ${extra}  ${fmtTime(elapsed)}<${fmtTime(eta)}`;
    this.#stream.write(this.#tty ? `\r\x1b[2K${line}` : `${line}\n`);
  }

  done(fields: ProgressFields = {}): void {
    this.update(this.total, fields, true);
    if (this.#tty) this.#stream?.write('\n');
  }
}
