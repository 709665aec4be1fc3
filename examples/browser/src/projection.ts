/**
 * Features in 2-D for the scatter: 2-D features as they are; wider ones (an imported 100-D model)
 * projected on their two leading principal axes, fitted on the probe features and applied to the
 * class means and any extra point alike.
 */
export interface Projection {
  /** 2 × D rows, null for the identity (D = 2) */
  axes: Float64Array | null;
  center: Float64Array;
  featureDim: number;
  label: [string, string];
}

export function fitProjection(features: Float32Array, d: number): Projection {
  if (d === 2) return { axes: null, center: new Float64Array(2), featureDim: 2, label: ['feature 1', 'feature 2'] };
  const n = features.length / d;
  const center = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) center[j]! += features[i * d + j]! / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const va = features[i * d + a]! - center[a]!;
      for (let b = a; b < d; b++) cov[a * d + b]! += va * (features[i * d + b]! - center[b]!);
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[a * d + b] = cov[b * d + a]!;
  const axes = new Float64Array(2 * d);
  for (let k = 0; k < 2; k++) {
    // power iteration, deflated against the axes already found
    let v = new Float64Array(d).map((_, j) => Math.sin(1 + j * (k + 1.7)));
    for (let it = 0; it < 200; it++) {
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) { let s = 0; for (let b = 0; b < d; b++) s += cov[a * d + b]! * v[b]!; w[a] = s; }
      for (let p = 0; p < k; p++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += w[j]! * axes[p * d + j]!;
        for (let j = 0; j < d; j++) w[j]! -= dot * axes[p * d + j]!;
      }
      const norm = Math.hypot(...w) || 1;
      v = w.map((x) => x / norm);
    }
    axes.set(v, k * d);
  }
  return { axes, center, featureDim: d, label: ['principal axis 1', 'principal axis 2'] };
}

/** N × D → N × 2 */
export function project(p: Projection, values: ArrayLike<number>): Float32Array {
  const d = p.featureDim;
  const n = values.length / d;
  if (!p.axes) return Float32Array.from(values);
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 2; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (values[i * d + j]! - p.center[j]!) * p.axes[k * d + j]!;
      out[2 * i + k] = s;
    }
  }
  return out;
}
