// Operands of a (batched) matmul for the GEMM cores: out[split][batch] (m × n) = A·B over a K
// chunk. Transposed operands are read in place through strides: element (row, kk) of A sits at
// batch·aBatchStride + row·aRowStride + kk·aKStride (k × m storage: aRowStride 1, aKStride m), and
// element (kk, col) of B at batch·bBatchStride + kk·bKStride + col·bColStride. A batch stride of 0
// broadcasts one matrix over the batch.

struct Params {
  m: u32, n: u32, k: u32, batches: u32, splits: u32, kChunk: u32, tilesM: u32, tilesN: u32,
  aBatchStride: u32, aRowStride: u32, aKStride: u32,
  bBatchStride: u32, bKStride: u32, bColStride: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<{{T}}>;
@group(0) @binding(2) var<storage, read> b: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;

struct RowInfo { base: u32 }
struct ColInfo { base: u32 }
struct KInfo { a: u32, b: u32 }

fn rowInfo(batch: u32, row: u32) -> RowInfo { return RowInfo(batch * params.aBatchStride + row * params.aRowStride); }
fn colInfo(batch: u32, col: u32) -> ColInfo { return ColInfo(batch * params.bBatchStride + col * params.bColStride); }
fn kInfo(batch: u32, kk: u32) -> KInfo { return KInfo(kk * params.aKStride, kk * params.bKStride); }
fn loadA(r: RowInfo, k: KInfo) -> {{T}} { return a[r.base + k.a]; }
fn loadB(k: KInfo, c: ColInfo) -> {{T}} { return b[c.base + k.b]; }
fn storeC(batch: u32, split: u32, row: u32, col: u32, v: {{T}}) {
  out[((split * params.batches + batch) * params.m + row) * params.n + col] = v;
}
