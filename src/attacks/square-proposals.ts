/**
 * Square Attack's initialisations and its sampling distributions (Andriushchenko, Croce,
 * Flammarion & Hein, "Square Attack: a query-efficient black-box adversarial attack via random
 * search", ECCV 2020), on one sample held on the host as a flat [C, H, W] array. Each function
 * returns a fresh candidate image clip(x + δ); `x` and `best` are never written.
 */
import type { Generator } from '../core/random.js';
import { NORM_FLOOR } from './steps.js';

export interface ImageGeometry {
  channels: number;
  height: number;
  width: number;
}

/** a random sign: +1 or −1 with probability ½ each */
function randomSign(generator: Generator): number {
  return generator.integers(1, 0, 2)[0] === 0 ? -1 : 1;
}

function clip01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** a window's top-left corner, uniform over {0, …, H − s} × {0, …, W − s} */
export function windowCorner(generator: Generator, side: number, g: ImageGeometry): [number, number] {
  const top = generator.integers(1, 0, g.height - side + 1)[0]!;
  return [top, generator.integers(1, 0, g.width - side + 1)[0]!];
}

/**
 * L∞ initialisation: vertical stripes of width one, each stripe and channel shifted by ±ε (a random
 * sign per column and channel), clipped to [0, 1].
 */
export function linfInit(x: Float64Array, eps: number, g: ImageGeometry, generator: Generator): Float64Array {
  const out = new Float64Array(x.length);
  for (let ch = 0; ch < g.channels; ch++) {
    for (let col = 0; col < g.width; col++) {
      const shift = eps * randomSign(generator);
      for (let row = 0; row < g.height; row++) {
        const i = (ch * g.height + row) * g.width + col;
        out[i] = clip01(x[i]! + shift);
      }
    }
  }
  return out;
}

/** tries at a fresh colour for a window that the drawn colours would leave unchanged (ε = 0, saturated pixels) */
const MAX_COLOUR_DRAWS = 16;

/**
 * L∞ update: a window of side `side` at a uniform position gets, per channel, a perturbation of
 * ±ε (a random sign per channel, constant over the window); the rest of `best` is kept. Colours
 * that would leave the window exactly as it is are drawn again, as the authors do, so that a
 * query is not wasted on an unchanged image.
 */
export function linfUpdate(x: Float64Array, best: Float64Array, eps: number, side: number, g: ImageGeometry, generator: Generator): Float64Array {
  const [top, left] = windowCorner(generator, side, g);
  const out = best.slice();
  for (let attempt = 0; attempt < MAX_COLOUR_DRAWS; attempt++) {
    let changed = false;
    for (let ch = 0; ch < g.channels; ch++) {
      const shift = eps * randomSign(generator);
      for (let row = top; row < top + side; row++) {
        for (let col = left; col < left + side; col++) {
          const i = (ch * g.height + row) * g.width + col;
          out[i] = clip01(x[i]! + shift);
          if (Math.abs(out[i]! - best[i]!) >= 1e-7) changed = true;
        }
      }
    }
    if (changed) break;
  }
  return out;
}

/**
 * The paper's centred bump η^(h1,h2) [h1·h2, row-major]: η_{r,s} = Σ_{k=0}^{M(r,s)} 1/(n + 1 − k)²
 * with n = ⌊h1/2⌋ and M(r,s) = n − max(|r − ⌊h1/2⌋ − 1|, |s − ⌊h2/2⌋ − 1|) (1-based r, s): largest
 * at the centre and decaying in concentric rectangles.
 */
export function centredBump(h1: number, h2: number): Float64Array {
  const n = Math.floor(h1 / 2);
  const out = new Float64Array(h1 * h2);
  for (let r = 1; r <= h1; r++) {
    for (let s = 1; s <= h2; s++) {
      const m = n - Math.max(Math.abs(r - n - 1), Math.abs(s - Math.floor(h2 / 2) - 1));
      let v = 0;
      for (let k = 0; k <= m; k++) v += 1 / (n + 1 - k) ** 2;
      out[(r - 1) * h2 + (s - 1)] = v;
    }
  }
  return out;
}

function unitNorm(v: Float64Array): Float64Array {
  let ss = 0;
  for (const a of v) ss += a * a;
  const scale = 1 / Math.max(Math.sqrt(ss), NORM_FLOOR);
  return v.map((a) => a * scale);
}

/**
 * The L2 update's shape [side·side, row-major, unit L2 norm]: two bumps of opposite sign side by
 * side, η^(s,⌊s/2⌋) and −η^(s,s−⌊s/2⌋), turned by 90° with probability ½ (a window of side 1 is
 * a single entry).
 */
