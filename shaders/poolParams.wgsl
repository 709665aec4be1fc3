// Pooling parameters. P: n, c, inH, inW, outH, outW, kH, kW, strideH, strideW, padTop, padLeft, countIncludePad
struct Pool { n: u32, c: u32, inH: u32, inW: u32, outH: u32, outW: u32, kH: u32, kW: u32, sH: i32, sW: i32, pT: i32, pL: i32, includePad: u32 }
fn pool() -> Pool {
  return Pool(P[0], P[1], P[2], P[3], P[4], P[5], P[6], P[7], pi(8u), pi(9u), pi(10u), pi(11u), P[12]);
}
// number of cells of the window at (oy, ox) that the divisor counts
fn avgDivisor(p: Pool, oy: i32, ox: i32) -> f32 {
  let y0 = oy * p.sH - p.pT; let x0 = ox * p.sW - p.pL;
  var y1 = y0 + i32(p.kH); var x1 = x0 + i32(p.kW);
  if (p.includePad != 0u) {
    y1 = min(y1, i32(p.inH) + p.pT); x1 = min(x1, i32(p.inW) + p.pL);
    return f32((y1 - y0) * (x1 - x0));
  }
  return f32((min(y1, i32(p.inH)) - max(y0, 0)) * (min(x1, i32(p.inW)) - max(x0, 0)));
}
