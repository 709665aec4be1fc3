/** Where a wasm kernel call starts to pay off against the reference's plain loops. */

/** elementwise ops, copies, reductions and optimizer updates: below this many elements the reference's loops win */
export const ELEMENTWISE_MIN = 4096;

/** softmax, whose reference pays two Math.exp per element, wins with the kernel from here */
export const SOFTMAX_MIN = 1024;
