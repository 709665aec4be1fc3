// GEMM core tiled in workgroup memory and register-blocked: a 16×16 workgroup computes a 64×64
// tile of C, each invocation a 4×4 block (four vec4 rows; its columns 16 apart so that neighbouring
// invocations read neighbouring words of the B tile, free of bank conflicts). K advances in
// slices of 16: the 256 invocations stage a 64×16 slice of A (as vec4 row quads, k-major) and a
// 16×64 slice of B in workgroup memory, synchronise, and run 16 rank-1 updates from there. Each
// operand element is read from memory once per tile instead of once per output.
//
// Operands come from the problem file placed before this core; see gemmRegister.wgsl for the
// interface. Both cores add the products of one output in the same order (k ascending from 0 in
// its K chunk), so they produce the same values.
//!include dispatch

const TILE: u32 = 64u;
const TK: u32 = 16u;

var<workgroup> tileA: array<vec4<{{T}}>, 256>; // [k][row quad]: rows 4q..4q+3 at slice position k
var<workgroup> tileB: array<{{T}}, 1024>;      // [k][column]

fn storeRow(batch: u32, split: u32, row: u32, col0: u32, v: vec4<{{T}}>) {
  if (row >= params.m) { return; }
  if (col0 < params.n) { storeC(batch, split, row, col0, v.x); }
  if (col0 + 16u < params.n) { storeC(batch, split, row, col0 + 16u, v.y); }
  if (col0 + 32u < params.n) { storeC(batch, split, row, col0 + 32u, v.z); }
  if (col0 + 48u < params.n) { storeC(batch, split, row, col0 + 48u, v.w); }
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let lw = linearWorkgroup(wid, nwg);
  let tiles = params.tilesM * params.tilesN;
  let z = lw / tiles;
  if (z >= params.batches * params.splits) { return; }
  let t = lw % tiles;
  let tm = t / params.tilesN;
  let tn = t % params.tilesN;
  let batch = z % params.batches;
  let split = z / params.batches;
  let kBegin = split * params.kChunk;
  let kEnd = min(params.k, kBegin + params.kChunk);
  let lastRow = params.m - 1u;
  let lastCol = params.n - 1u;

  // staging roles: A — slice position aK of rows 4·aQuad..+3; B — column bCol at slice rows bK + 4q
  let aK = li % TK;
  let aQuad = li / TK;
  let aRow = tm * TILE + aQuad * 4u;
  let ra0 = rowInfo(batch, min(aRow, lastRow));
  let ra1 = rowInfo(batch, min(aRow + 1u, lastRow));
  let ra2 = rowInfo(batch, min(aRow + 2u, lastRow));
  let ra3 = rowInfo(batch, min(aRow + 3u, lastRow));
  let bCol = li % TILE;
  let bK = li / TILE;
  let cb = colInfo(batch, min(tn * TILE + bCol, lastCol));

  let row0 = tm * TILE + lid.y * 4u;
  let col0 = tn * TILE + lid.x;
  var acc0 = vec4<{{T}}>();
  var acc1 = vec4<{{T}}>();
  var acc2 = vec4<{{T}}>();
  var acc3 = vec4<{{T}}>();
  for (var k0 = kBegin; k0 < kEnd; k0 += TK) {
    let lastK = kEnd - 1u;
    {
      let kk = k0 + aK;
      let ki = kInfo(batch, min(kk, lastK));
      let a = vec4<{{T}}>(loadA(ra0, ki), loadA(ra1, ki), loadA(ra2, ki), loadA(ra3, ki));
      tileA[aK * 16u + aQuad] = select(vec4<{{T}}>(), a, kk < kEnd);
    }
    for (var q = 0u; q < TK / 4u; q++) {
      let kr = bK + 4u * q;
      let kk = k0 + kr;
      let ki = kInfo(batch, min(kk, lastK));
      tileB[kr * TILE + bCol] = select({{T}}(0), loadB(ki, cb), kk < kEnd);
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let a = tileA[k * 16u + lid.y];
      let base = k * TILE + lid.x;
      let b = vec4<{{T}}>(tileB[base], tileB[base + 16u], tileB[base + 32u], tileB[base + 48u]);
      acc0 += a.x * b;
      acc1 += a.y * b;
      acc2 += a.z * b;
      acc3 += a.w * b;
    }
    workgroupBarrier();
  }
  storeRow(batch, split, row0, col0, acc0);
  storeRow(batch, split, row0 + 1u, col0, acc1);
  storeRow(batch, split, row0 + 2u, col0, acc2);
  storeRow(batch, split, row0 + 3u, col0, acc3);
}
