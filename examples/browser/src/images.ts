/** Drawing [0, 1] grey images and signed perturbations into canvases, pixel-exact and magnified by CSS. */
import { divergingColor } from '../../../src/report/index.js';

export function drawGrey(canvas: HTMLCanvasElement, pixels: ArrayLike<number>, w: number, h: number): void {
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const v = Math.round(Math.min(1, Math.max(0, pixels[i]!)) * 255);
    img.data[4 * i] = v; img.data[4 * i + 1] = v; img.data[4 * i + 2] = v; img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** The signed map on the report's diverging colour map; `scale` maps to full colour. Returns the scale used. */
export function drawSigned(canvas: HTMLCanvasElement, values: ArrayLike<number>, w: number, h: number, scale?: number): number {
  let s = scale ?? 0;
  if (scale === undefined) for (let i = 0; i < w * h; i++) s = Math.max(s, Math.abs(values[i]!));
  const inv = s > 0 ? 1 / s : 0;
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const c = divergingColor(values[i]! * inv);
    img.data[4 * i] = Math.round(c[0]); img.data[4 * i + 1] = Math.round(c[1]); img.data[4 * i + 2] = Math.round(c[2]); img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return s;
}
