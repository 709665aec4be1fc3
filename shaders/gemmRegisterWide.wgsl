// GEMM core like gemmRegister (no workgroup memory, no barriers), with a short, wide block: each
// invocation accumulates 4 rows × 16 columns of C. For GEMMs with a short side — the input
// gradient of a convolution over 1 to 4 image channels, a weight gradient with few filter
// entries — where gemmRegister's 16-row blocks would stand mostly empty. Per step of k, 4 loads
// of A and 16 of B feed 64 multiply-adds; the invocation's columns are WGX apart (neighbouring
// invocations read neighbouring columns of B). Same interface and orientation files as
// gemmRegister, and the same summation order (k ascending), so the cores agree.
//!include dispatch

const WGX: u32 = {{WGX}}u;
const WGY: u32 = {{WGY}}u;

var<private> r0: CoreRow; var<private> r1: CoreRow; var<private> r2: CoreRow; var<private> r3: CoreRow;
var<private> c0: CoreCol; var<private> c1: CoreCol; var<private> c2: CoreCol; var<private> c3: CoreCol;
var<private> c4: CoreCol; var<private> c5: CoreCol; var<private> c6: CoreCol; var<private> c7: CoreCol;
var<private> c8: CoreCol; var<private> c9: CoreCol; var<private> c10: CoreCol; var<private> c11: CoreCol;
var<private> c12: CoreCol; var<private> c13: CoreCol; var<private> c14: CoreCol; var<private> c15: CoreCol;
// row r of the block: columns 4q..4q+3 in q{q}_{r}
var<private> q0_0: vec4<{{T}}>; var<private> q0_1: vec4<{{T}}>; var<private> q0_2: vec4<{{T}}>; var<private> q0_3: vec4<{{T}}>;
var<private> q1_0: vec4<{{T}}>; var<private> q1_1: vec4<{{T}}>; var<private> q1_2: vec4<{{T}}>; var<private> q1_3: vec4<{{T}}>;
var<private> q2_0: vec4<{{T}}>; var<private> q2_1: vec4<{{T}}>; var<private> q2_2: vec4<{{T}}>; var<private> q2_3: vec4<{{T}}>;
var<private> q3_0: vec4<{{T}}>; var<private> q3_1: vec4<{{T}}>; var<private> q3_2: vec4<{{T}}>; var<private> q3_3: vec4<{{T}}>;

// one step of k: the block += column kk of the core's A (4 rows) × row kk of its B (16 columns)
fn accumulate(ki: KInfo) {
  let b0 = vec4<{{T}}>(loadCol(ki, c0), loadCol(ki, c1), loadCol(ki, c2), loadCol(ki, c3));
  let b1 = vec4<{{T}}>(loadCol(ki, c4), loadCol(ki, c5), loadCol(ki, c6), loadCol(ki, c7));
  let b2 = vec4<{{T}}>(loadCol(ki, c8), loadCol(ki, c9), loadCol(ki, c10), loadCol(ki, c11));
  let b3 = vec4<{{T}}>(loadCol(ki, c12), loadCol(ki, c13), loadCol(ki, c14), loadCol(ki, c15));
  var a: {{T}};
  a = loadRow(r0, ki); q0_0 += a * b0; q1_0 += a * b1; q2_0 += a * b2; q3_0 += a * b3;
  a = loadRow(r1, ki); q0_1 += a * b0; q1_1 += a * b1; q2_1 += a * b2; q3_1 += a * b3;
  a = loadRow(r2, ki); q0_2 += a * b0; q1_2 += a * b1; q2_2 += a * b2; q3_2 += a * b3;
  a = loadRow(r3, ki); q0_3 += a * b0; q1_3 += a * b1; q2_3 += a * b2; q3_3 += a * b3;
}

// row `row` of the block, columns col0 + j·WGX; nothing past the edges of C
fn storeRow(batch: u32, split: u32, row: u32, col0: u32, v0: vec4<{{T}}>, v1: vec4<{{T}}>, v2: vec4<{{T}}>, v3: vec4<{{T}}>) {
  if (row >= coreM()) { return; }
  let v = array<vec4<{{T}}>, 4>(v0, v1, v2, v3);
  for (var j = 0u; j < 16u; j++) {
    let col = col0 + j * WGX;
    if (col < coreN()) { coreStore(batch, split, row, col, v[j / 4u][j % 4u]); }
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
  let row0 = (t / params.tilesN) * WGY * 4u + lid.y * 4u;
  let col0 = (t % params.tilesN) * WGX * 16u + lid.x;
  let m1 = coreM() - 1u;
  let n1 = coreN() - 1u;
  r0 = coreRow(batch, min(row0, m1)); r1 = coreRow(batch, min(row0 + 1u, m1));
  r2 = coreRow(batch, min(row0 + 2u, m1)); r3 = coreRow(batch, min(row0 + 3u, m1));
  c0 = coreCol(batch, min(col0, n1)); c1 = coreCol(batch, min(col0 + WGX, n1));
  c2 = coreCol(batch, min(col0 + 2u * WGX, n1)); c3 = coreCol(batch, min(col0 + 3u * WGX, n1));
  c4 = coreCol(batch, min(col0 + 4u * WGX, n1)); c5 = coreCol(batch, min(col0 + 5u * WGX, n1));
  c6 = coreCol(batch, min(col0 + 6u * WGX, n1)); c7 = coreCol(batch, min(col0 + 7u * WGX, n1));
  c8 = coreCol(batch, min(col0 + 8u * WGX, n1)); c9 = coreCol(batch, min(col0 + 9u * WGX, n1));
  c10 = coreCol(batch, min(col0 + 10u * WGX, n1)); c11 = coreCol(batch, min(col0 + 11u * WGX, n1));
  c12 = coreCol(batch, min(col0 + 12u * WGX, n1)); c13 = coreCol(batch, min(col0 + 13u * WGX, n1));
  c14 = coreCol(batch, min(col0 + 14u * WGX, n1)); c15 = coreCol(batch, min(col0 + 15u * WGX, n1));
  var kk = kBegin;
  for (; kk + 1u < kEnd; kk += 2u) {
    accumulate(kInfo(batch, kk));
    accumulate(kInfo(batch, kk + 1u));
  }
  if (kk < kEnd) { accumulate(kInfo(batch, kk)); }
  storeRow(batch, split, row0, col0, q0_0, q1_0, q2_0, q3_0);
  storeRow(batch, split, row0 + 1u, col0, q0_1, q1_1, q2_1, q3_1);
  storeRow(batch, split, row0 + 2u, col0, q0_2, q1_2, q2_2, q3_2);
  storeRow(batch, split, row0 + 3u, col0, q0_3, q1_3, q2_3, q3_3);
}
