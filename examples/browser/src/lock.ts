/**
 * One piece of device work at a time: a training step, a probe, a calibration or an attack. Each
 * takes the lock for its own duration, so training and the playground interleave step by step
 * instead of racing on the model's train/eval mode and weights.
 */
export class Lock {
  #tail: Promise<unknown> = Promise.resolve();
  #held = 0;

  get busy(): boolean { return this.#held > 0; }

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(async () => {
      this.#held++;
      try { return await fn(); } finally { this.#held--; }
    });
    // the chain continues whatever this job did; its error goes to its own caller
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
