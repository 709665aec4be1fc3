// y = f(x) elementwise; EXPR is specialised per op (x, p0, p1 in scope). P: size, p0, p1
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
fn erf_(x: f32) -> f32 {
  // Abramowitz–Stegun 7.1.26 refined: |error| < 1.5e-7
  let t = 1.0 / (1.0 + 0.3275911 * abs(x));
  let y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
  return select(-y, y, x >= 0.0);
}
fn isFinite_(x: f32) -> bool { return x == x && abs(x) <= 3.4028234663852886e38; }
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(wid, lid, nwg);
  if (i >= P[0]) { return; }
  let x = src[i];
  let p0 = pf(1u);
  let p1 = pf(2u);
  out[i] = EXPR;
}
