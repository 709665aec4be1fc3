// Reduction of x viewed as [outer, reduce, inner] into [outer, chunks, inner]: chunk c covers the
// reduced indices [c·chunkLen, min(reduce, (c+1)·chunkLen)). With chunks = 1 this is the whole
// reduction; a long reduction with few outputs runs as two passes (partials per chunk, then a
// reduction of the partials), so every sum has a fixed order: deterministic, no atomics.
//
// A workgroup covers WX consecutive outputs × WY lanes along the reduced axis. Each lane walks
// its strided share of the range serially, then the WY lanes combine in a workgroup-memory tree.
// Consecutive x-lanes read consecutive inner positions (coalesced); with inner = 1 and a long row,
// WX = 1 and the y-lanes read consecutive elements.
//
// Specialisations: {{T}} dtype; {{COMBINE}}/{{IDENTITY}} the value reduction (sum, prod,
// NaN-propagating max/min); ARG selects argmax/argmin ({{BETTER_CMP}} is > or <), which carry an
// index: the first index of the extreme value wins, a NaN counts as the extreme (PyTorch), and
// ties resolve by the smaller index whatever the order of combination. READ_INDEX: the input is
// a partial pass's values with their indices in xIndex; WRITE_VALUE: a partial pass keeps values.
//!include dispatch
//!include math

const WX: u32 = {{WX}}u;
const WY: u32 = {{WY}}u;
const ARG: bool = {{ARG}};
const READ_INDEX: bool = {{READ_INDEX}};
const WRITE_VALUE: bool = {{WRITE_VALUE}};

struct Params { outer: u32, reduce: u32, inner: u32, chunks: u32, chunkLen: u32, outputs: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<{{T}}>;
@group(0) @binding(2) var<storage, read> xIndex: array<i32>;
@group(0) @binding(3) var<storage, read_write> outValue: array<{{T}}>;
@group(0) @binding(4) var<storage, read_write> outIndex: array<i32>;

var<workgroup> treeValue: array<{{T}}, WX * WY>;
var<workgroup> treeIndex: array<i32, WX * WY>;

fn identity() -> {{T}} { return {{IDENTITY}}; }

fn combine(a: {{T}}, b: {{T}}) -> {{T}} { return {{COMBINE}}; }

fn isNanT(v: {{T}}) -> bool { return {{NAN_TEST}}; }

// does candidate (vb, ib) replace the current best (va, ia)? index −1: no best yet
fn better(va: {{T}}, ia: i32, vb: {{T}}, ib: i32) -> bool {
  if (ib < 0) { return false; }
  if (ia < 0) { return true; }
  let na = isNanT(va);
  let nb = isNanT(vb);
  if (na) { return nb && ib < ia; }
  if (nb) { return true; }
  return vb {{BETTER_CMP}} va || (vb == va && ib < ia);
}

@compute @workgroup_size(WX, WY)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let q = linearWorkgroup(wid, nwg) * WX + lid.x;
  let live = q < params.outputs;
  let i = q % params.inner;
  let oc = q / params.inner;
  let c = oc % params.chunks;
  let o = oc / params.chunks;
  let r0 = c * params.chunkLen;
  let r1 = min(params.reduce, r0 + params.chunkLen);
  var acc = identity();
  var accIndex = -1;
  if (live) {
    for (var r = r0 + lid.y; r < r1; r += WY) {
      let pos = (o * params.reduce + r) * params.inner + i;
      let v = x[pos];
      if (ARG) {
        var idx = i32(r);
        if (READ_INDEX) { idx = xIndex[pos]; }
        if (better(acc, accIndex, v, idx)) { acc = v; accIndex = idx; }
      } else {
        acc = combine(acc, v);
      }
    }
  }
  if (WY > 1u) {
    let slot = lid.y * WX + lid.x;
    treeValue[slot] = acc;
    treeIndex[slot] = accIndex;
    workgroupBarrier();
    for (var s = WY / 2u; s > 0u; s = s / 2u) {
      if (lid.y < s) {
        let other = slot + s * WX;
        if (ARG) {
          if (better(treeValue[slot], treeIndex[slot], treeValue[other], treeIndex[other])) {
            treeValue[slot] = treeValue[other];
            treeIndex[slot] = treeIndex[other];
          }
        } else {
          treeValue[slot] = combine(treeValue[slot], treeValue[other]);
        }
      }
      workgroupBarrier();
    }
    acc = treeValue[lid.x];
    accIndex = treeIndex[lid.x];
  }
  if (live && lid.y == 0u) {
    if (ARG) {
      outIndex[q] = max(accIndex, 0);
      if (WRITE_VALUE) { outValue[q] = acc; }
    } else {
      outValue[q] = acc;
    }
  }
}
