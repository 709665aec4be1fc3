/** Base64 without platform globals (btoa needs a binary string; Buffer is Node-only). */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let line = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!, b = bytes[i + 1], c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    line += ALPHABET[n >>> 18]! + ALPHABET[(n >>> 12) & 63]!
      + (b === undefined ? '=' : ALPHABET[(n >>> 6) & 63]!)
      + (c === undefined ? '=' : ALPHABET[n & 63]!);
    if (line.length >= 4096) { parts.push(line); line = ''; }
  }
  parts.push(line);
  return parts.join('');
}

/** A data: URI for a PNG file, ready for <img src> or SVG <image href>. */
export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${bytesToBase64(png)}`;
}
