// Strided views for the elementwise kernels. The host coalesces every view to at most 8 dimensions
// (merging dimensions that are contiguous in every operand, dropping size-1 ones) and passes the
// shape and each operand's strides as two vec4s; RANK is specialised per pipeline so the index
// loop has a constant trip count. Strides are signed: 0 broadcasts, negative flips.

const RANK: u32 = {{RANK}}u;

fn dimAt(v: array<vec4<u32>, 2>, d: u32) -> u32 { return v[d >> 2u][d & 3u]; }
fn strideAt(v: array<vec4<i32>, 2>, d: u32) -> i32 { return v[d >> 2u][d & 3u]; }
