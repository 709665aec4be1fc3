// dX: each input cell gathers dY / divisor from every window that covers it.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = pool();
  let i = linearIndex(wid, lid, nwg);
  if (i >= p.n * p.c * p.inH * p.inW) { return; }
  let ix = i32(i % p.inW);
  let iy = i32((i / p.inW) % p.inH);
  let plane = i / (p.inW * p.inH);
  var acc = 0.0;
  let oy0 = max(0, (iy + p.pT - i32(p.kH) + p.sH) / p.sH);
  let oy1 = min(i32(p.outH) - 1, (iy + p.pT) / p.sH);
  let ox0 = max(0, (ix + p.pL - i32(p.kW) + p.sW) / p.sW);
  let ox1 = min(i32(p.outW) - 1, (ix + p.pL) / p.sW);
  for (var oy = oy0; oy <= oy1; oy++) {
    for (var ox = ox0; ox <= ox1; ox++) {
      acc += DY[(plane * p.outH + u32(oy)) * p.outW + u32(ox)] / avgDivisor(p, oy, ox);
    }
  }
  out[i] = acc;
}
