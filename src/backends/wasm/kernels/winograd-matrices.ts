/**
 * Winograd minimal filtering F(m, r) (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural
 * Networks"): m outputs of an r-tap correlation from α = m + r − 1 products instead of m·r.
 *
 * The matrices come from Toom-Cook: evaluate at α − 1 finite points and ∞. With V_n the α × n
 * matrix of rows [p^0 … p^(n−1)] (the ∞ row is [0 … 0 1]), a linear convolution of polynomials is
 * s = V_α⁻¹ ((V_r g) ⊙ (V_m h)); its transpose in h is the correlation y_i = Σ_k g_k d_(i+k):
 *
 *   y = Aᵀ [ (G g) ⊙ (Bᵀ d) ],   Aᵀ = V_mᵀ,  G = D⁻¹ V_r,  Bᵀ = D V_α⁻ᵀ,
 *
 * where the diagonal D (any invertible one works) is chosen so that Bᵀ, applied to every input
 * tile, has small integer entries; the fractions go to G, applied once per weight. In 2-D the
 * transforms apply on both sides: Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A.
 *
 * The weight gradient follows by differentiating that identity in g:
 *   dg = Gᵀ [ (A dy Aᵀ) ⊙ (Bᵀ d B) ] G   (summed over tiles).
 */

export interface WinogradMatrices {
  m: number;
  r: number;
  alpha: number;
  /** the finite evaluation points (∞ is the last) */
  points: readonly number[];
  /** m × α */
  AT: number[][];
  /** α × r */
  G: number[][];
  /** α × α */
  BT: number[][];
}

/** The points of each supported tile size, smallest first (small points keep the error low). */
const POINTS: Record<number, number[]> = {
  4: [0, 1, -1],
  5: [0, 1, -1, 2],
  6: [0, 1, -1, 2, -2],
  7: [0, 1, -1, 2, -2, 0.5],
  8: [0, 1, -1, 2, -2, 0.5, -0.5],
};

export function winogradMatrices(m: number, r: number): WinogradMatrices {
  const alpha = m + r - 1;
  const points = POINTS[alpha];
  if (!points) throw new Error(`winograd: no evaluation points for F(${m}, ${r}) (α = ${alpha}; known α: ${Object.keys(POINTS).join(', ')})`);
  const vander = (n: number): number[][] => [
    ...points.map((p) => Array.from({ length: n }, (_, k) => p ** k)),
    Array.from({ length: n }, (_, k) => (k === n - 1 ? 1 : 0)),
  ];
  const Vm = vander(m), Vr = vander(r), Va = vander(alpha);
  const VaInvT = transpose(invert(Va));
  // D_j = Π_(l ≠ j) (p_j − p_l) over the finite points (1 for ∞) makes V_α⁻ᵀ's rows integral
  const d = [...points.map((p, j) => points.reduce((acc, q, l) => (l === j ? acc : acc * (p - q)), 1)), 1];
  const scale = d.map((x) => (x < 0 ? -x : x));
  return {
    m, r, alpha, points,
    AT: transpose(Vm),
    G: Vr.map((row, j) => row.map((v) => clean(v / scale[j]!))),
    BT: VaInvT.map((row, j) => row.map((v) => clean(v * scale[j]!))),
  };
}

export function transpose(a: readonly (readonly number[])[]): number[][] {
  return a[0]!.map((_, j) => a.map((row) => row[j]!));
}

/** Gauss-Jordan with partial pivoting (the matrices are small and well scaled). */
function invert(a: readonly (readonly number[])[]): number[][] {
  const n = a.length;
  const w = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let i = c + 1; i < n; i++) if (Math.abs(w[i]![c]!) > Math.abs(w[p]![c]!)) p = i;
    [w[c], w[p]] = [w[p]!, w[c]!];
    const pivot = w[c]![c]!;
    if (pivot === 0) throw new Error('winograd: singular Vandermonde matrix (repeated points)');
    for (let j = 0; j < 2 * n; j++) w[c]![j]! /= pivot;
    for (let i = 0; i < n; i++) {
      if (i === c) continue;
      const f = w[i]![c]!;
      if (f !== 0) for (let j = 0; j < 2 * n; j++) w[i]![j]! -= f * w[c]![j]!;
    }
  }
  return w.map((row) => row.slice(n));
}

/** rounds away float64 noise around small dyadic rationals (the entries are exact in float32) */
function clean(v: number): number {
  const r = Math.round(v * 2 ** 20) / 2 ** 20;
  return Math.abs(r - v) < 1e-9 ? r + 0 : v;
}
