/**
 * Download one URL to a file with node:http(s): follows redirects, fails fast when the host is
 * unreachable, gives up on a connection that stays silent, and refuses a body shorter than its
 * Content-Length. The caller downloads into a temporary file and only moves it into place after
 * verification.
 */
import { createWriteStream } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface HttpDownloadOptions {
  /** give up when no byte arrives for this long (default 30 s) */
  idleTimeoutMs?: number;
  maxRedirects?: number;
  onProgress?: (received: number, total: number | undefined) => void;
}

function request(url: URL, idleTimeoutMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const get = url.protocol === 'https:' ? httpsGet : url.protocol === 'http:' ? httpGet : null;
    if (!get) { reject(new Error(`unsupported protocol ${url.protocol}`)); return; }
    const req = get(url, { headers: { 'user-agent': 'gmgrad', accept: '*/*' } }, resolve);
    req.setTimeout(idleTimeoutMs, () => req.destroy(new Error(`no response for ${idleTimeoutMs / 1000} s`)));
    req.on('error', reject);
  });
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { hostname?: string };
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return `cannot resolve host${e.hostname ? ` ${e.hostname}` : ''} (offline?) [${e.code}]`;
  if (e.code === 'ECONNREFUSED') return `connection refused [${e.code}]`;
  return e.code ? `${e.message} [${e.code}]` : e.message;
}

/** Returns the number of bytes written to `dest`. Errors carry a short human-readable reason. */
export async function httpDownload(url: string, dest: string, options: HttpDownloadOptions = {}): Promise<number> {
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  let current = new URL(url);
  for (let redirects = 0; ; redirects++) {
    let res: IncomingMessage;
    try {
      res = await request(current, idleTimeoutMs);
    } catch (err) {
      throw new Error(describe(err));
    }
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (redirects >= (options.maxRedirects ?? 5)) throw new Error(`too many redirects (last: ${current.href})`);
      current = new URL(res.headers.location, current);
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new Error(`HTTP ${status} ${res.statusMessage ?? ''}`.trim());
    }
    const lengthHeader = res.headers['content-length'];
    const total = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        received += chunk.length;
        options.onProgress?.(received, total);
        callback(null, chunk);
      },
    });
    res.setTimeout(idleTimeoutMs, () => res.destroy(new Error(`no data for ${idleTimeoutMs / 1000} s`)));
    try {
      await pipeline(res, counter, createWriteStream(dest, { flags: 'wx' }));
    } catch (err) {
      throw new Error(`download interrupted after ${received} bytes: ${describe(err)}`);
    }
    if (total !== undefined && received !== total) {
      throw new Error(`connection closed after ${received} of ${total} bytes`);
    }
    return received;
  }
}