export function pairedBumps(side: number, generator: Generator): Float64Array {
  const out = new Float64Array(side * side);
  if (side === 1) {
    out[0] = 1;
    return out;
  }
  const k = Math.floor(side / 2);
  const left = centredBump(side, k), right = centredBump(side, side - k);
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) out[r * side + c] = c < k ? left[r * k + c]! : -right[r * (side - k) + (c - k)]!;
  }
  if (randomSign(generator) < 0) {
    const turned = new Float64Array(side * side);
    for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) turned[c * side + r] = out[r * side + c]!;
    return unitNorm(turned);
  }
  return unitNorm(out);
}

/** x + δ·ε/‖δ‖₂, clipped to [0, 1] (δ = 0 stays 0) */
function onSphere(x: Float64Array, delta: Float64Array, eps: number): Float64Array {
  let ss = 0;
  for (const d of delta) ss += d * d;
  const scale = eps / Math.max(Math.sqrt(ss), NORM_FLOOR);
  return x.map((v, i) => clip01(v + delta[i]! * scale));
}

/**
 * L2 initialisation: the image is tiled by a grid of square meta-pixels of side ⌊min(H, W)/5⌋
 * (at least 1; the grid centred, leftover borders untouched), each meta-pixel and channel gets the
 * centred bump η^(s,s) with a random sign, and the whole perturbation is scaled onto the ε-sphere.
 */
export function l2Init(x: Float64Array, eps: number, g: ImageGeometry, generator: Generator): Float64Array {
  const side = Math.max(1, Math.floor(Math.min(g.height, g.width) / 5));
  const bump = centredBump(side, side);
  const rows = Math.floor(g.height / side), cols = Math.floor(g.width / side);
  const top0 = Math.floor((g.height - rows * side) / 2), left0 = Math.floor((g.width - cols * side) / 2);
  const delta = new Float64Array(x.length);
  for (let ti = 0; ti < rows; ti++) {
    for (let tj = 0; tj < cols; tj++) {
      for (let ch = 0; ch < g.channels; ch++) {
        const sign = randomSign(generator);
        for (let r = 0; r < side; r++) {
          for (let c = 0; c < side; c++) {
            delta[(ch * g.height + top0 + ti * side + r) * g.width + left0 + tj * side + c] = sign * bump[r * side + c]!;
          }
        }
      }
    }
  }
  return onSphere(x, delta, eps);
}

/**
 * L2 update: two windows W1, W2 of side `side` at uniform positions. Per channel, the perturbation
 * mass of W1 ∪ W2 (plus an equal share of the budget still unused, ε² − ‖ν‖²) is moved into W1,
 * whose new direction is its old one (normalised) plus a randomly signed `pairedBumps`; W2 is
 * emptied. The whole perturbation is then put back on the ε-sphere and the image clipped, so
 * ‖x' − x‖₂ ≤ ε always.
 */
export function l2Update(x: Float64Array, best: Float64Array, eps: number, side: number, g: ImageGeometry, generator: Generator): Float64Array {
  const [top1, left1] = windowCorner(generator, side, g);
  const [top2, left2] = windowCorner(generator, side, g);
  const shape = pairedBumps(side, generator);
  const nu = best.map((v, i) => v - x[i]!);
  let used = 0;
  for (const d of nu) used += d * d;
  const unusedShare = Math.max(eps * eps - used, 0) / g.channels;
  const plane = g.height * g.width;
  const inWindow = (r: number, c: number, top: number, left: number) => r >= top && r < top + side && c >= left && c < left + side;
  for (let ch = 0; ch < g.channels; ch++) {
    let unionSq = 0, w1Sq = 0;
    for (let r = 0; r < g.height; r++) {
      for (let c = 0; c < g.width; c++) {
        const in1 = inWindow(r, c, top1, left1);
        if (!in1 && !inWindow(r, c, top2, left2)) continue;
        const d = nu[ch * plane + r * g.width + c]!;
        unionSq += d * d;
        if (in1) w1Sq += d * d;
      }
    }
    const w1Norm = Math.sqrt(w1Sq) + 1e-10;
    const sign = randomSign(generator);
    const direction = new Float64Array(side * side);
    for (let r = 0; r < side; r++) {
      for (let c = 0; c < side; c++) direction[r * side + c] = sign * shape[r * side + c]! + nu[ch * plane + (top1 + r) * g.width + left1 + c]! / w1Norm;
    }
    const unit = unitNorm(direction);
    const mass = Math.sqrt(unionSq + unusedShare);
    for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) nu[ch * plane + (top2 + r) * g.width + left2 + c] = 0;
    for (let r = 0; r < side; r++) for (let c = 0; c < side; c++) nu[ch * plane + (top1 + r) * g.width + left1 + c] = unit[r * side + c]! * mass;
  }
  return onSphere(x, nu, eps);
}
