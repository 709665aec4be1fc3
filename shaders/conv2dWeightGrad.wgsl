// dW = Σ over (image, output pixel) of dY · X-patch: a long reduction, split into `chunks`
// deterministic partial sums (one invocation per weight element and chunk); reduceChunks.wgsl adds them.
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> DY: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = conv();
  let cg = c.inC / c.groups;
  let wSize = c.outC * cg * c.kH * c.kW;
  let i = linearIndex(wid, lid, nwg);
  if (i >= wSize * c.chunks) { return; }
  let wi = i % wSize;
  let chunk = i / wSize;
  let kx = wi % c.kW;
  let ky = (wi / c.kW) % c.kH;
  let ci = (wi / (c.kW * c.kH)) % cg;
  let oc = wi / (c.kW * c.kH * cg);
  let g = oc / (c.outC / c.groups);
  let ch = g * cg + ci;
  let pixels = c.outH * c.outW;
  let total = c.n * pixels;
  let start = chunk * c.chunkLen;
  let stop = min(total, start + c.chunkLen);
  var acc = 0.0;
  for (var t = start; t < stop; t++) {
    let b = t / pixels;
    let p = t % pixels;
    let oy = i32(p / c.outW);
    let ox = i32(p % c.outW);
    let iy = oy * c.sH - c.pT + i32(ky) * c.dH;
    let ix = ox * c.sW - c.pL + i32(kx) * c.dW;
    if (iy < 0 || iy >= i32(c.inH) || ix < 0 || ix >= i32(c.inW)) { continue; }
    acc += DY[(b * c.outC + oc) * pixels + p] * X[((b * c.inC + ch) * c.inH + u32(iy)) * c.inW + u32(ix)];
  }
  partial[chunk * wSize + wi] = acc;
}
