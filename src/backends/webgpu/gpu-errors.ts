/**
 * Errors of the WebGPU backend. Argument errors throw at once (`fail`, naming the kernel). Device
 * errors arrive asynchronously (validation, out-of-memory, device loss): DeviceHealth collects
 * them and `check()` rethrows the first one on the next backend call, so a broken pipeline never
 * turns into silent zeros or a hang.
 */
export class WebGpuError extends Error {
  override name = 'WebGpuError';
}

export function fail(kernel: string, message: string): never {
  throw new WebGpuError(`${kernel}: ${message}`);
}

export class DeviceHealth {
  #error: WebGpuError | null = null;
  #lost: string | null = null;
  readonly #lostListeners = new Set<(reason: string) => void>();

  constructor(device: GPUDevice) {
    void device.lost.then((info) => {
      this.#lost = `${info.reason ?? 'unknown'}: ${info.message || 'no message'}`;
      for (const listener of this.#lostListeners) listener(this.#lost);
      this.#lostListeners.clear();
    });
    const onError = (event: Event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.report(`uncaptured ${errorKind(error)}: ${error?.message ?? String(error)}`);
    };
    device.addEventListener?.('uncapturederror', onError);
    if (!device.addEventListener) (device as { onuncapturederror: unknown }).onuncapturederror = onError;
  }

  /** Records a device error (the first one wins: later ones are usually consequences). */
  report(message: string): void {
    if (!this.#error) this.#error = new WebGpuError(`webgpu: ${message}`);
  }

  get isLost(): boolean {
    return this.#lost !== null;
  }

  /**
   * Calls `listener` if the device is lost before the returned function is called (at once when
   * it already is). Waits that must not hang (a read's mapAsync) subscribe for their duration only.
   */
  onLost(listener: (reason: string) => void): () => void {
    if (this.#lost !== null) {
      listener(this.#lost);
      return () => {};
    }
    this.#lostListeners.add(listener);
    return () => this.#lostListeners.delete(listener);
  }

  /** Throws a recorded device error or device loss. The error stays: the device is not trusted again. */
  check(kernel: string): void {
    if (this.#lost !== null) throw new WebGpuError(`${kernel}: the WebGPU device was lost (${this.#lost}); create a new backend`);
    if (this.#error) throw new WebGpuError(`${kernel}: an earlier GPU command failed: ${this.#error.message}`);
  }
}

export function errorKind(error: GPUError | undefined): string {
  if (!error) return 'error';
  const name = error.constructor?.name ?? '';
  if (/Validation/.test(name)) return 'validation error';
  if (/OutOfMemory/.test(name)) return 'out-of-memory error';
  if (/Internal/.test(name)) return 'internal error';
  return 'GPU error';
}
