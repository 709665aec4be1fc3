// Average pooling (divisor per avgDivisor: PyTorch's count_include_pad either way).
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = pool();
  let i = linearIndex(wid, lid, nwg);
  if (i >= p.n * p.c * p.outH * p.outW) { return; }
  let ox = i32(i % p.outW);
  let oy = i32((i / p.outW) % p.outH);
  let plane = i / (p.outW * p.outH);
  var acc = 0.0;
  for (var ky = 0; ky < i32(p.kH); ky++) {
    let iy = oy * p.sH - p.pT + ky;
    if (iy < 0 || iy >= i32(p.inH)) { continue; }
    for (var kx = 0; kx < i32(p.kW); kx++) {
      let ix = ox * p.sW - p.pL + kx;
      if (ix < 0 || ix >= i32(p.inW)) { continue; }
      acc += X[plane * p.inH * p.inW + u32(iy) * p.inW + u32(ix)];
    }
  }
  out[i] = acc / avgDivisor(p, oy, ox);
}
