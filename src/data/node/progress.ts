/**
 * A download progress display on stderr: on a terminal one line redrawn in place (bytes, %, speed),
 * elsewhere (logs, CI) a line at 25 % steps so the log stays short.
 */

export interface Progress {
  update(received: number, total: number | undefined): void;
  done(received: number): void;
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function formatLine(label: string, received: number, total: number | undefined, seconds: number): string {
  const speed = `${formatBytes(seconds > 0 ? received / seconds : 0)}/s`;
  if (!total) return `${label}  ${formatBytes(received)}  ${speed}`;
  const fraction = Math.min(1, received / total);
  const width = 24;
  const filled = Math.round(fraction * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  return `${label}  [${bar}]  ${formatBytes(received)} / ${formatBytes(total)}  ${(fraction * 100).toFixed(0).padStart(3)}%  ${speed}`;
}

export function createProgress(label: string, stream: ProgressStream = process.stderr, now: () => number = Date.now): Progress {
  const start = now();
  const tty = !!stream.isTTY;
  let lastDraw = 0;
  let lastQuarter = -1;
  return {
    update(received, total) {
      const t = now();
      if (tty) {
        if (t - lastDraw < 100) return;
        lastDraw = t;
        stream.write(`\r${formatLine(label, received, total, (t - start) / 1000)}\x1b[K`);
        return;
      }
      const quarter = total ? Math.floor((received / total) * 4) : -1;
      if (lastQuarter === -1 || (quarter > lastQuarter && quarter < 4)) {
        lastQuarter = Math.max(quarter, 0);
        stream.write(`${formatLine(label, received, total, (t - start) / 1000)}\n`);
      }
    },
    done(received) {
      const seconds = (now() - start) / 1000;
      const line = `${label}  ${formatBytes(received)} in ${seconds.toFixed(1)} s (${formatBytes(seconds > 0 ? received / seconds : received)}/s)`;
      stream.write(tty ? `\r${line}\x1b[K\n` : `${line}\n`);
    },
  };
}
