// GEMM orientation for gemmRegister: the core's rows are the problem's rows (C = A·B as stated).
// The core addresses its operands only through these functions (see gemmOrientSwapped.wgsl).
alias CoreRow = RowInfo;
alias CoreCol = ColInfo;
fn coreM() -> u32 { return params.m; }
fn coreN() -> u32 { return params.n; }
fn coreRow(batch: u32, i: u32) -> CoreRow { return rowInfo(batch, i); }
fn coreCol(batch: u32, j: u32) -> CoreCol { return colInfo(batch, j); }
fn loadRow(r: CoreRow, ki: KInfo) -> {{T}} { return loadA(r, ki); }
fn loadCol(ki: KInfo, c: CoreCol) -> {{T}} { return loadB(ki, c); }
fn coreStore(batch: u32, split: u32, i: u32, j: u32, v: {{T}}) { storeC(batch, split, i, j, v); }
