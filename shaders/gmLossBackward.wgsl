// GM backward, pass 2. WHICH selects the output: 0 → dX [N, D] (sum over classes),
// 1 → dM [K, D] (sum over samples), 2 → dlogVar [K, D] (sum over samples).
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> M: array<f32>;
@group(0) @binding(3) var<storage, read> V: array<f32>;
@group(0) @binding(4) var<storage, read> CD: array<f32>;
@group(0) @binding(5) var<storage, read> CL: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
fn invVar(g: GM, k: u32, j: u32) -> f32 { if (g.diag) { return exp(-V[k * g.d + j]); } return 1.0; }
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = gm();
  let t = linearIndex(wid, lid, nwg);
  var acc = 0.0;
  if (WHICH == 0u) {
    if (t >= g.n * g.d) { return; }
    let i = t / g.d; let j = t % g.d;
    for (var k = 0u; k < g.k; k++) { acc += CD[i * g.k + k] * (X[t] - M[k * g.d + j]) * invVar(g, k, j); }
  } else {
    if (t >= g.k * g.d) { return; }
    let k = t / g.d; let j = t % g.d;
    for (var i = 0u; i < g.n; i++) {
      let df = X[i * g.d + j] - M[t];
      if (WHICH == 1u) { acc -= CD[i * g.k + k] * df * invVar(g, k, j); }
      else { acc += -0.5 * CD[i * g.k + k] * df * df * invVar(g, k, j) + 0.5 * CL[i * g.k + k]; }
    }
  }
  out[t] = acc;
}
