// GEMM orientation for gemmRegister: the core computes Cᵀ = Bᵀ·Aᵀ, so its rows are the problem's
// columns. Chosen when the problem has few rows and many columns (the input gradient of a
// convolution over 1 or 3 image channels, say), where the core's 16-row blocks would stand mostly
// empty; the sums are the same, in the same order.
alias CoreRow = ColInfo;
alias CoreCol = RowInfo;
fn coreM() -> u32 { return params.n; }
fn coreN() -> u32 { return params.m; }
fn coreRow(batch: u32, i: u32) -> CoreRow { return colInfo(batch, i); }
fn coreCol(batch: u32, j: u32) -> CoreCol { return rowInfo(batch, j); }
fn loadRow(r: CoreRow, ki: KInfo) -> {{T}} { return loadB(ki, r); }
fn loadCol(ki: KInfo, c: CoreCol) -> {{T}} { return loadA(c, ki); }
fn coreStore(batch: u32, split: u32, i: u32, j: u32, v: {{T}}) { storeC(batch, split, j, i, v); }
