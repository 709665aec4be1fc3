// GEMM core for hardware GPUs: workgroup tiles staged in double-buffered workgroup memory, vec4
// staging and vec4 reads of the stages, and an RM×RN register block per invocation (4×4 or 8×8).
// A 16×16 workgroup computes a TM×TN tile of C (TM = 16·RM, TN = 16·RN); K advances in slices of
// TK. Each iteration issues the global loads of the next slice into registers, runs the TK
// rank-1 updates of the current slice from one stage, then stores the registers into the other
// stage: one barrier per slice, and the loads' latency hides behind the arithmetic.
//
// Stages hold vec4 quads: A as [k][row quad] and B as [k][column quad], so an invocation reads
// its RM rows as RM/4 vec4 (all lanes of a row of the workgroup read the same words: broadcast)
// and its RN columns as RN/4 vec4 from column quads 16 apart (neighbouring lanes, neighbouring
// quads: no bank conflicts). Its columns are col0 + 64·j + c (j < RN/4, c < 4).
//
// Staging: every invocation fetches QA quads of A (4 consecutive rows at one k) and QB quads of B
// (4 consecutive columns at one k) per slice through the fetch functions placed before this core
// (gemmFetchScalar.wgsl for any problem; matmulOperandsVec4.wgsl reads whole vec4 where an
// operand is contiguous): aQuad/bQuad hoist the addressing of a quad out of the k loop,
// fetchA/fetchB load it. A_K_FAST / B_K_FAST choose which index varies fastest across lanes,
// so that neighbouring lanes read neighbouring addresses (K-fast for an operand contiguous
// along k, such as a row-major A). Slices past the end of K are zero; rows and columns past the
// edges are clamped for loading and never stored.
//
// Each output's products are added in the same order as the other cores (k ascending from the
// start of its K chunk), so every core computes the same sums. The epilogue (gemmEpilogue.wgsl
// or gemmEpilogueNone.wgsl) is applied to each value as it is stored.
//!include dispatch

const RM: u32 = {{RM}}u;
const RN: u32 = {{RN}}u;
const TK: u32 = {{TK}}u;
const TM: u32 = 16u * RM;
const TN: u32 = 16u * RN;
const QA: u32 = TM * TK / 1024u;
const QB: u32 = TN * TK / 1024u;
const A_K_FAST: bool = {{A_K_FAST}};
const B_K_FAST: bool = {{B_K_FAST}};

var<workgroup> stageA: array<vec4<{{T}}>, 2u * TK * TM / 4u>;
var<workgroup> stageB: array<vec4<{{T}}>, 2u * TK * TN / 4u>;

// slot g (0 ≤ g < TM·TK/4) of A's slice: its row quad and its k
fn aSlot(g: u32) -> vec2<u32> {
  if (A_K_FAST) { return vec2<u32>(g / TK, g % TK); }
  return vec2<u32>(g % (TM / 4u), g / (TM / 4u));
}

fn bSlot(g: u32) -> vec2<u32> {
  if (B_K_FAST) { return vec2<u32>(g / TK, g % TK); }
  return vec2<u32>(g % (TN / 4u), g / (TN / 4u));
}

fn storeOut(batch: u32, split: u32, row: u32, col: u32, v: {{T}}) {
  if (col < params.n) { storeC(batch, split, row, col, epilogue(batch, row, col, v)); }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let lw = linearWorkgroup(wid, nwg);
  let tiles = params.tilesM * params.tilesN;
  let z = lw / tiles;
  if (z >= params.batches * params.splits) { return; }
  let t = lw % tiles;
  let rowBase = (t / params.tilesN) * TM;
  let colBase = (t % params.tilesN) * TN;
  let batch = z % params.batches;
  let split = z / params.batches;
  let kBegin = split * params.kChunk;
  let kEnd = min(params.k, kBegin + params.kChunk);
  let slices = (kEnd - kBegin + TK - 1u) / TK;

  // this invocation's staging slots: hoisted addressing, k offset within the slice
  var aq: array<AQuad, QA>;
  var ak: array<u32, QA>;
  var ai: array<u32, QA>;
  for (var q = 0u; q < QA; q++) {
    let s = aSlot(li + 256u * q);
    aq[q] = aQuad(batch, rowBase + 4u * s.x);
    ak[q] = s.y;
    ai[q] = s.y * (TM / 4u) + s.x;
  }
  var bq: array<BQuad, QB>;
  var bk: array<u32, QB>;
  var bi: array<u32, QB>;
  for (var q = 0u; q < QB; q++) {
    let s = bSlot(li + 256u * q);
    bq[q] = bQuad(batch, colBase + 4u * s.x);
    bk[q] = s.y;
    bi[q] = s.y * (TN / 4u) + s.x;
  }
  var ra: array<vec4<{{T}}>, QA>;
  var rb: array<vec4<{{T}}>, QB>;
  var acc: array<vec4<{{T}}>, RM * RN / 4u>;

  // iteration s loads slice s into registers, computes slice s − 1 from its stage meanwhile, then
  // stores slice s into the other stage; one barrier site (barriers are costly to compile on
  // SwiftShader, which runs this core in CI)
  for (var s = 0u; s <= slices; s++) {
    let loading = s < slices;
    if (loading) {
      let k0 = kBegin + s * TK;
      for (var q = 0u; q < QA; q++) {
        let kk = k0 + ak[q];
        ra[q] = select(vec4<{{T}}>(), fetchA(aq[q], kInfo(batch, min(kk, kEnd - 1u))), kk < kEnd);
      }
      for (var q = 0u; q < QB; q++) {
        let kk = k0 + bk[q];
        rb[q] = select(vec4<{{T}}>(), fetchB(kInfo(batch, min(kk, kEnd - 1u)), bq[q]), kk < kEnd);
      }
    }
    if (s > 0u) {
      let cur = (s - 1u) % 2u;
      let aBase = cur * TK * (TM / 4u) + lid.y * (RM / 4u);
      let bBase = cur * TK * (TN / 4u) + lid.x;
      for (var k = 0u; k < TK; k++) {
        var a: array<vec4<{{T}}>, RM / 4u>;
        for (var i = 0u; i < RM / 4u; i++) { a[i] = stageA[aBase + k * (TM / 4u) + i]; }
        for (var j = 0u; j < RN / 4u; j++) {
          let b = stageB[bBase + k * (TN / 4u) + 16u * j];
          for (var r = 0u; r < RM; r++) {
            acc[r * (RN / 4u) + j] += a[r / 4u][r % 4u] * b;
          }
        }
      }
    }
    if (loading) {
      let next = (s % 2u) * TK;
      for (var q = 0u; q < QA; q++) { stageA[next * (TM / 4u) + ai[q]] = ra[q]; }
      for (var q = 0u; q < QB; q++) { stageB[next * (TN / 4u) + bi[q]] = rb[q]; }
    }
    workgroupBarrier();
  }

  let row0 = rowBase + lid.y * RM;
  let col0 = colBase + lid.x * 4u;
  for (var r = 0u; r < RM; r++) {
    let row = row0 + r;
    if (row >= params.m) { break; }
    for (var j = 0u; j < RN / 4u; j++) {
      let v = acc[r * (RN / 4u) + j];
      let col = col0 + 64u * j;
      storeOut(batch, split, row, col, v.x);
      storeOut(batch, split, row, col + 1u, v.y);
      storeOut(batch, split, row, col + 2u, v.z);
      storeOut(batch, split, row, col + 3u, v.w);
    }
  }
}
