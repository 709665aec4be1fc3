// out[b] = A[b] · B[b] with A [m, k] (or [k, m] when TRANS_A) and B [k, n] (or [n, k] when TRANS_B),
// read in place. Each invocation computes a 4×4 block of outputs held in registers (no workgroup
// memory and no barriers: the fastest variant on software adapters, and a sound one on GPUs).
// P: batch, m, n, k, aBatchStride, bBatchStride
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

fn aAt(base: u32, row: u32, col: u32, m: u32, k: u32) -> f32 {
  if (TRANS_A) { return A[base + col * m + row]; }
  return A[base + row * k + col];
}
fn bAt(base: u32, row: u32, col: u32, n: u32, k: u32) -> f32 {
  if (TRANS_B) { return B[base + col * k + row]; }
  return B[base + row * n + col];
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let m = P[1]; let n = P[2]; let k = P[3];
  let col0 = gid.x * 4u;
  let row0 = gid.y * 4u;
  let b = gid.z;
  if (row0 >= m || col0 >= n || b >= P[0]) { return; }
  let aBase = b * P[4];
  let bBase = b * P[5];
  var acc: array<vec4<f32>, 4>;
  let fullRows = row0 + 4u <= m;
  let fullCols = col0 + 4u <= n;
  for (var kk = 0u; kk < k; kk++) {
    var bv = vec4<f32>(0.0);
    if (fullCols) {
      bv = vec4<f32>(bAt(bBase, kk, col0, n, k), bAt(bBase, kk, col0 + 1u, n, k), bAt(bBase, kk, col0 + 2u, n, k), bAt(bBase, kk, col0 + 3u, n, k));
    } else {
      for (var c = 0u; c < 4u; c++) { if (col0 + c < n) { bv[c] = bAt(bBase, kk, col0 + c, n, k); } }
    }
    for (var r = 0u; r < 4u; r++) {
      if (fullRows || row0 + r < m) {
        acc[r] += aAt(aBase, row0 + r, kk, m, k) * bv;
      }
    }
  }
  let oBase = b * m * n;
  for (var r = 0u; r < 4u; r++) {
    if (row0 + r >= m) { break; }
    for (var c = 0u; c < 4u; c++) {
      if (col0 + c < n) { out[oBase + (row0 + r) * n + col0 + c] = acc[r][c]; }
    }
  }
}
