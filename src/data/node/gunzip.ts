/** gunzip in Node with zlib (on the thread pool, so a 170 MB archive does not block the event loop). */
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';

const gunzipAsync = promisify(gunzip);

/** Thrown for gzip data that cannot be decompressed; `truncated` tells a cut-off file from a damaged one. */
export class GunzipError extends Error {
  constructor(readonly source: string, readonly detail: string, readonly truncated: boolean) {
    super(`${source}: ${detail}`);
    this.name = 'GunzipError';
  }
}

export async function gunzipNode(bytes: Uint8Array, name = 'gzip data'): Promise<Uint8Array> {
  try {
    const out = await gunzipAsync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const truncated = e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message);
    throw new GunzipError(name, `${truncated ? 'gzip data ends early' : 'gzip data is damaged'}: ${e.message}`, truncated);
  }
}
