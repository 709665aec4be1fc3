/**
 * A plain-JS APGD (Croce & Hein 2020, Algorithm 1) on an affine classifier z = W x + b, written
 * straight from the paper for one sample at a time, to check the batched tensor implementation
 * against: gradients by hand (CE and DLR), the checkpoint schedule recomputed here, L∞ / L2 / L1.
 */
export type Vec = number[];

export interface LinearModel { W: number[][]; b: number[] }

export function logitsOf(m: LinearModel, x: Vec): Vec {
  return m.W.map((row, k) => row.reduce((s, w, j) => s + w * x[j]!, m.b[k]!));
}

function sortedDesc(z: Vec): number[] {
  return z.map((_, i) => i).sort((a, b) => z[b]! - z[a]!);
}

/** loss value and ∂loss/∂z for 'ce' and 'dlr' (untargeted) */
export function lossAndLogitGrad(loss: 'ce' | 'dlr', z: Vec, y: number): { f: number; dz: Vec } {
  if (loss === 'ce') {
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    const p = e.map((v) => v / s);
    return { f: Math.log(s) + m - z[y]!, dz: p.map((v, i) => v - (i === y ? 1 : 0)) };
  }
  const order = sortedDesc(z);
  const other = order.find((i) => i !== y)!;
  const num = z[y]! - z[other]!;
  const den = z[order[0]!]! - z[order[2]!]! + 1e-12;
  const dz = z.map(() => 0);
  // f = −num/den
  dz[y]! += -1 / den; dz[other]! += 1 / den;
  dz[order[0]!]! += num / (den * den); dz[order[2]!]! -= num / (den * den);
  return { f: -num / den, dz };
}

export function inputGrad(m: LinearModel, dz: Vec): Vec {
  return m.W[0]!.map((_, j) => m.W.reduce((s, row, k) => s + row[j]! * dz[k]!, 0));
}

/** projection onto {‖δ‖₁ ≤ ε} ∩ box by a long bisection on the soft threshold (its own code) */
export function projectL1BoxRef(v: Vec, x: Vec, eps: number): Vec {
  const delta = v.map((vi, j) => vi - x[j]!);
  const at = (lam: number) => delta.map((d, j) => Math.min(Math.max(Math.sign(d) * Math.max(Math.abs(d) - lam, 0), -x[j]!), 1 - x[j]!));
  const l1 = (t: Vec) => t.reduce((s, a) => s + Math.abs(a), 0);
  if (l1(at(0)) <= eps) return at(0).map((d, j) => x[j]! + d);
  let lo = 0, hi = Math.max(...delta.map(Math.abs));
  for (let i = 0; i < 200; i++) { const mid = (lo + hi) / 2; if (l1(at(mid)) > eps) lo = mid; else hi = mid; }
  return at(hi).map((d, j) => x[j]! + d);
}

/** Duchi et al.'s sort-based projection onto the L1 ball (no box) */
export function projectL1Ref(v: Vec, x: Vec, eps: number): Vec {
  const d = v.map((vi, j) => vi - x[j]!);
  if (d.reduce((s, a) => s + Math.abs(a), 0) <= eps) return v.slice();
  const u = d.map(Math.abs).sort((a, b) => b - a);
  let cum = 0, theta = 0;
  for (let i = 0; i < u.length; i++) {
    cum += u[i]!;
    const t = (cum - eps) / (i + 1);
    if (u[i]! > t) theta = t;
  }
  return d.map((di, j) => x[j]! + Math.sign(di) * Math.max(Math.abs(di) - theta, 0));
}

export function checkpointsRef(steps: number): number[] {
  const p = [0, 0.22];
  while (true) {
    const n = p[p.length - 1]! + Math.max(p[p.length - 1]! - p[p.length - 2]! - 0.03, 0.06);
    if (n > 1 + 1e-9) break;
    p.push(n);
  }
  return [...new Set(p.map((q) => Math.ceil(q * steps - 1e-7)))];
}

export interface RefSettings {
  norm: 'linf' | 'l2' | 'l1'; eps: number; steps: number; loss: 'ce' | 'dlr'; l1Fraction?: number;
  /** another objective to maximise, with its input gradient (replaces loss) */
  objective?: (p: Vec) => { f: number; g: Vec };
}

