// A matmul problem for gemmHw whose operands are bound as vec4 arrays (each operand's length a
// multiple of 4): the same addressing as matmulOperands.wgsl, plus its own quad fetches (instead
// of gemmFetchScalar.wgsl). An operand contiguous along the quad's direction with 4-aligned
// strides (A_VEC: A stored k × m, the transposed case; B_VEC: B stored k × n, the plain case) is
// read one vec4 per quad; otherwise four scalars out of the vec4 words.

struct Params {
  m: u32, n: u32, k: u32, batches: u32, splits: u32, kChunk: u32, tilesM: u32, tilesN: u32,
  aBatchStride: u32, aRowStride: u32, aKStride: u32,
  bBatchStride: u32, bKStride: u32, bColStride: u32,
}

const A_VEC: bool = {{A_VEC}};
const B_VEC: bool = {{B_VEC}};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<{{T}}>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<{{T}}>>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;

struct KInfo { a: u32, b: u32 }
// the element offset of each of the quad's 4 rows (columns) at k = 0
struct AQuad { at: vec4<u32> }
struct BQuad { at: vec4<u32> }

fn kInfo(batch: u32, kk: u32) -> KInfo { return KInfo(kk * params.aKStride, kk * params.bKStride); }

fn quadOffsets(first: u32, last: u32, base: u32, stride: u32, vec: bool) -> vec4<u32> {
  // a vec4 quad starts on a multiple of 4 inside the operand (its length is one): clamp whole
  let i = select(min(vec4<u32>(first) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(last)), vec4<u32>(min(first, last & ~3u)) + vec4<u32>(0u, 1u, 2u, 3u), vec);
  return vec4<u32>(base) + i * stride;
}

fn aQuad(batch: u32, row0: u32) -> AQuad {
  return AQuad(quadOffsets(row0, params.m - 1u, batch * params.aBatchStride, params.aRowStride, A_VEC));
}

fn bQuad(batch: u32, col0: u32) -> BQuad {
  return BQuad(quadOffsets(col0, params.n - 1u, batch * params.bBatchStride, params.bColStride, B_VEC));
}

fn scalarA(i: u32) -> {{T}} { return a[i / 4u][i % 4u]; }
fn scalarB(i: u32) -> {{T}} { return b[i / 4u][i % 4u]; }

fn fetchA(q: AQuad, ki: KInfo) -> vec4<{{T}}> {
  let at = q.at + vec4<u32>(ki.a);
  if (A_VEC) { return a[at.x / 4u]; }
  return vec4<{{T}}>(scalarA(at.x), scalarA(at.y), scalarA(at.z), scalarA(at.w));
}

fn fetchB(ki: KInfo, q: BQuad) -> vec4<{{T}}> {
  let at = q.at + vec4<u32>(ki.b);
  if (B_VEC) { return b[at.x / 4u]; }
  return vec4<{{T}}>(scalarB(at.x), scalarB(at.y), scalarB(at.z), scalarB(at.w));
}

fn storeC(batch: u32, split: u32, row: u32, col: u32, v: {{T}}) {
  out[((split * params.batches + batch) * params.m + row) * params.n + col] = v;
}
