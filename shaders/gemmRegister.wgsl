// GEMM core without workgroup memory or barriers: each invocation accumulates a 16×8 block of C
// in registers straight from the operands. On CPU implementations of WebGPU (SwiftShader)
// barrier-tiled kernels run several times slower than this, and the large block is what pays
// there: per step of k, 16 loads of A and 8 of B feed 128 multiply-adds. The invocation's eight
// columns are WGX apart, so neighbouring invocations read neighbouring columns of B (one vector
// load per SIMD group there; coalesced loads on a GPU). The block is written out row by row:
// loops over arrays of accumulators run ~4× slower on SwiftShader, which keeps such arrays in
// memory; private variables become registers once the helper functions are inlined.
//
// An orientation file (gemmOrientNormal or gemmOrientSwapped) between the problem and this core
// maps the core's rows and columns to the problem's (coreRow, coreCol, loadRow, loadCol,
// coreStore, coreM, coreN); the "problem" file placed first supplies the operands:
//   Params fields m, n, k, batches, splits, kChunk, tilesM, tilesN (GEMM sizes; batches = the
//     independent GEMMs, splits = K chunks written to separate partial outputs);
//   structs RowInfo, ColInfo, KInfo and
//   rowInfo(batch, row), colInfo(batch, col), kInfo(batch, kk): per-row/column/k address parts,
//     hoisted out of the k loop; loadA(RowInfo, KInfo), loadB(KInfo, ColInfo) → {{T}};
//   storeC(batch, split, row, col, value).
// Workgroups are linear over (tile column, tile row, batch × split) of the core's orientation; a
// tile is 16·WGY rows by 8·WGX columns. Rows and columns past the edge are clamped for loading (their results are never
// stored), so the k loop has no branches; k advances two steps per iteration.
//!include dispatch

const WGX: u32 = {{WGX}}u;
const WGY: u32 = {{WGY}}u;

var<private> r0: CoreRow; var<private> r1: CoreRow; var<private> r2: CoreRow; var<private> r3: CoreRow;
var<private> r4: CoreRow; var<private> r5: CoreRow; var<private> r6: CoreRow; var<private> r7: CoreRow;
var<private> r8: CoreRow; var<private> r9: CoreRow; var<private> r10: CoreRow; var<private> r11: CoreRow;
var<private> r12: CoreRow; var<private> r13: CoreRow; var<private> r14: CoreRow; var<private> r15: CoreRow;
var<private> c0: CoreCol; var<private> c1: CoreCol; var<private> c2: CoreCol; var<private> c3: CoreCol;
var<private> c4: CoreCol; var<private> c5: CoreCol; var<private> c6: CoreCol; var<private> c7: CoreCol;
// row r of the block: columns 0..3 in lo[r], 4..7 in hi[r]
var<private> lo0: vec4<{{T}}>; var<private> lo1: vec4<{{T}}>; var<private> lo2: vec4<{{T}}>; var<private> lo3: vec4<{{T}}>;
var<private> lo4: vec4<{{T}}>; var<private> lo5: vec4<{{T}}>; var<private> lo6: vec4<{{T}}>; var<private> lo7: vec4<{{T}}>;
var<private> lo8: vec4<{{T}}>; var<private> lo9: vec4<{{T}}>; var<private> lo10: vec4<{{T}}>; var<private> lo11: vec4<{{T}}>;
var<private> lo12: vec4<{{T}}>; var<private> lo13: vec4<{{T}}>; var<private> lo14: vec4<{{T}}>; var<private> lo15: vec4<{{T}}>;
var<private> hi0: vec4<{{T}}>; var<private> hi1: vec4<{{T}}>; var<private> hi2: vec4<{{T}}>; var<private> hi3: vec4<{{T}}>;
var<private> hi4: vec4<{{T}}>; var<private> hi5: vec4<{{T}}>; var<private> hi6: vec4<{{T}}>; var<private> hi7: vec4<{{T}}>;
var<private> hi8: vec4<{{T}}>; var<private> hi9: vec4<{{T}}>; var<private> hi10: vec4<{{T}}>; var<private> hi11: vec4<{{T}}>;
var<private> hi12: vec4<{{T}}>; var<private> hi13: vec4<{{T}}>; var<private> hi14: vec4<{{T}}>; var<private> hi15: vec4<{{T}}>;

// one step of k: the block += column kk of the core's A (16 rows) × row kk of its B (8 columns)
fn accumulate(ki: KInfo) {
  let b = vec4<{{T}}>(loadCol(ki, c0), loadCol(ki, c1), loadCol(ki, c2), loadCol(ki, c3));
  let d = vec4<{{T}}>(loadCol(ki, c4), loadCol(ki, c5), loadCol(ki, c6), loadCol(ki, c7));
  var a: {{T}};
  a = loadRow(r0, ki); lo0 += a * b; hi0 += a * d;
  a = loadRow(r1, ki); lo1 += a * b; hi1 += a * d;
  a = loadRow(r2, ki); lo2 += a * b; hi2 += a * d;
  a = loadRow(r3, ki); lo3 += a * b; hi3 += a * d;
  a = loadRow(r4, ki); lo4 += a * b; hi4 += a * d;
  a = loadRow(r5, ki); lo5 += a * b; hi5 += a * d;
  a = loadRow(r6, ki); lo6 += a * b; hi6 += a * d;
  a = loadRow(r7, ki); lo7 += a * b; hi7 += a * d;
  a = loadRow(r8, ki); lo8 += a * b; hi8 += a * d;
  a = loadRow(r9, ki); lo9 += a * b; hi9 += a * d;
  a = loadRow(r10, ki); lo10 += a * b; hi10 += a * d;
  a = loadRow(r11, ki); lo11 += a * b; hi11 += a * d;
  a = loadRow(r12, ki); lo12 += a * b; hi12 += a * d;
  a = loadRow(r13, ki); lo13 += a * b; hi13 += a * d;
  a = loadRow(r14, ki); lo14 += a * b; hi14 += a * d;
  a = loadRow(r15, ki); lo15 += a * b; hi15 += a * d;
}

