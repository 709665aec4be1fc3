/**
 * Refusing allocations a backend cannot hold, before they are attempted: a host-memory backend
 * that allocates 16 GB lazily is OOM-killed later, while a refusal here names the op and the size.
 */

/** Physical memory available to this process (the cgroup limit when smaller), or null when unknown. */
export function hostMemoryBytes(): number | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; constrainedMemory?: () => number } }).process;
  let total: number | null = null;
  try {
    const os = proc?.getBuiltinModule?.('node:os') as { totalmem?: () => number } | undefined;
    total = os?.totalmem?.() ?? null;
    const constrained = proc?.constrainedMemory?.();
    if (constrained && constrained > 0 && (total === null || constrained < total)) total = constrained;
  } catch {
    total = null;
  }
  if (total === null) {
    const gib = (globalThis as { navigator?: { deviceMemory?: number } }).navigator?.deviceMemory;
    if (typeof gib === 'number' && gib > 0) total = gib * 2 ** 30;
  }
  return total;
}

/** The default budget of a host-memory backend: half of this machine's memory, or 4 GiB when unknown. */
export function defaultMemoryLimit(): number {
  const host = hostMemoryBytes();
  return host === null ? 4 * 2 ** 30 : Math.floor(host / 2);
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes, u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? `${bytes} bytes` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** The refusal (after the kernel's name): the element count and bytes, and the limit it would pass. */
export function allocationRefusal(size: number, dtype: string, bytes: number, room: number, limit: string): string {
  return `refusing to allocate ${size} ${dtype} elements (${formatBytes(bytes)}): only ${formatBytes(Math.max(0, room))} of ${limit} is free`;
}
