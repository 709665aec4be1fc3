/**
 * Atomic file replacement: write a temporary file in the destination's folder, fsync it, rename it
 * over the destination, then fsync the folder. Readers see the old file or the complete new one,
 * never a partial write, even if the process dies or the machine loses power midway. Each step is
 * a fault point (fault-injection.ts), so a test can kill the process inside any write.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { faultPoint } from './fault-injection.js';
import { ensureDir } from './folders.js';

/** A fresh temporary path next to `finalPath` (same folder, so the rename stays on one filesystem). */
export function tempPathFor(finalPath: string): string {
  return join(dirname(finalPath), `.${basename(finalPath)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

async function fsyncPath(path: string, flags: string): Promise<void> {
  const handle = await open(path, flags);
  try { await handle.sync(); } finally { await handle.close(); }
}

/** Make a fully written temporary file durable and move it to `finalPath` (replacing any old file). */
export async function commitTempFile(tempPath: string, finalPath: string): Promise<void> {
  try {
    await fsyncPath(tempPath, 'r+');
    await rename(tempPath, finalPath);
  } catch (err) {
    await rm(tempPath, { force: true });
    throw err;
  }
  // Persist the rename itself. Some platforms (Windows) cannot open folders; the rename is done anyway.
  try { await fsyncPath(dirname(finalPath), 'r'); } catch { /* best effort */ }
}

/** bytes[from, to) at the same file offsets (write() may write less than asked) */
async function writeRange(handle: FileHandle, bytes: Uint8Array, from: number, to: number): Promise<void> {
  for (let at = from; at < to;) at += (await handle.write(bytes, at, to - at, at)).bytesWritten;
}

/** Write `data` to `finalPath` atomically, creating the folder if needed; errors name the file. */
export async function writeFileAtomic(finalPath: string, data: Uint8Array | string): Promise<void> {
  try {
    await writeAtomically(finalPath, data);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOSPC' ? 'no space left on the device' : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied'
      : e.code === 'EROFS' ? 'read-only file system' : e.code === 'EDQUOT' ? 'disk quota exceeded' : e.message;
    throw new Error(e.message.startsWith('cannot ') ? e.message : `cannot write ${finalPath}: ${why}`);
  }
}

async function writeAtomically(finalPath: string, data: Uint8Array | string): Promise<void> {
  await ensureDir(dirname(finalPath));
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const tempPath = tempPathFor(finalPath);
  const handle = await open(tempPath, 'wx');
  const name = basename(finalPath);
  try {
    faultPoint(`${name}: temporary file created`);
    const half = Math.floor(bytes.length / 2);
    await writeRange(handle, bytes, 0, half);
    faultPoint(`${name}: half written`);
    await writeRange(handle, bytes, half, bytes.length);
    faultPoint(`${name}: written, not synced`);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tempPath, { force: true });
    throw err;
  }
  await handle.close();
  faultPoint(`${name}: synced, not renamed`);
  try {
    await rename(tempPath, finalPath);
  } catch (err) {
    await rm(tempPath, { force: true });
    throw err;
  }
  faultPoint(`${name}: renamed`);
  try { await fsyncPath(dirname(finalPath), 'r'); } catch { /* best effort, see commitTempFile */ }
}
