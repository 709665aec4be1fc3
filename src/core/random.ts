/**
 * Counter-based random numbers (Philox 4x32-10). A stream is (seed, counter): the same seed gives
 * the same numbers on every backend because the numbers are a pure function of the counter, and a
 * WGSL kernel can compute exactly the same function (shaders/philox.wgsl).
 */

const PHILOX_M0 = 0xd2511f53;
const PHILOX_M1 = 0xcd9e8d57;
const PHILOX_W0 = 0x9e3779b9;
const PHILOX_W1 = 0xbb67ae85;

function mulhilo(a: number, b: number): [number, number] {
  // 32×32 → 64-bit product split into hi and lo words, exact in float64 via 16-bit halves.
  const aHi = a >>> 16, aLo = a & 0xffff;
  const bHi = b >>> 16, bLo = b & 0xffff;
  const lo = Math.imul(a, b) >>> 0;
  const mid1 = aHi * bLo, mid2 = aLo * bHi;
  const carry = ((aLo * bLo) / 65536 + (mid1 & 0xffff) + (mid2 & 0xffff)) / 65536;
  const hi = (aHi * bHi + Math.floor(mid1 / 65536) + Math.floor(mid2 / 65536) + Math.floor(carry)) >>> 0;
  return [hi, lo];
}

/** One Philox4x32-10 block: four 32-bit words from counter (c0..c3) and key (k0, k1). */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): [number, number, number, number] {
  for (let round = 0; round < 10; round++) {
    const [hi0, lo0] = mulhilo(PHILOX_M0, c0);
    const [hi1, lo1] = mulhilo(PHILOX_M1, c2);
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n1 = lo1;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    const n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 = (k0 + PHILOX_W0) >>> 0;
    k1 = (k1 + PHILOX_W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

/** Map a 32-bit word to a float in [0, 1) with 24 bits (exactly representable in float32). */
export function wordToUniform(w: number): number {
  return (w >>> 8) / 16777216;
}

/** Seeds are Philox keys: 32-bit integers. Anything else would be silently wrapped (2³² → 0, −1 → 2³² − 1). */
export function checkSeed(where: string, seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`${where}: seed must be an integer from 0 to 4294967295, got ${typeof seed === 'number' ? seed : JSON.stringify(seed)}`);
  }
  return seed;
}

/**
 * A seeded generator. Each draw consumes counter blocks, so the i-th number of a draw depends only
 * on (seed, offset + i): drawing 10 then 10 equals drawing 20 at once.
 */
export class Generator {
  #seed: number;
  #offset = 0;

  constructor(seed = 0) {
    this.#seed = checkSeed('Generator', seed);
  }

  get seed(): number { return this.#seed; }
  /** number of 32-bit words consumed so far (serialisable state for exact resume) */
  get offset(): number { return this.#offset; }
  set offset(v: number) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`Generator: offset must be a non-negative integer, got ${v}`);
    this.#offset = v;
  }

  manualSeed(seed: number): this {
    this.#seed = checkSeed('manualSeed', seed);
    this.#offset = 0;
    return this;
  }

  /** `count` raw 32-bit words */
  words(count: number): Uint32Array {
    const out = new Uint32Array(count);
    const start = this.#offset;
    const firstBlock = Math.floor(start / 4);
    const lastBlock = Math.floor((start + count - 1) / 4);
    let j = 0;
    for (let b = firstBlock; b <= lastBlock && count > 0; b++) {
      const r = philox4x32(b >>> 0, Math.floor(b / 4294967296) >>> 0, 0, 0, this.#seed, 0x6d67);
      for (let lane = 0; lane < 4; lane++) {
        const idx = b * 4 + lane;
        if (idx >= start && idx < start + count) out[j++] = r[lane]!;
      }
    }
    this.#offset += count;
    return out;
  }

  /** uniform floats in [low, high) */
  uniform(count: number, low = 0, high = 1): Float64Array {
    const w = this.words(count);
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = low + (high - low) * wordToUniform(w[i]!);
    return out;
  }

  /** standard normal floats (Box–Muller on pairs of words) */
  normal(count: number, mean = 0, std = 1): Float64Array {
    const pairs = Math.ceil(count / 2);
    const w = this.words(pairs * 2);
    const out = new Float64Array(count);
    for (let p = 0; p < pairs; p++) {
      const u1 = (wordToUniform(w[2 * p]!) * 16777216 + 1) / 16777217; // (0, 1]: log is finite
      const u2 = wordToUniform(w[2 * p + 1]!);
      const r = Math.sqrt(-2 * Math.log(u1));
      out[2 * p] = mean + std * r * Math.cos(2 * Math.PI * u2);
      if (2 * p + 1 < count) out[2 * p + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
    }
    return out;
  }

  /** integers in [low, high) */
  integers(count: number, low: number, high: number): Int32Array {
    const w = this.words(count);
    const out = new Int32Array(count);
    const span = high - low;
    for (let i = 0; i < count; i++) out[i] = low + Math.floor(wordToUniform(w[i]!) * span);
    return out;
  }

  /** a seeded Fisher–Yates permutation of 0..n-1 */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    const w = this.words(n);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(wordToUniform(w[i]!) * (i + 1));
      const t = out[i]!; out[i] = out[j]!; out[j] = t;
    }
    return out;
  }
}

/** The default generator used by creation ops and initialisers unless one is passed. */
export const defaultGenerator = new Generator(0);

/** Seed the default generator (torch.manual_seed). */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
