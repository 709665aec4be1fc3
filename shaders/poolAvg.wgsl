// Average pooling over NCHW planes and its gradient. The divisor of a window is its size clipped
// to the padded input (count_include_pad, PyTorch's default) or the number of real cells in it.
// forward: one invocation per output cell. backward: one invocation per input cell gathers
// dy/divisor from every window containing it (fixed order, no atomics).
//!include dispatch

struct Params {
  planes: u32, inH: u32, inW: u32, outH: u32, outW: u32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32,
  count: u32, countIncludePad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

const WG: u32 = {{WG}}u;

fn inverseDivisor(oy: i32, ox: i32) -> f32 {
  let hs = oy * params.strideH - params.padTop;
  let ws = ox * params.strideW - params.padLeft;
  let inH = i32(params.inH);
  let inW = i32(params.inW);
  var hCount: i32;
  var wCount: i32;
  if (params.countIncludePad != 0u) {
    hCount = min(hs + params.kH, inH + params.padTop) - hs;
    wCount = min(ws + params.kW, inW + params.padLeft) - ws;
  } else {
    hCount = min(hs + params.kH, inH) - max(hs, 0);
    wCount = min(ws + params.kW, inW) - max(ws, 0);
  }
  return 1.0 / f32(hCount * wCount);
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let q = linearWorkgroup(wid, nwg) * WG + lid;
  if (q >= params.count) { return; }
  let ox = i32(q % params.outW);
  let oy = i32((q / params.outW) % params.outH);
  let plane = q / (params.outW * params.outH);
  let hs = oy * params.strideH - params.padTop;
  let ws = ox * params.strideW - params.padLeft;
  let h0 = max(hs, 0);
  let h1 = min(hs + params.kH, i32(params.inH));
  let w0 = max(ws, 0);
  let w1 = min(ws + params.kW, i32(params.inW));
  let base = plane * params.inH * params.inW;
  var sum = 0.0;
  for (var h = h0; h < h1; h++) {
    for (var w = w0; w < w1; w++) { sum += input[base + u32(h) * params.inW + u32(w)]; }
  }
  out[q] = sum * inverseDivisor(oy, ox);
}

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let q = linearWorkgroup(wid, nwg) * WG + lid;
  if (q >= params.count) { return; }
  let ix = i32(q % params.inW);
  let iy = i32((q / params.inW) % params.inH);
  let plane = q / (params.inW * params.inH);
  let loH = iy + params.padTop - params.kH + 1;
  let loW = ix + params.padLeft - params.kW + 1;
  let oy0 = select(0, (loH + params.strideH - 1) / params.strideH, loH > 0);
  let ox0 = select(0, (loW + params.strideW - 1) / params.strideW, loW > 0);
  let oy1 = min(i32(params.outH) - 1, (iy + params.padTop) / params.strideH);
  let ox1 = min(i32(params.outW) - 1, (ix + params.padLeft) / params.strideW);
  let outBase = plane * params.outH * params.outW;
  var acc = 0.0;
  for (var oy = oy0; oy <= oy1; oy++) {
    for (var ox = ox0; ox <= ox1; ox++) {
      acc += input[outBase + u32(oy) * params.outW + u32(ox)] * inverseDivisor(oy, ox);
    }
  }
  out[q] = acc;
}
