// Softmax / log-softmax over the last axis of x viewed as [rows, cols]. The row maximum is
// subtracted first (NaN-propagating: a row holding NaN gives NaN), so exp never overflows. A row
// holding +∞ gives NaN too (∞ − ∞), as the reference: expNan keeps the NaN that some exp builtins
// (SwiftShader's) turn into +∞.
// Two entry points: rowPerWorkgroup (WG lanes share a row: max, sum of exponentials, then the
// outputs, with workgroup-memory tree reductions) for long rows; rowPerThread (each invocation
// walks one row) for short rows such as class logits.
//!include dispatch
//!include math

const WG: u32 = {{WG}}u;
const LOG: bool = {{LOG}};

struct Params { rows: u32, cols: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> tree: array<f32, WG>;

fn expNan(v: f32) -> f32 { return select(exp(v), v, isNan(v)); }

fn finish(v: f32, m: f32, sum: f32) -> f32 {
  if (LOG) { return select(v - m - log(sum), sum, isNan(sum)); }
  return expNan(v - m) / sum;
}

@compute @workgroup_size(WG)
fn rowPerWorkgroup(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) lid: u32) {
  let row = linearWorkgroup(wid, nwg);
  if (row >= params.rows) { return; }
  let base = row * params.cols;
  var m = -inf();
  for (var c = lid; c < params.cols; c += WG) { m = maxNan(m, x[base + c]); }
  tree[lid] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { tree[lid] = maxNan(tree[lid], tree[lid + s]); }
    workgroupBarrier();
  }
  m = tree[0];
  workgroupBarrier();
  var sum = 0.0;
  for (var c = lid; c < params.cols; c += WG) { sum += expNan(x[base + c] - m); }
  tree[lid] = sum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { tree[lid] = tree[lid] + tree[lid + s]; }
    workgroupBarrier();
  }
  sum = tree[0];
  for (var c = lid; c < params.cols; c += WG) { out[base + c] = finish(x[base + c], m, sum); }
}

@compute @workgroup_size(WG)
fn rowPerThread(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let row = linearWorkgroup(wid, nwg) * WG + lid;
  if (row >= params.rows) { return; }
  let base = row * params.cols;
  var m = -inf();
  for (var c = 0u; c < params.cols; c++) { m = maxNan(m, x[base + c]); }
  var sum = 0.0;
  for (var c = 0u; c < params.cols; c++) { sum += expNan(x[base + c] - m); }
  for (var c = 0u; c < params.cols; c++) { out[base + c] = finish(x[base + c], m, sum); }
}
