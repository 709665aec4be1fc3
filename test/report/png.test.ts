/** The PNG encoder: chunk layout, CRCs, the zlib stream (inflated with node:zlib) and the pixels. */
import { inflateSync } from 'node:zlib';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bytesToBase64, crc32, encodePng, pngDataUri, zlibCompress } from '../../src/report/index.js';
import { rng } from './sample-report.js';

interface Chunk { type: string; data: Uint8Array; crc: number; crcOk: boolean }

function readChunks(png: Uint8Array): Chunk[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Chunk[] = [];
  for (let o = 8; o < png.length;) {
    const len = view.getUint32(o);
    const type = String.fromCharCode(...png.subarray(o + 4, o + 8));
    const data = png.subarray(o + 8, o + 8 + len);
    const crc = view.getUint32(o + 8 + len);
    chunks.push({ type, data, crc, crcOk: zlib.crc32(png.subarray(o + 4, o + 8 + len)) === crc });
    o += 12 + len;
  }
  return chunks;
}

/** Decode what encodePng writes (8-bit, filter 0 only) back to interleaved pixels. */
function decode(png: Uint8Array): { width: number; height: number; colorType: number; pixels: Uint8Array } {
  expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const chunks = readChunks(png);
  expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  for (const c of chunks) expect(c.crcOk, `CRC of ${c.type}`).toBe(true);
  const ihdr = new DataView(chunks[0]!.data.buffer, chunks[0]!.data.byteOffset, 13);
  const width = ihdr.getUint32(0), height = ihdr.getUint32(4);
  expect(ihdr.getUint8(8)).toBe(8);
  const colorType = ihdr.getUint8(9);
  const channels = { 0: 1, 2: 3, 6: 4 }[colorType]!;
  const raw = inflateSync(chunks[1]!.data);
  const stride = width * channels;
  expect(raw.length).toBe((stride + 1) * height);
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (stride + 1)]).toBe(0);
    pixels.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return { width, height, colorType, pixels };
}

describe('checksums', () => {
  it('CRC-32 matches the published check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('CRC-32 agrees with node:zlib; the zlib stream inflates with node:zlib (which checks its Adler-32)', async () => {
    const r = rng(7);
    const data = Uint8Array.from({ length: 200_000 }, () => Math.floor(r() * 256));
    expect(crc32(data)).toBe(zlib.crc32(data));
    expect(Buffer.compare(inflateSync(await zlibCompress(data)), Buffer.from(data))).toBe(0);
    expect(inflateSync(await zlibCompress(new Uint8Array(0))).length).toBe(0);
  });
});

describe('encodePng', () => {
  it.each([1, 3, 4] as const)('round-trips %i-channel pixels', async (channels) => {
    const r = rng(channels);
    const w = 13, h = 7;
    const pixels = Uint8Array.from({ length: w * h * channels }, () => Math.floor(r() * 256));
    const out = decode(await encodePng(w, h, channels, pixels));
    expect(out).toMatchObject({ width: w, height: h, colorType: { 1: 0, 3: 2, 4: 6 }[channels] });
    expect(Array.from(out.pixels)).toEqual(Array.from(pixels));
  });

  it('compresses: a digit-like image takes a fraction of its raw size', async () => {
    const w = 28, h = 28;
    const pixels = new Uint8Array(w * h);
    for (let y = 8; y < 20; y++) for (let x = 10; x < 18; x++) pixels[y * w + x] = 255;
    const png = await encodePng(w, h, 1, pixels);
    expect(Array.from(decode(png).pixels)).toEqual(Array.from(pixels));
    const idat = readChunks(png)[1]!.data;
    expect(idat.length).toBeLessThan((w + 1) * h / 8);
  });

  it('encodes a 1×1 image and rejects wrong sizes with a clear message', async () => {
    expect(Array.from(decode(await encodePng(1, 1, 1, Uint8Array.of(200))).pixels)).toEqual([200]);
    await expect(encodePng(2, 2, 3, new Uint8Array(11))).rejects.toThrow(/2×2×3 = 12 bytes, got 11/);
    await expect(encodePng(0, 2, 1, new Uint8Array(0))).rejects.toThrow(/positive integers/);
    await expect(encodePng(2, 2, 2 as 1, new Uint8Array(8))).rejects.toThrow(/channels must be 1, 3 or 4/);
  });

  it('becomes a data: URI with standard base64', async () => {
    const r = rng(3);
    for (const n of [0, 1, 2, 3, 4, 5, 1000, 5000]) {
      const b = Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
      expect(bytesToBase64(b)).toBe(Buffer.from(b).toString('base64'));
    }
    const png = await encodePng(2, 1, 1, Uint8Array.of(0, 255));
    expect(pngDataUri(png)).toBe(`data:image/png;base64,${Buffer.from(png).toString('base64')}`);
  });
});
