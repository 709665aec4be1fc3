// The GM loss forward's rows kernel with one subgroup per row (placed after gmLossRows.wgsl, with
// enableSubgroups.wgsl first): WG equals the device's subgroup size, so the workgroup is one
// subgroup and its lanes combine with subgroup operations instead of a workgroup-memory tree —
// no barrier but the one that publishes the true class. The same combination rules as the tree.
@compute @workgroup_size(WG)
fn rowsSubgroup(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lane: u32) {
  let i = linearWorkgroup(wid, nwg);
  if (i >= params.n) { return; }
  let y = beginRow(i, lane);
  let st = laneStats(i, y, lane, WG);
  let m = subgroupMax(st.m);
  // a lane that saw no class has sum 0 (and max −inf): it adds nothing
  let s = subgroupAdd(select(st.s * exp(st.m - m), 0.0, st.s == 0.0));
  let seen = st.arg != NONE;
  let crit = subgroupMin(select(inf(), st.crit, seen));
  let arg = subgroupMin(select(NONE, st.arg, seen && st.crit == crit));
  let minD = subgroupMin(st.minD);
  let sumD = subgroupAdd(st.sumD);
  workgroupBarrier();
  if (lane == 0u) { finishRow(i, y, LaneStats(m, s, crit, arg, minD, sumD)); }
}
