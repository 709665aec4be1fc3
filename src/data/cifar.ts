/**
 * CIFAR-10 binary batches: records of 1 label byte followed by 3072 pixel bytes (1024 red, 1024 green,
 * 1024 blue, each plane 32×32 row-major). The planes are already in CHW order, so images are copied
 * record by record without any reshuffling.
 */

export const CIFAR10_IMAGE_BYTES = 3 * 32 * 32;
export const CIFAR10_RECORD_BYTES = 1 + CIFAR10_IMAGE_BYTES;

export interface CifarBatch {
  n: number;
  /** n × 3 × 32 × 32, CHW per image */
  images: Uint8Array;
  labels: Uint8Array;
}

/** Parse one CIFAR-10 `.bin` batch (uncompressed). `fileName` only appears in error messages. */
export function parseCifar10Batch(bytes: Uint8Array, fileName = 'CIFAR-10 batch', numClasses = 10): CifarBatch {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    const whole = Math.floor(bytes.length / CIFAR10_RECORD_BYTES);
    throw new Error(`${fileName}: ${bytes.length} bytes is not a positive multiple of the ${CIFAR10_RECORD_BYTES}-byte CIFAR-10 record (${whole} whole records and ${bytes.length % CIFAR10_RECORD_BYTES} stray bytes; truncated, or still gzipped?)`);
  }
  const n = bytes.length / CIFAR10_RECORD_BYTES;
  const images = new Uint8Array(n * CIFAR10_IMAGE_BYTES);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const record = i * CIFAR10_RECORD_BYTES;
    const label = bytes[record]!;
    if (label >= numClasses) throw new Error(`${fileName}: record ${i} has label ${label}, expected 0..${numClasses - 1}`);
    labels[i] = label;
    images.set(bytes.subarray(record + 1, record + CIFAR10_RECORD_BYTES), i * CIFAR10_IMAGE_BYTES);
  }
  return { n, images, labels };
}
