/**
 * Checkpoint files on disk: safetensors written atomically (temporary file in the same folder,
 * fsync, rename, fsync of the folder), so a crash mid-save leaves the previous checkpoint intact.
 */
import { readFile, stat } from 'node:fs/promises';
import { defaultMemoryLimit, formatBytes } from '../../core/memory-limit.js';
import { decodeSafetensors, encodeSafetensors, type DecodeOptions, type DecodedSafetensors, type SafetensorsTensor } from '../safetensors.js';
import { writeFileAtomic } from './atomic-write.js';

/** Atomically replace `path` with `bytes` (creating the folder if needed). */
export async function writeCheckpointFile(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(path, bytes);
  } catch (err) {
    throw new Error(`cannot write checkpoint ${path}: ${(err as Error).message.replace(`cannot write ${path}: `, '')}`);
  }
}

/** The bytes of a checkpoint file; the error names the path. */
export async function readCheckpointFile(path: string): Promise<Uint8Array> {
  try {
    // a device or FIFO (/dev/zero) would be read forever, a file larger than memory would not fit
    const s = await stat(path);
    if (!s.isFile() && !s.isDirectory()) throw new Error(`checkpoint ${path} is not a regular file`);
    if (s.size > defaultMemoryLimit()) throw new Error(`checkpoint ${path} is ${formatBytes(s.size)}, more than the ${formatBytes(defaultMemoryLimit())} it may take in memory`);
    const buf = await readFile(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === undefined) throw e;
    throw new Error(e.code === 'ENOENT' ? `checkpoint ${path} does not exist`
      : e.code === 'EISDIR' ? `checkpoint ${path} is a folder, not a file (give the .safetensors file in it)`
      : `cannot read checkpoint ${path}: ${e.message}`);
  }
}

export async function saveSafetensorsFile(path: string, tensors: Record<string, SafetensorsTensor>, metadata?: Record<string, string>): Promise<void> {
  await writeCheckpointFile(path, encodeSafetensors(tensors, metadata));
}

export async function loadSafetensorsFile(path: string, options: Omit<DecodeOptions, 'source'> = {}): Promise<DecodedSafetensors> {
  return decodeSafetensors(await readCheckpointFile(path), { ...options, source: path });
}
