/** CHW float images in [0, 1] → 8-bit interleaved pixels for the PNG encoder. */
import { divergingColor } from './colormap.js';

export interface ImageShape {
  channels: 1 | 3;
  height: number;
  width: number;
}

function checkImage(what: string, data: ArrayLike<number>, s: ImageShape): void {
  const n = s.channels * s.height * s.width;
  if (data.length !== n) throw new Error(`${what}: expected ${s.channels}×${s.height}×${s.width} = ${n} values, got ${data.length}`);
}

const toByte = (v: number) => (Number.isFinite(v) ? Math.round(Math.min(1, Math.max(0, v)) * 255) : 0);

/** Planar CHW → interleaved HWC bytes (grey stays one channel), values clamped to [0, 1]. */
export function imageBytes(data: ArrayLike<number>, s: ImageShape): Uint8Array {
  checkImage('imageBytes', data, s);
  const { channels: c, height: h, width: w } = s;
  const out = new Uint8Array(c * h * w);
  const plane = h * w;
  for (let p = 0; p < plane; p++) for (let k = 0; k < c; k++) out[p * c + k] = toByte(data[k * plane + p]!);
  return out;
}

/**
 * The signed perturbation adversarial − clean per pixel, reduced over colour channels to the value
 * of largest magnitude (a mean would cancel the ±ε of L∞ attacks across channels).
 */
export function perturbationMap(clean: ArrayLike<number>, adversarial: ArrayLike<number>, s: ImageShape): Float32Array {
  checkImage('perturbationMap (clean)', clean, s);
  checkImage('perturbationMap (adversarial)', adversarial, s);
  const plane = s.height * s.width;
  const out = new Float32Array(plane);
  for (let p = 0; p < plane; p++) {
    let best = 0;
    for (let k = 0; k < s.channels; k++) {
      const d = adversarial[k * plane + p]! - clean[k * plane + p]!;
      if (Math.abs(d) > Math.abs(best)) best = d;
    }
    out[p] = best;
  }
  return out;
}

/** Largest |value| (0 for an empty or all-zero map). */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) { const a = Math.abs(values[i]!); if (Number.isFinite(a) && a > m) m = a; }
  return m;
}

/** A signed map as RGB bytes on the diverging colour map: `scale` maps to full red (−scale to blue). */
export function divergingBytes(values: ArrayLike<number>, scale: number): Uint8Array {
  const out = new Uint8Array(values.length * 3);
  const inv = scale > 0 ? 1 / scale : 0;
  for (let i = 0; i < values.length; i++) {
    const c = divergingColor(values[i]! * inv);
    out[3 * i] = Math.round(c[0]); out[3 * i + 1] = Math.round(c[1]); out[3 * i + 2] = Math.round(c[2]);
  }
  return out;
}
