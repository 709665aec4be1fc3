// x viewed as [outer, reduce, inner] → out [outer, inner]. One workgroup per output element:
// 64 invocations stride over the reduced axis, then a tree reduction in workgroup memory.
// OP is sum | prod | max | min | argmax | argmin (arg ops keep the first index on ties).
// P: outer, reduce, inner
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> X: array<T>;
@group(0) @binding(2) var<storage, read_write> out: array<TOUT>;
var<workgroup> vals: array<T, 64>;
var<workgroup> idxs: array<u32, 64>;
const NOIDX: u32 = 0xffffffffu;

fn better(a: T, ai: u32, b: T, bi: u32) -> bool {
  // is (a, ai) preferred over (b, bi)?
  if (bi == NOIDX) { return ai != NOIDX; }
  if (ai == NOIDX) { return false; }
  if (a != a) { return b == b || ai < bi; }   // NaN wins (first one)
  if (b != b) { return false; }
  if (a == b) { return ai < bi; }
  return CMP;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = wid.y * nwg.x + wid.x;
  let outer = P[0]; let red = P[1]; let inner = P[2];
  if (o >= outer * inner) { return; }
  let oo = o / inner; let ii = o % inner;
  let base = oo * red * inner + ii;
  var acc: T = INIT;
  var accI: u32 = NOIDX;
  for (var r = lid; r < red; r += 64u) {
    let v = X[base + r * inner];
    ACCUMULATE
  }
  vals[lid] = acc;
  idxs[lid] = accI;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let a = vals[lid]; let ai = idxs[lid];
      let b = vals[lid + s]; let bi = idxs[lid + s];
      COMBINE
    }
    workgroupBarrier();
  }
  if (lid == 0u) { out[o] = RESULT; }
}
