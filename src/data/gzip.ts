/**
 * Platform-neutral gzip helpers. Browsers (and Node ≥ 18) have DecompressionStream('gzip'); Node code
 * should prefer src/data/node/gunzip.ts (zlib), which is faster and reports truncation precisely.
 */

/** True when `bytes` start with the gzip magic 1F 8B (the content decides, not the file name). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompress a gzip buffer with the web-standard DecompressionStream. `name` only appears in errors. */
export async function gunzipWeb(bytes: Uint8Array, name = 'gzip data'): Promise<Uint8Array> {
  if (typeof DecompressionStream !== 'function') {
    throw new Error(`${name}: cannot gunzip: DecompressionStream is not available in this JavaScript runtime`);
  }
  if (!isGzip(bytes)) throw new Error(`${name}: not gzip data (no 1F 8B magic)`);
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  try {
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (err) {
    throw new Error(`${name}: gunzip failed (truncated or corrupt file): ${(err as Error).message}`);
  }
}