/**
 * The iterates x_1..x_N (after checkpoint restarts) and the step size after each iteration.
 * `decidedUntil`: the first iteration whose comparisons of f are within rounding (|Δf| below 1e-12
 * relative) — from there on two correct implementations may legitimately part ways, so a comparison
 * stops there (an exact tie is the same point, not rounding); `halvings` counts the halvings before it.
 */
export function apgdReference(m: LinearModel, x: Vec, y: number, s: RefSettings): { xs: Vec[]; etas: number[]; halvings: number; decidedUntil: number } {
  const d = x.length;
  const box = (v: Vec) => v.map((a) => Math.min(Math.max(a, 0), 1));
  const proj = (v: Vec): Vec => {
    if (s.norm === 'linf') return box(v.map((a, j) => Math.min(Math.max(a, x[j]! - s.eps), x[j]! + s.eps)));
    if (s.norm === 'l2') {
      const n = Math.hypot(...v.map((a, j) => a - x[j]!));
      const f = Math.min(1, s.eps / Math.max(n, 1e-12));
      return box(v.map((a, j) => x[j]! + (a - x[j]!) * f));
    }
    return projectL1BoxRef(v, x, s.eps);
  };
  const evalAt = s.objective ?? ((p: Vec) => { const r = lossAndLogitGrad(s.loss, logitsOf(m, p), y); return { f: r.f, g: inputGrad(m, r.dz) }; });
  let k = Math.max(1, Math.ceil((s.l1Fraction ?? 0.1) * d));
  const direction = (g: Vec, p: Vec): Vec => {
    if (s.norm === 'linf') return g.map(Math.sign);
    if (s.norm === 'l2') { const n = Math.max(Math.hypot(...g), 1e-12); return g.map((a) => a / n); }
    const free = g.map((a, j) => ((p[j]! >= 1 && a > 0) || (p[j]! <= 0 && a < 0) ? 0 : a));
    const kth = free.map(Math.abs).sort((a, b) => b - a)[k - 1]!;
    const u = free.map((a) => (Math.abs(a) >= kth && Math.abs(a) > 0 ? Math.sign(a) : 0));
    const n = Math.max(u.reduce((t, a) => t + Math.abs(a), 0), 1);
    return u.map((a) => a / n);
  };
  const checks = checkpointsRef(s.steps);
  let eta = (s.norm === 'l1' ? 1 : 2) * s.eps;
  let cur = x.slice(), prev = x.slice();
  let { f, g } = evalAt(cur);
  let xMax = cur.slice(), fMax = f, gMax = g.slice();
  let increases = 0, lastCheck = 0, halvedLast = false, fMaxLast = f, halvings = 0, decidedUntil = s.steps + 1;
  // an exact tie is the same point in both implementations (deterministic); a near tie is rounding
  const close = (a: number, b: number) => a !== b && Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a));
  const xs: Vec[] = [], etas: number[] = [];
  for (let i = 0; i < s.steps; i++) {
    const a = i === 0 ? 1 : 0.75;
    const dir = direction(g, cur);
    const z = proj(cur.map((c, j) => c + eta * dir[j]!));
    const next = proj(cur.map((c, j) => c + a * (z[j]! - c) + (1 - a) * (c - prev[j]!)));
    const e = evalAt(next);
    const checking = checks.includes(i + 1);
    if (decidedUntil > s.steps && (close(e.f, f) || close(e.f, fMax) || (checking && close(Math.max(fMax, e.f), fMaxLast)))) decidedUntil = i + 1;
    if (e.f > f) increases++;
    if (e.f > fMax) { fMax = e.f; xMax = next.slice(); gMax = e.g.slice(); }
    prev = cur; cur = next; f = e.f; g = e.g;
    if (checking) {
      const span = i + 1 - lastCheck;
      const halve = increases < 0.75 * span || (!halvedLast && fMax <= fMaxLast);
      if (halve) {
        eta /= 2; cur = xMax.slice(); g = gMax.slice(); f = fMax;
        if (i + 1 < decidedUntil) halvings++;
        if (s.norm === 'l1') k = Math.min(Math.max(1, Math.floor(xMax.filter((v, j) => v !== x[j]).length / 1.5)), d);
      }
      halvedLast = halve; fMaxLast = fMax; increases = 0; lastCheck = i + 1;
    }
    xs.push(cur.slice()); etas.push(eta);
  }
  return { xs, etas, halvings, decidedUntil };
}
