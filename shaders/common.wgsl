// Shared by every kernel (prepended by the backend): parameters arrive as a u32 array in a
// read-only storage buffer; floats are bit-cast. Large grids fold into 2-D dispatches, so the
// linear invocation index is rebuilt from the workgroup id and the number of workgroups.
fn linearIndex(wid: vec3<u32>, lid: u32, nwg: vec3<u32>) -> u32 {
  return (wid.y * nwg.x + wid.x) * 64u + lid;
}
fn pf(i: u32) -> f32 { return bitcast<f32>(P[i]); }
fn pi(i: u32) -> i32 { return bitcast<i32>(P[i]); }
