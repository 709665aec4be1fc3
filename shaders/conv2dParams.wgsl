// Convolution parameters shared by the three conv kernels (prepended after common.wgsl).
// P: n, inC, inH, inW, outC, kH, kW, outH, outW, strideH, strideW, padTop, padLeft, dilH, dilW, groups, chunks, chunkLen
struct Conv { n: u32, inC: u32, inH: u32, inW: u32, outC: u32, kH: u32, kW: u32, outH: u32, outW: u32,
  sH: i32, sW: i32, pT: i32, pL: i32, dH: i32, dW: i32, groups: u32, chunks: u32, chunkLen: u32 }
fn conv() -> Conv {
  return Conv(P[0], P[1], P[2], P[3], P[4], P[5], P[6], P[7], P[8], pi(9u), pi(10u), pi(11u), pi(12u), pi(13u), pi(14u), P[15], P[16], P[17]);
}
