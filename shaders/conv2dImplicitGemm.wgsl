// Operands of the forward convolution as an implicit GEMM (no im2col buffer), one GEMM per group g:
//   y[b, g·og + o, pixel] = Σ_r w[g·og + o, r] · patch(b, r, pixel)
// rows o < og (output channels of the group), columns (b, oy, ox) over the batch's output pixels,
// K = r = (c, ky, kx) over the group's cg input channels and the kernel taps. patch() reads
// x[b, g·cg + c, oy·sH − pT + ky·dH, ox·sW − pL + kx·dW], zero outside the image (zero padding).
// The column's window origin and the tap's offsets are computed once (colInfo, kInfo), so a load
// is an add, a branch-free bounds test and a read.

struct Params {
  m: u32, n: u32, k: u32, batches: u32, splits: u32, kChunk: u32, tilesM: u32, tilesN: u32,
  inC: u32, inH: u32, inW: u32, outC: u32, outH: u32, outW: u32, kH: u32, kW: u32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, dilationH: i32, dilationW: i32,
  cg: u32, og: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<{{T}}>;
@group(0) @binding(2) var<storage, read> w: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> y: array<{{T}}>;

struct RowInfo { w: u32 }
struct ColInfo { x: u32, iy: i32, ix: i32 }
struct KInfo { kk: u32, c: u32, dy: i32, dx: i32 }

fn rowInfo(g: u32, o: u32) -> RowInfo { return RowInfo((g * params.og + o) * params.k); }

fn colInfo(g: u32, col: u32) -> ColInfo {
  let pixels = params.outH * params.outW;
  let b = col / pixels;
  let pix = col % pixels;
  let oy = i32(pix / params.outW);
  let ox = i32(pix % params.outW);
  return ColInfo((b * params.inC + g * params.cg) * params.inH * params.inW,
    oy * params.strideH - params.padTop, ox * params.strideW - params.padLeft);
}

fn kInfo(g: u32, kk: u32) -> KInfo {
  let taps = params.kH * params.kW;
  let c = kk / taps;
  let tap = kk % taps;
  return KInfo(kk, c * params.inH * params.inW, i32(tap / params.kW) * params.dilationH, i32(tap % params.kW) * params.dilationW);
}

fn loadA(r: RowInfo, k: KInfo) -> {{T}} { return w[r.w + k.kk]; }

fn loadB(k: KInfo, c: ColInfo) -> {{T}} {
  let iy = c.iy + k.dy;
  let ix = c.ix + k.dx;
  // unsigned compares also reject negative coordinates; & (not &&) keeps this free of branches,
  // which matters on SwiftShader: short-circuit chains in the unrolled GEMM core made its JIT
  // take minutes
  let inside = (u32(iy) < params.inH) & (u32(ix) < params.inW);
  let at = select(0u, c.x + k.c + u32(iy) * params.inW + u32(ix), inside);
  return select({{T}}(0), x[at], inside);
}

fn storeC(g: u32, split: u32, o: u32, col: u32, v: {{T}}) {
  let pixels = params.outH * params.outW;
  let b = col / pixels;
  let pix = col % pixels;
  y[split * params.n * params.outC + (b * params.outC + g * params.og + o) * pixels + pix] = v;
}
