/**
 * Atomic file replacement: write a temporary file in the destination's folder, fsync it, rename it
 * over the destination, then fsync the folder. Readers see the old file or the complete new one,
 * never a partial write, even if the process dies or the machine loses power midway.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

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

/** Write `data` to `finalPath` atomically, creating the folder if needed. */
export async function writeFileAtomic(finalPath: string, data: Uint8Array): Promise<void> {
  await mkdir(dirname(finalPath), { recursive: true });
  const tempPath = tempPathFor(finalPath);
  const handle = await open(tempPath, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tempPath, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(tempPath, finalPath);
  } catch (err) {
    await rm(tempPath, { force: true });
    throw err;
  }
  try { await fsyncPath(dirname(finalPath), 'r'); } catch { /* best effort, see commitTempFile */ }
}
