/**
 * A one-line progress bar (redrawn in place on a TTY, throttled lines otherwise). Platform-neutral:
 * it writes to any stream with `write`, by default Node's stderr when there is one, and reads the
 * time from an injectable clock so that tests can drive it.
 */

export interface ProgressFields {
  [key: string]: string | number;
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressBarOptions {
  /** where lines go (default: process.stderr in Node, nowhere in a browser); null: nowhere */
  stream?: ProgressStream | null;
  /** milliseconds, monotonic (default performance.now) */
  now?: () => number;
}

export function formatClock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const m = Math.floor(seconds / 60), sec = Math.floor(seconds % 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

function defaultStream(): ProgressStream | null {
  const proc = (globalThis as { process?: { stderr?: ProgressStream } }).process;
  return proc?.stderr ?? null;
}

export class ProgressBar {
  readonly #now: () => number;
  readonly #start: number;
  #last = Number.NEGATIVE_INFINITY;
  readonly #tty: boolean;
  readonly #stream: ProgressStream | null;

  /** the third argument: options, or just the stream (null: nowhere; undefined: the default) */
  constructor(readonly label: string, readonly total: number, options: ProgressBarOptions | ProgressStream | null = {}) {
    const o: ProgressBarOptions = options === null ? { stream: null } : 'write' in options ? { stream: options } : options;
    this.#stream = o.stream === undefined ? defaultStream() : o.stream;
    this.#tty = Boolean(this.#stream?.isTTY);
    this.#now = o.now ?? (() => performance.now());
    this.#start = this.#now();
  }

  /** seconds since the bar was created */
  get elapsed(): number {
    return (this.#now() - this.#start) / 1000;
  }

  update(done: number, fields: ProgressFields = {}, force = false): void {
    this.#draw(done, fields, force, null);
  }

  /**
   * The bar at 100 %. `seconds` replaces the measured elapsed time when the caller timed the work
   * itself (the evaluation's own measurement, so the bar and results.json agree).
   */
  done(fields: ProgressFields = {}, seconds?: number): void {
    this.#draw(this.total, fields, true, seconds ?? null);
    if (this.#tty) this.#stream?.write('\n');
  }

  #draw(done: number, fields: ProgressFields, force: boolean, finalSeconds: number | null): void {
    if (!this.#stream) return;
    const now = this.#now();
    const interval = this.#tty ? 100 : 10_000;
    if (!force && now - this.#last < interval) return;
    this.#last = now;
    const elapsed = finalSeconds ?? (now - this.#start) / 1000;
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const eta = frac > 0 ? elapsed * (1 - frac) / frac : Infinity;
    const extra = Object.entries(fields).map(([k, v]) => `${k} ${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(4)) : v}`).join('  ');
    const time = finalSeconds !== null || frac >= 1 || frac === 0 ? formatClock(elapsed) : `${formatClock(elapsed)}<${formatClock(eta)}`;
    const line = `${this.label} ${bar} ${done}/${this.total}  ${extra ? `${extra}  ` : ''}${time}`;
    this.#stream.write(this.#tty ? `\r\x1b[2K${line}` : `${line}\n`);
  }
}
