// Operands of the convolution's weight gradient as a GEMM, one per group g:
//   dw[g·og + o, r] = Σ_(b, oy, ox) dy[b, g·og + o, oy, ox] · patch(b, r, oy, ox)
// rows o < og, columns r = (c, ky, kx) (the filter's cg·kH·kW entries), K = (b, oy, ox) over every
// output pixel of the batch: a long reduction, so the host splits K into chunks written to
// separate partial outputs (storeC's split) and sums the partials in a second, fixed-order pass.

struct Params {
  m: u32, n: u32, k: u32, batches: u32, splits: u32, kChunk: u32, tilesM: u32, tilesN: u32,
  inC: u32, inH: u32, inW: u32, outC: u32, outH: u32, outW: u32, kH: u32, kW: u32,
  strideH: i32, strideW: i32, padTop: i32, padLeft: i32, dilationH: i32, dilationW: i32,
  cg: u32, og: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<{{T}}>;
@group(0) @binding(2) var<storage, read> dy: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> dw: array<{{T}}>;

struct RowInfo { dy: u32 }
struct ColInfo { x: u32, ky: i32, kx: i32 }
struct KInfo { dy: u32, x: u32, oy: i32, ox: i32 }

fn rowInfo(g: u32, o: u32) -> RowInfo { return RowInfo((g * params.og + o) * params.outH * params.outW); }

fn colInfo(g: u32, col: u32) -> ColInfo {
  let taps = params.kH * params.kW;
  let c = col / taps;
  let tap = col % taps;
  return ColInfo((g * params.cg + c) * params.inH * params.inW,
    i32(tap / params.kW) * params.dilationH - params.padTop, i32(tap % params.kW) * params.dilationW - params.padLeft);
}

fn kInfo(g: u32, kk: u32) -> KInfo {
  let pixels = params.outH * params.outW;
  let b = kk / pixels;
  let pix = kk % pixels;
  return KInfo(b * params.outC * pixels + pix, b * params.inC * params.inH * params.inW,
    i32(pix / params.outW) * params.strideH, i32(pix % params.outW) * params.strideW);
}

fn loadA(r: RowInfo, k: KInfo) -> {{T}} { return dy[r.dy + k.dy]; }

fn loadB(k: KInfo, c: ColInfo) -> {{T}} {
  let iy = k.oy + c.ky;
  let ix = k.ox + c.kx;
  // branch-free bounds test (see conv2dImplicitGemm.wgsl)
  let inside = (u32(iy) < params.inH) & (u32(ix) < params.inW);
  let at = select(0u, k.x + c.x + u32(iy) * params.inW + u32(ix), inside);
  return select({{T}}(0), x[at], inside);
}

fn storeC(g: u32, split: u32, o: u32, col: u32, v: {{T}}) {
  dw[split * params.outC * params.n + (g * params.og + o) * params.n + col] = v;
}
