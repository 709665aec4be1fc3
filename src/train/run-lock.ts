/**
 * One writer per run folder: `.lock` holds the pid of the process training there. A lock whose
 * process is gone (killed) is taken over; a live one is refused, naming the pid.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../io/node/folders.js';
import { RunStateError } from './run-state-error.js';

export interface RunLock {
  release(): Promise<void>;
}

export async function acquireRunLock(dir: string, what: string): Promise<RunLock> {
  const path = join(dir, '.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      let released = false;
      return { release: async () => { if (!released) { released = true; await rm(path, { force: true }); } } };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new RunStateError(`cannot write in the ${what} folder ${dir}: ${code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'not writable' : (e as Error).message}`);
    }
    const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(pid) && pid > 0 && processAlive(pid)) {
      throw new RunStateError(`the ${what} folder ${dir} is in use by another gmgrad process (pid ${pid}${pid === process.pid ? ', this one' : ''}); wait for it to finish or choose another ${what}`);
    }
    await rm(path, { force: true }); // left by a process that was killed
  }
  throw new RunStateError(`cannot lock the ${what} folder ${dir}: ${path} keeps reappearing`);
}
