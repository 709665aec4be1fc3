// Max pooling over NCHW planes and its gradient.
// forward: one invocation per output cell scans its window in row-major order; a cell replaces
//   the best only when strictly greater, so ties go to the FIRST maximum (PyTorch); padding is
//   never a candidate; a NaN wins (the first NaN) so it propagates. argmax = h·inW + w in the plane.
// backward: one invocation per input cell gathers dy from every window that contains the cell and
//   chose it (argmax == its index): a fixed-order sum, no float atomics.
//!include dispatch
//!include math

struct Params {
  planes: u32, inH: u32, inW: u32, outH: u32, outW: u32,
  kH: i32, kW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32,
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<{{T}}>;
@group(0) @binding(2) var<storage, read> argmaxIn: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding(4) var<storage, read_write> argmaxOut: array<i32>;

const WG: u32 = {{WG}}u;

fn isNanT(v: {{T}}) -> bool { return {{NAN_TEST}}; }

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let q = linearWorkgroup(wid, nwg) * WG + lid;
  if (q >= params.count) { return; }
  let ox = i32(q % params.outW);
  let oy = i32((q / params.outW) % params.outH);
  let plane = q / (params.outW * params.outH);
  let inH = i32(params.inH);
  let inW = i32(params.inW);
  let hs = oy * params.strideH - params.padTop;
  let ws = ox * params.strideW - params.padLeft;
  let h0 = max(hs, 0);
  let h1 = min(hs + params.kH, inH);
  let w0 = max(ws, 0);
  let w1 = min(ws + params.kW, inW);
  let base = plane * params.inH * params.inW;
  var at = h0 * inW + w0;
  var best = input[base + u32(at)];
  var done = isNanT(best);
  for (var h = h0; h < h1 && !done; h++) {
    for (var w = select(w0, w0 + 1, h == h0); w < w1; w++) {
      let v = input[base + u32(h * inW + w)];
      if (v > best) {
        best = v;
        at = h * inW + w;
      } else if (isNanT(v)) {
        best = v;
        at = h * inW + w;
        done = true;
        break;
      }
    }
  }
  out[q] = best;
  argmaxOut[q] = at;
}

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let q = linearWorkgroup(wid, nwg) * WG + lid;
  if (q >= params.count) { return; }
  let ix = i32(q % params.inW);
  let iy = i32((q / params.inW) % params.inH);
  let plane = q / (params.inW * params.inH);
  let cell = iy * i32(params.inW) + ix;
  // windows oy with oy·s − pad ≤ iy < oy·s − pad + k
  let loH = iy + params.padTop - params.kH + 1;
  let loW = ix + params.padLeft - params.kW + 1;
  let oy0 = select(0, (loH + params.strideH - 1) / params.strideH, loH > 0);
  let ox0 = select(0, (loW + params.strideW - 1) / params.strideW, loW > 0);
  let oy1 = min(i32(params.outH) - 1, (iy + params.padTop) / params.strideH);
  let ox1 = min(i32(params.outW) - 1, (ix + params.padLeft) / params.strideW);
  let outBase = plane * params.outH * params.outW;
  var acc = {{T}}(0);
  for (var oy = oy0; oy <= oy1; oy++) {
    for (var ox = ox0; ox <= ox1; ox++) {
      let o = outBase + u32(oy) * params.outW + u32(ox);
      if (argmaxIn[o] == cell) { acc += input[o]; }
    }
  }
  out[q] = acc;
}