// row `row` of the block, columns col0 + j·WGX; nothing past the edges of C
fn storeRow(batch: u32, split: u32, row: u32, col0: u32, l: vec4<{{T}}>, h: vec4<{{T}}>) {
  if (row >= coreM()) { return; }
  let v = array<{{T}}, 8>(l.x, l.y, l.z, l.w, h.x, h.y, h.z, h.w);
  for (var j = 0u; j < 8u; j++) {
    let col = col0 + j * WGX;
    if (col < coreN()) { coreStore(batch, split, row, col, v[j]); }
  }
}

@compute @workgroup_size(WGX, WGY)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let lw = linearWorkgroup(wid, nwg);
  let tiles = params.tilesM * params.tilesN;
  let z = lw / tiles;
  if (z >= params.batches * params.splits) { return; }
  let t = lw % tiles;
  let batch = z % params.batches;
  let split = z / params.batches;
  let kBegin = split * params.kChunk;
  let kEnd = min(params.k, kBegin + params.kChunk);
  let row0 = (t / params.tilesN) * WGY * 16u + lid.y * 16u;
  let col0 = (t % params.tilesN) * WGX * 8u + lid.x;
  let m1 = coreM() - 1u;
  let n1 = coreN() - 1u;
  r0 = coreRow(batch, min(row0, m1)); r1 = coreRow(batch, min(row0 + 1u, m1));
  r2 = coreRow(batch, min(row0 + 2u, m1)); r3 = coreRow(batch, min(row0 + 3u, m1));
  r4 = coreRow(batch, min(row0 + 4u, m1)); r5 = coreRow(batch, min(row0 + 5u, m1));
  r6 = coreRow(batch, min(row0 + 6u, m1)); r7 = coreRow(batch, min(row0 + 7u, m1));
  r8 = coreRow(batch, min(row0 + 8u, m1)); r9 = coreRow(batch, min(row0 + 9u, m1));
  r10 = coreRow(batch, min(row0 + 10u, m1)); r11 = coreRow(batch, min(row0 + 11u, m1));
  r12 = coreRow(batch, min(row0 + 12u, m1)); r13 = coreRow(batch, min(row0 + 13u, m1));
  r14 = coreRow(batch, min(row0 + 14u, m1)); r15 = coreRow(batch, min(row0 + 15u, m1));
  c0 = coreCol(batch, min(col0, n1)); c1 = coreCol(batch, min(col0 + WGX, n1));
  c2 = coreCol(batch, min(col0 + 2u * WGX, n1)); c3 = coreCol(batch, min(col0 + 3u * WGX, n1));
  c4 = coreCol(batch, min(col0 + 4u * WGX, n1)); c5 = coreCol(batch, min(col0 + 5u * WGX, n1));
  c6 = coreCol(batch, min(col0 + 6u * WGX, n1)); c7 = coreCol(batch, min(col0 + 7u * WGX, n1));
  var kk = kBegin;
  for (; kk + 1u < kEnd; kk += 2u) {
    accumulate(kInfo(batch, kk));
    accumulate(kInfo(batch, kk + 1u));
  }
  if (kk < kEnd) { accumulate(kInfo(batch, kk)); }
  storeRow(batch, split, row0, col0, lo0, hi0);
  storeRow(batch, split, row0 + 1u, col0, lo1, hi1);
  storeRow(batch, split, row0 + 2u, col0, lo2, hi2);
  storeRow(batch, split, row0 + 3u, col0, lo3, hi3);
  storeRow(batch, split, row0 + 4u, col0, lo4, hi4);
  storeRow(batch, split, row0 + 5u, col0, lo5, hi5);
  storeRow(batch, split, row0 + 6u, col0, lo6, hi6);
  storeRow(batch, split, row0 + 7u, col0, lo7, hi7);
  storeRow(batch, split, row0 + 8u, col0, lo8, hi8);
  storeRow(batch, split, row0 + 9u, col0, lo9, hi9);
  storeRow(batch, split, row0 + 10u, col0, lo10, hi10);
  storeRow(batch, split, row0 + 11u, col0, lo11, hi11);
  storeRow(batch, split, row0 + 12u, col0, lo12, hi12);
  storeRow(batch, split, row0 + 13u, col0, lo13, hi13);
  storeRow(batch, split, row0 + 14u, col0, lo14, hi14);
  storeRow(batch, split, row0 + 15u, col0, lo15, hi15);
}
