/**
 * Crash testing: numbered points inside every durable write. With GMGRAD_FAULT_KILL_AT=N in the
 * environment the process SIGKILLs itself at the N-th point it reaches, and GMGRAD_FAULT_LOG=FILE
 * appends "N label" per point (to count them). Both unset (every real run): a no-op.
 */
import { appendFileSync } from 'node:fs';

let reached = 0;

export function faultPoint(label: string): void {
  const killAt = process.env.GMGRAD_FAULT_KILL_AT;
  const log = process.env.GMGRAD_FAULT_LOG;
  if (!killAt && !log) return;
  reached++;
  if (log) appendFileSync(log, `${reached} ${label}\n`);
  if (Number(killAt) === reached) {
    process.kill(process.pid, 'SIGKILL');
    // the signal is delivered before kill() returns on Linux; never run past the point meanwhile
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
  }
}
