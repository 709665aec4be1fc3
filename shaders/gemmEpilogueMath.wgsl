// The fused epilogue of a GEMM: out = act(v · scale[c] + shift[c]) for output channel c, each
// part optional (EPI_SCALE, EPI_SHIFT, EPI_RELU): a bias is a shift, an inference batch norm a
// scale and a shift. The including file declares epiScale and epiShift at its own bindings. ReLU
// keeps NaN (as the relu op does).
const EPI_SCALE: bool = {{EPI_SCALE}};
const EPI_SHIFT: bool = {{EPI_SHIFT}};
const EPI_RELU: bool = {{EPI_RELU}};

fn epilogueAt(c: u32, v: f32) -> f32 {
  var r = v;
  if (EPI_SCALE) { r = r * epiScale[c]; }
  if (EPI_SHIFT) { r = r + epiShift[c]; }
  if (EPI_RELU) { r = select(r, 0.0, r <= 0.0); }
  return r;
}
