// Fused GM loss forward (docs/gm-loss.md), two entry points:
// rows: one workgroup per sample i; its lanes take classes k = lane, lane + WG, ... and compute
//   d_k, h_k and the training logits z_k = −h_k − (1 + m·[k = y])·d_k (written to `logits`),
//   keeping per lane an online log-sum-exp (running max and rescaled sum), the first argmin of
//   d_k + h_k (the prediction: argmax of the no-margin logits), min d_k (the detection score) and
//   Σ d_k; a workgroup-memory tree combines the lanes. Lane 0 writes logSumExp, score and the
//   sample's loss lse − z_y + λ·lkd into `stats` ([3][N]) and the prediction.
//   lkd: 'true-class' d_y + h_y, 'true-class-sq' 2·d_y + h_y, 'all-class' (1/K) Σ_k 2·d_k.
//   A label outside [0, K) makes the sample's loss NaN (the GPU cannot throw).
// rowsSubgroup (gmLossRowsSubgroup.wgsl, devices with subgroups): the same with one subgroup per
//   row and subgroup operations in place of the tree.
// DIST_CACHED (gmDistance.wgsl): distances read from gmDistanceTiled's pass instead of computed.
// mean: one workgroup sums the N sample losses in a fixed tree and writes loss = sum / N.
//!include dispatch
//!include math

const WG: u32 = {{WG}}u;
const LIKELIHOOD: u32 = {{LIKELIHOOD}}u;

struct Params { n: u32, k: u32, d: u32, margin: f32, lambda: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> means: array<f32>;
@group(0) @binding(3) var<storage, read> logVar: array<f32>;
@group(0) @binding(4) var<storage, read> labels: array<i32>;
@group(0) @binding(5) var<storage, read_write> logits: array<f32>;
@group(0) @binding(6) var<storage, read_write> prediction: array<i32>;
@group(0) @binding(7) var<storage, read_write> stats: array<f32>;
@group(0) @binding(8) var<storage, read_write> loss: array<f32>;
@group(0) @binding(9) var<storage, read> distCache: array<f32>;

//!include gmDistance

var<workgroup> laneMax: array<f32, WG>;
var<workgroup> laneSum: array<f32, WG>;
var<workgroup> laneCrit: array<f32, WG>;
var<workgroup> laneArg: array<u32, WG>;
var<workgroup> laneMinD: array<f32, WG>;
var<workgroup> laneSumD: array<f32, WG>;
var<workgroup> trueClass: vec3<f32>;

const NONE: u32 = 0xffffffffu;

// row i's label; trueClass reset before any lane can write it
fn beginRow(i: u32, lane: u32) -> i32 {
  if (lane == 0u) { trueClass = vec3<f32>(nan(), nan(), nan()); }
  workgroupBarrier();
  return labels[i];
}

// one lane's share of row i: classes k = lane, lane + stride, ... (logits written, the true class's
// z, d, h left in trueClass)
struct LaneStats { m: f32, s: f32, crit: f32, arg: u32, minD: f32, sumD: f32 }

fn laneStats(i: u32, y: i32, lane: u32, stride: u32) -> LaneStats {
  var st = LaneStats(-inf(), 0.0, inf(), NONE, inf(), 0.0);
  for (var k = lane; k < params.k; k += stride) {
    let dist = gmDistance(i, k);
    let isTrue = i32(k) == y;
    let z = -dist.h - select(1.0, 1.0 + params.margin, isTrue) * dist.d;
    logits[i * params.k + k] = z;
    if (z > st.m) {
      st.s = st.s * exp(st.m - z) + 1.0;
      st.m = z;
    } else {
      st.s += exp(z - st.m);
    }
    let c = dist.d + dist.h;
    if (c < st.crit) { st.crit = c; st.arg = k; }
    if (dist.d < st.minD) { st.minD = dist.d; }
    st.sumD += dist.d;
    if (isTrue) { trueClass = vec3<f32>(z, dist.d, dist.h); }
  }
  return st;
}

// the row's results from the combined lanes (one lane writes)
fn finishRow(i: u32, y: i32, total: LaneStats) {
  let lse = total.m + log(total.s);
  let t = trueClass;
  var lkd: f32;
  if (LIKELIHOOD == 0u) { lkd = t.y + t.z; }
  else if (LIKELIHOOD == 1u) { lkd = 2.0 * t.y + t.z; }
  else { lkd = 2.0 * total.sumD / f32(params.k); }
  var rowLoss = lse - t.x + params.lambda * lkd;
  if (y < 0 || u32(y) >= params.k) { rowLoss = nan(); }
  stats[i] = lse;
  stats[params.n + i] = total.minD;
  stats[2u * params.n + i] = rowLoss;
  prediction[i] = i32(select(total.arg, 0u, total.arg == NONE));
}

@compute @workgroup_size(WG)
fn rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lane: u32) {
  let i = linearWorkgroup(wid, nwg);
  if (i >= params.n) { return; }
  let y = beginRow(i, lane);
  let st = laneStats(i, y, lane, WG);
  laneMax[lane] = st.m;
  laneSum[lane] = st.s;
  laneCrit[lane] = st.crit;
  laneArg[lane] = st.arg;
  laneMinD[lane] = st.minD;
  laneSumD[lane] = st.sumD;
  workgroupBarrier();
  for (var step = WG / 2u; step > 0u; step = step / 2u) {
    if (lane < step) {
      let o = lane + step;
      let m1 = laneMax[lane];
      let m2 = laneMax[o];
      let mm = max(m1, m2);
      // a lane that saw no class has sum 0 (and max −inf): it adds nothing
      let s1 = select(laneSum[lane] * exp(m1 - mm), 0.0, laneSum[lane] == 0.0);
      let s2 = select(laneSum[o] * exp(m2 - mm), 0.0, laneSum[o] == 0.0);
      laneMax[lane] = mm;
      laneSum[lane] = s1 + s2;
      let c2 = laneCrit[o];
      let a2 = laneArg[o];
      if (a2 != NONE && (laneArg[lane] == NONE || c2 < laneCrit[lane] || (c2 == laneCrit[lane] && a2 < laneArg[lane]))) {
        laneCrit[lane] = c2;
        laneArg[lane] = a2;
      }
      if (laneMinD[o] < laneMinD[lane]) { laneMinD[lane] = laneMinD[o]; }
      laneSumD[lane] = laneSumD[lane] + laneSumD[o];
    }
    workgroupBarrier();
  }
  if (lane == 0u) {
    finishRow(i, y, LaneStats(laneMax[0], laneSum[0], laneCrit[0], laneArg[0], laneMinD[0], laneSumD[0]));
  }
}

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn mean(@builtin(local_invocation_index) lane: u32) {
  var acc = 0.0;
  for (var i = lane; i < params.n; i += WG) { acc += stats[2u * params.n + i]; }
  partial[lane] = acc;
  workgroupBarrier();
  for (var step = WG / 2u; step > 0u; step = step / 2u) {
    if (lane < step) { partial[lane] = partial[lane] + partial[lane + step]; }
    workgroupBarrier();
  }
  if (lane == 0u) { loss[0] = partial[0] / f32(params.n); }
}
