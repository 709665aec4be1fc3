// dX = dY ⋆ Wᵀ as a GEMM over (output channel, kernel tap): each invocation owns one input element
// and gathers from the outputs whose windows cover it (no atomics, deterministic).
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = conv();
  let i = linearIndex(wid, lid, nwg);
  if (i >= c.n * c.inC * c.inH * c.inW) { return; }
  let ix = i32(i % c.inW);
  let iy = i32((i / c.inW) % c.inH);
  let ch = (i / (c.inW * c.inH)) % c.inC;
  let b = i / (c.inW * c.inH * c.inC);
  let cg = c.inC / c.groups;
  let og = c.outC / c.groups;
  let g = ch / cg;
  let ci = ch % cg;
  var acc = 0.0;
  for (var ky = 0u; ky < c.kH; ky++) {
    let ty = iy + c.pT - i32(ky) * c.dH;
    if (ty < 0 || ty % c.sH != 0) { continue; }
    let oy = ty / c.sH;
    if (oy >= i32(c.outH)) { continue; }
    for (var kx = 0u; kx < c.kW; kx++) {
      let tx = ix + c.pL - i32(kx) * c.dW;
      if (tx < 0 || tx % c.sW != 0) { continue; }
      let ox = tx / c.sW;
      if (ox >= i32(c.outW)) { continue; }
      for (var o = 0u; o < og; o++) {
        let oc = g * og + o;
        acc += DY[((b * c.outC + oc) * c.outH + u32(oy)) * c.outW + u32(ox)] * W[((oc * cg + ci) * c.kH + ky) * c.kW + kx];
      }
    }
  }
  out[i] = acc;
}
