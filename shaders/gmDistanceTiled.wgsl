// The GM distances of every (sample, class) pair in one tiled pass, for the GM loss kernels'
// DIST_CACHED form on GPUs (gmDistance.wgsl's direct form recomputes each distance in the row
// and coefficient kernels, one invocation per pair, which a GPU serves poorly when N·K·D is large):
//   cache[i·K + k] = d_k(x_i) = ½ Σ_j (x_ij − μ_kj)² / s_kj        (distances)
//   cache[N·K + k] = h_k = ½ Σ_j logVar_kj                          (logDets, DIAGONAL only)
// distances: a 16×16 workgroup computes 64 samples × 64 classes, 4×4 per invocation; the feature
// axis advances in slices of 16 staged in workgroup memory (x as sample quads, μ and 1/s as class
// quads; 1/s = e^{−logVar} computed once per staged element). Each pair's terms are added with j
// ascending, as the direct form does, so both forms give the same sums.
//!include dispatch

const DIAGONAL: bool = {{DIAGONAL}};
const TJ: u32 = 16u;

struct Params { n: u32, k: u32, d: u32, tilesK: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> means: array<f32>;
@group(0) @binding(3) var<storage, read> logVar: array<f32>;
@group(0) @binding(4) var<storage, read_write> cache: array<f32>;

var<workgroup> xs: array<vec4<f32>, 256>;  // [j][sample quad]
var<workgroup> ms: array<vec4<f32>, 256>;  // [j][class quad]
var<workgroup> ws: array<vec4<f32>, 256>;  // [j][class quad]: 1/s

@compute @workgroup_size(16, 16)
fn distances(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let t = linearWorkgroup(wid, nwg);
  let i0 = (t / params.tilesK) * 64u;
  if (i0 >= params.n) { return; }
  let k0 = (t % params.tilesK) * 64u;
  let sj = li % TJ;
  let sq = li / TJ;
  var acc: array<vec4<f32>, 4>;
  for (var j0 = 0u; j0 < params.d; j0 += TJ) {
    let j = j0 + sj;
    var xv = vec4<f32>();
    var mv = vec4<f32>();
    var wv = vec4<f32>(1.0);
    if (j < params.d) {
      for (var c = 0u; c < 4u; c++) {
        let i = i0 + 4u * sq + c;
        if (i < params.n) { xv[c] = x[i * params.d + j]; }
        let k = k0 + 4u * sq + c;
        if (k < params.k) {
          mv[c] = means[k * params.d + j];
          if (DIAGONAL) { wv[c] = exp(-logVar[k * params.d + j]); }
        }
      }
    }
    xs[sj * 16u + sq] = xv;
    ms[sj * 16u + sq] = mv;
    ws[sj * 16u + sq] = wv;
    workgroupBarrier();
    for (var jj = 0u; jj < TJ; jj++) {
      let xa = xs[jj * 16u + lid.y];
      let mb = ms[jj * 16u + lid.x];
      let wb = ws[jj * 16u + lid.x];
      for (var r = 0u; r < 4u; r++) {
        let diff = vec4<f32>(xa[r]) - mb;
        if (DIAGONAL) { acc[r] += diff * diff * wb; } else { acc[r] += diff * diff; }
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < 4u; r++) {
    let i = i0 + 4u * lid.y + r;
    if (i >= params.n) { break; }
    for (var c = 0u; c < 4u; c++) {
      let k = k0 + 4u * lid.x + c;
      if (k < params.k) { cache[i * params.k + k] = 0.5 * acc[r][c]; }
    }
  }
}

@compute @workgroup_size(64)
fn logDets(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lane: u32) {
  let k = linearWorkgroup(wid, nwg) * 64u + lane;
  if (k >= params.k) { return; }
  var h = 0.0;
  for (var j = 0u; j < params.d; j++) { h += logVar[k * params.d + j]; }
  cache[params.n * params.k + k] = 0.5 * h;
}
