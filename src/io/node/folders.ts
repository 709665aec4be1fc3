/**
 * Output folders: created one level at a time (Node's recursive mkdir spins forever on a path under
 * /proc), with errors that say which folder and why, and stale temporary files cleared out.
 */
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

async function kind(path: string): Promise<'dir' | 'file' | null> {
  try {
    return (await stat(path)).isDirectory() ? 'dir' : 'file';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Create `path` and its missing parents; `what` names it in errors (e.g. "--out folder runs/x"). */
export async function ensureDir(path: string, what = 'folder'): Promise<void> {
  const target = resolve(path);
  const missing: string[] = [];
  let at = target;
  for (;;) {
    let k: 'dir' | 'file' | null;
    try {
      k = await kind(at);
    } catch (e) {
      throw new Error(`cannot create the ${what} ${path}: ${at} cannot be inspected (${(e as Error).message})`);
    }
    if (k === 'dir') break;
    if (k === 'file') throw new Error(`cannot create the ${what} ${path}: ${at} is a file, not a folder`);
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const dir of missing.reverse()) {
    try {
      await mkdir(dir);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EEXIST' && (await kind(dir)) === 'dir') continue;
      const why = err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied'
        : err.code === 'EROFS' ? 'read-only file system'
        : err.code === 'ENOENT' ? `its parent ${dirname(dir)} does not accept new folders`
        : err.message;
      throw new Error(`cannot create the ${what} ${path}: ${why}`);
    }
  }
}

/** ensureDir, then prove that files can be created there (before hours of work are spent on them). */
export async function ensureWritableDir(path: string, what = 'folder'): Promise<void> {
  await ensureDir(path, what);
  const probe = join(path, `.gmgrad-write-test.${process.pid}`);
  try {
    await writeFile(probe, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`cannot write in the ${what} ${path}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : (e as Error).message}`);
  }
  await rm(probe, { force: true });
}

/** Temporary files of atomic writes (see tempPathFor): `.<name>.<pid>-<8 hex>.tmp`. */
export const TEMP_FILE = /^\..+\.(\d+)-[0-9a-f]{8}\.tmp$/;

/** Whether a process with this pid exists (this one included). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove from `dir` the temporary files of writes that were interrupted: those whose writing process
 * is gone. A live process's temporary file (a concurrent download, say) is left alone.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const stale = names.filter((n) => {
    const m = TEMP_FILE.exec(n);
    return m !== null && !processAlive(Number(m[1]));
  });
  for (const n of stale) await rm(join(dir, n), { force: true });
  return stale;
}
