// The epilogue applied by gemmHw as it stores: the channel of an output is its row within the
// problem's batch (a convolution's output channel g·og + o: EPI_PER_ROW) or its column (a
// linear layer's output feature). float32 only.
//!include gemmEpilogueMath

const EPI_PER_ROW: bool = {{EPI_PER_ROW}};

@group(0) @binding(4) var<storage, read> epiScale: array<f32>;
@group(0) @binding(5) var<storage, read> epiShift: array<f32>;

fn epilogue(batch: u32, row: u32, col: u32, v: f32) -> f32 {
  return epilogueAt(select(col, batch * params.m + row, EPI_PER_ROW), v);
}
