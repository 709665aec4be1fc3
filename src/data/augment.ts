/**
 * Writing one uint8 CHW image into a float batch, with the standard CIFAR augmentation folded in:
 * a random crop of the image zero-padded by `padding` pixels on each side (torchvision
 * RandomCrop(32, padding=4)) followed by a random horizontal flip. Padding is pixel value 0 and goes
 * through the same value table as real pixels, as it would after torchvision's ToTensor/Normalize.
 */
import { wordToUniform } from '../core/random.js';

export interface AugmentOptions {
  /** zero padding added on each side before the random crop; 0 disables the crop (default 4) */
  padding?: number;
  /** random horizontal flip with probability 1/2 (default true) */
  flip?: boolean;
}

/** Random words consumed per sample (crop top, crop left, flip), whether or not each is used. */
export const AUGMENT_WORDS_PER_SAMPLE = 3;

export interface SampleTransform {
  /** source row = output row + dy; outside the image reads the padding */
  dy: number;
  dx: number;
  flip: boolean;
}

export const IDENTITY_TRANSFORM: SampleTransform = { dy: 0, dx: 0, flip: false };

/** Turn three random words into a crop offset and flip, as torchvision draws them. */
export function drawTransform(w0: number, w1: number, w2: number, options: Required<AugmentOptions>): SampleTransform {
  const p = options.padding;
  const span = 2 * p + 1;
  return {
    dy: Math.floor(wordToUniform(w0) * span) - p,
    dx: Math.floor(wordToUniform(w1) * span) - p,
    flip: options.flip && wordToUniform(w2) < 0.5,
  };
}

/**
 * out[outOffset + (ch, y, x)] = table[ch][src pixel], where the source pixel is
 * (ch, y + dy, flip ? w-1-x + dx : x + dx), and 0 outside the image.
 * `tables` holds 256 floats per channel (value lookup: scaling and normalisation).
 */
export function writeImage(
  src: Uint8Array, srcOffset: number, c: number, h: number, w: number,
  out: Float32Array, outOffset: number, tables: Float32Array, t: SampleTransform,
): void {
  const plane = h * w;
  for (let ch = 0; ch < c; ch++) {
    const table = ch * 256;
    const pad = tables[table]!;
    const srcPlane = srcOffset + ch * plane;
    const outPlane = outOffset + ch * plane;
    for (let y = 0; y < h; y++) {
      const sy = y + t.dy;
      const outRow = outPlane + y * w;
      if (sy < 0 || sy >= h) {
        out.fill(pad, outRow, outRow + w);
        continue;
      }
      const srcRow = srcPlane + sy * w;
      if (!t.flip && t.dx === 0) {
        for (let x = 0; x < w; x++) out[outRow + x] = tables[table + src[srcRow + x]!]!;
        continue;
      }
      for (let x = 0; x < w; x++) {
        const sx = (t.flip ? w - 1 - x : x) + t.dx;
        out[outRow + x] = sx < 0 || sx >= w ? pad : tables[table + src[srcRow + sx]!]!;
      }
    }
  }
}
