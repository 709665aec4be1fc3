// Grid folding, included by every kernel. The host spreads a 1-D count of workgroups over x, y and
// z when it exceeds maxComputeWorkgroupsPerDimension (65535 on most adapters), so a kernel never
// reads workgroup_id.x alone: it recovers the linear workgroup index here and returns early when
// that index is past the end (the last row of a folded grid is partly empty).
fn linearWorkgroup(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + nwg.x * (wid.y + nwg.y * wid.z);
}
