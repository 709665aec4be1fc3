/**
 * WebGPU enum values as plain numbers (they are fixed by the specification), so the backend does
 * not depend on the GPUBufferUsage/GPUMapMode globals that Dawn's Node bindings only install on
 * request.
 */
export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

export const MapMode = { READ: 0x0001, WRITE: 0x0002 } as const;

/** Storage tensors: bound as storage, copied from (reads) and to (uploads). */
export const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
/** Read-back staging buffers. */
export const STAGING_USAGE = BufferUsage.MAP_READ | BufferUsage.COPY_DST;
