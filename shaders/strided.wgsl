// Strided views for the elementwise kernels. The host coalesces every view to at most 8 dimensions
// (merging dimensions that are contiguous in every operand, dropping size-1 ones) and passes the
// shape and each operand's strides as array<vec4, 2> (dimension d at [d / 4][d % 4]). RANK is
// specialised per pipeline, so the index loop has a constant trip count. Strides are signed:
// 0 broadcasts, negative flips; offsets are element offsets into the operand's storage.
const RANK: u32 = {{RANK}}u;
