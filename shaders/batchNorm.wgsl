// Training-mode batch normalisation of x viewed as [outer, c, inner], one workgroup per channel:
// channel ch's values are x[(o·c + ch)·inner + i]. `forward` takes the mean, then the mean squared
// deviation (two passes: it cannot go negative), each with a workgroup-memory tree, writes both and
// normalises, then (batchNormReluForward) adds the residual bound at dy's binding and applies a
// ReLU that keeps NaN (as the relu op does); `backward` sums dy and dy·x̂ in one pass and writes
// dx = weight/√(var + eps) · (dy − Σdy/M − x̂·Σdy·x̂/M), dWeight = Σdy·x̂ and dBias = Σdy.
// Each entry point binds only what it uses (seven and eight storage buffers).
//!include dispatch

const WG: u32 = {{WG}}u;

struct Params { outer: u32, c: u32, inner: u32, eps: f32, hasWeight: u32, hasBias: u32, hasResidual: u32, relu: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
// backward: dy; forward: the residual (when hasResidual)
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
// forward: written; backward: read
@group(0) @binding(5) var<storage, read_write> mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> variance: array<f32>;
// forward: y; backward: dx
@group(0) @binding(7) var<storage, read_write> out: array<f32>;
@group(0) @binding(8) var<storage, read_write> dWeight: array<f32>;
@group(0) @binding(9) var<storage, read_write> dBias: array<f32>;

var<workgroup> tree: array<f32, WG>;

fn at(ch: u32, j: u32) -> u32 {
  let o = j / params.inner;
  return (o * params.c + ch) * params.inner + (j - o * params.inner);
}

fn total(v: f32, lid: u32) -> f32 {
  tree[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { tree[lid] = tree[lid] + tree[lid + s]; }
    workgroupBarrier();
  }
  let t = tree[0];
  workgroupBarrier();
  return t;
}

fn weightOf(ch: u32) -> f32 { return select(1.0, weight[ch], params.hasWeight != 0u); }

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let ch = linearWorkgroup(wid, nwg);
  if (ch >= params.c) { return; }
  let m = params.outer * params.inner;
  var s = 0.0;
  for (var j = lid; j < m; j += WG) { s += x[at(ch, j)]; }
  let mu = total(s, lid) / f32(m);
  var q = 0.0;
  for (var j = lid; j < m; j += WG) { let d = x[at(ch, j)] - mu; q += d * d; }
  let v = total(q, lid) / f32(m);
  if (lid == 0u) { mean[ch] = mu; variance[ch] = v; }
  let scale = weightOf(ch) / sqrt(v + params.eps);
  let shift = select(0.0, bias[ch], params.hasBias != 0u);
  for (var j = lid; j < m; j += WG) {
    let k = at(ch, j);
    var v = (x[k] - mu) * scale + shift;
    if (params.hasResidual != 0u) { v = v + dy[k]; }
    if (params.relu != 0u) { v = select(v, 0.0, v <= 0.0); }
    out[k] = v;
  }
}

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let ch = linearWorkgroup(wid, nwg);
  if (ch >= params.c) { return; }
  let m = params.outer * params.inner;
  let mu = mean[ch];
  let invStd = 1.0 / sqrt(variance[ch] + params.eps);
  var sdy = 0.0;
  var sdyx = 0.0;
  for (var j = lid; j < m; j += WG) {
    let k = at(ch, j);
    let g = dy[k];
    sdy += g;
    sdyx += g * (x[k] - mu) * invStd;
  }
  sdy = total(sdy, lid);
  sdyx = total(sdyx, lid);
  if (lid == 0u) { dWeight[ch] = sdyx; dBias[ch] = sdy; }
  let k0 = weightOf(ch) * invStd;
  let a = sdy / f32(m);
  let b = sdyx / f32(m);
  for (var j = lid; j < m; j += WG) {
    let k = at(ch, j);
    out[k] = k0 * (dy[k] - a - (x[k] - mu) * invStd * b);
  }
}
