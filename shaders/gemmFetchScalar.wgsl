// Quad fetches for gemmHw from any GEMM problem file (its rowInfo/colInfo/kInfo/loadA/loadB): a
// quad is 4 consecutive rows of A (or columns of B) at one k, read as 4 scalar loads. Rows and
// columns past the edge are clamped to the last one (their results are never stored).

struct AQuad { r0: RowInfo, r1: RowInfo, r2: RowInfo, r3: RowInfo }
struct BQuad { c0: ColInfo, c1: ColInfo, c2: ColInfo, c3: ColInfo }

fn aQuad(batch: u32, row0: u32) -> AQuad {
  let last = params.m - 1u;
  return AQuad(rowInfo(batch, min(row0, last)), rowInfo(batch, min(row0 + 1u, last)),
    rowInfo(batch, min(row0 + 2u, last)), rowInfo(batch, min(row0 + 3u, last)));
}

fn bQuad(batch: u32, col0: u32) -> BQuad {
  let last = params.n - 1u;
  return BQuad(colInfo(batch, min(col0, last)), colInfo(batch, min(col0 + 1u, last)),
    colInfo(batch, min(col0 + 2u, last)), colInfo(batch, min(col0 + 3u, last)));
}

fn fetchA(q: AQuad, ki: KInfo) -> vec4<{{T}}> {
  return vec4<{{T}}>(loadA(q.r0, ki), loadA(q.r1, ki), loadA(q.r2, ki), loadA(q.r3, ki));
}

fn fetchB(ki: KInfo, q: BQuad) -> vec4<{{T}}> {
  return vec4<{{T}}>(loadB(ki, q.c0), loadB(ki, q.c1), loadB(ki, q.c2), loadB(ki, q.c3));
}
