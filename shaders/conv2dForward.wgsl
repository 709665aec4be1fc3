// Forward convolution as an implicit GEMM: each invocation owns one output element and walks
// its receptive field (in/groups × kH × kW) directly from the input, with no im2col buffer.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = conv();
  let i = linearIndex(wid, lid, nwg);
  if (i >= c.n * c.outC * c.outH * c.outW) { return; }
  let ox = i32(i % c.outW);
  let oy = i32((i / c.outW) % c.outH);
  let oc = (i / (c.outW * c.outH)) % c.outC;
  let b = i / (c.outW * c.outH * c.outC);
  let cg = c.inC / c.groups;
  let g = oc / (c.outC / c.groups);
  var acc = 0.0;
  for (var ci = 0u; ci < cg; ci++) {
    let xPlane = (b * c.inC + g * cg + ci) * c.inH;
    let wBase = (oc * cg + ci) * c.kH;
    for (var ky = 0u; ky < c.kH; ky++) {
      let iy = oy * c.sH - c.pT + i32(ky) * c.dH;
      if (iy < 0 || iy >= i32(c.inH)) { continue; }
      for (var kx = 0u; kx < c.kW; kx++) {
        let ix = ox * c.sW - c.pL + i32(kx) * c.dW;
        if (ix < 0 || ix >= i32(c.inW)) { continue; }
        acc += X[(xPlane + u32(iy)) * c.inW + u32(ix)] * W[(wBase + ky) * c.kW + kx];
      }
    }
  }
  out[i] = acc;
}
