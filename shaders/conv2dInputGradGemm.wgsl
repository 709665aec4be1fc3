// Operands of the convolution's input gradient as a GEMM, one per group g, written as a gather so
// that no two invocations add into the same cell (no col2im, no atomics):
//   dx[b, g·cg + c, iy, ix] = Σ_(o, ky, kx) w[g·og + o, c, ky, kx] · dy[b, g·og + o, oy, ox]
// where oy = (iy + pT − ky·dH)/sH must be a whole number inside [0, outH) (likewise ox); other
// terms are zero. Rows c < cg, columns (b, iy, ix) over the batch's input pixels,
// K = (o, ky, kx) over the group's og output channels and the kernel taps.

struct Params {
  m: u32, n: u32, k: u32, batches: u32, splits: u32, kChunk: u32, tilesM: u32, tilesN: u32,
  inC: u32, inH: u32, inW: u32, outC: u32, outH: u32, outW: u32, kH: u32, kW: u32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, dilationH: i32, dilationW: i32,
  cg: u32, og: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<{{T}}>;
@group(0) @binding(2) var<storage, read> w: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> dx: array<{{T}}>;

struct RowInfo { w: u32 }
struct ColInfo { dy: u32, ty: i32, tx: i32 }
struct KInfo { w: u32, dy: u32, ky: i32, kx: i32 }

fn rowInfo(g: u32, c: u32) -> RowInfo {
  return RowInfo((g * params.og * params.cg + c) * params.kH * params.kW);
}

fn colInfo(g: u32, col: u32) -> ColInfo {
  let pixels = params.inH * params.inW;
  let b = col / pixels;
  let pix = col % pixels;
  return ColInfo((b * params.outC + g * params.og) * params.outH * params.outW,
    i32(pix / params.inW) + params.padTop, i32(pix % params.inW) + params.padLeft);
}

fn kInfo(g: u32, kk: u32) -> KInfo {
  let taps = params.kH * params.kW;
  let o = kk / taps;
  let tap = kk % taps;
  return KInfo(o * params.cg * taps + tap, o * params.outH * params.outW,
    i32(tap / params.kW) * params.dilationH, i32(tap % params.kW) * params.dilationW);
}

fn loadA(r: RowInfo, k: KInfo) -> {{T}} { return w[r.w + k.w]; }

// UNIT_STRIDE (stride 1 both ways) skips the divisibility test and the divisions
const UNIT_STRIDE: bool = {{UNIT_STRIDE}};

fn loadB(k: KInfo, c: ColInfo) -> {{T}} {
  let ty = c.ty - k.ky;
  let tx = c.tx - k.kx;
  var oy = ty;
  var ox = tx;
  var whole = true;
  if (!UNIT_STRIDE) {
    oy = ty / params.strideH;
    ox = tx / params.strideW;
    whole = (oy * params.strideH == ty) & (ox * params.strideW == tx);
  }
  // unsigned compares also reject negative coordinates; & (not &&) keeps the test branch-free
  // (see conv2dImplicitGemm.wgsl)
  let inside = whole & (u32(oy) < params.outH) & (u32(ox) < params.outW);
  let at = select(0u, c.dy + k.dy + u32(oy) * params.outW + u32(ox), inside);
  return select({{T}}(0), dy[at], inside);
}

fn storeC(g: u32, split: u32, c: u32, col: u32, v: {{T}}) {
  let pixels = params.inH * params.inW;
  let b = col / pixels;
  let pix = col % pixels;
  dx[split * params.n * params.inC + (b * params.inC + g * params.cg + c) * pixels + pix] = v;
}
