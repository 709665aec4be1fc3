// out[i] = Σ_c partial[c·size + i], in chunk order (deterministic second pass of split reductions).
// P: size, chunks
@group(0) @binding(0) var<storage, read> P: array<u32>;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(wid, lid, nwg);
  if (i >= P[0]) { return; }
  var acc = 0.0;
  for (var c = 0u; c < P[1]; c++) { acc += partial[c * P[0] + i]; }
  out[i] = acc;
}
