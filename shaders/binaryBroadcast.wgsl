// out = a OP b with both read through strided views of the output shape (stride 0 broadcasts).
// P: size, rank, aOffset, bOffset, shape[6], aStrides[6], bStrides[6]
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> A: array<T>;
@group(0) @binding(2) var<storage, read> B: array<T>;
@group(0) @binding(3) var<storage, read_write> out: array<T>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(wid, lid, nwg);
  if (i >= P[0]) { return; }
  var rem = i;
  var ao = pi(2u);
  var bo = pi(3u);
  for (var d = i32(P[1]) - 1; d >= 0; d--) {
    let n = P[4u + u32(d)];
    let k = i32(rem % n);
    ao += k * pi(10u + u32(d));
    bo += k * pi(16u + u32(d));
    rem /= n;
  }
  let a = A[u32(ao)];
  let b = B[u32(bo)];
  out[i] = EXPR;
}
