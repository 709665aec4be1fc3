/**
 * A pool of workers (worker_threads in Node, Web Workers in browsers) that share one
 * WebAssembly.Memory and each instantiate the same kernel module. A job is "call driver d with
 * parameter block p" once per share: the caller writes the blocks, posts shares 1.. to the workers
 * by bumping their generation words with Atomics, and runs share 0 itself. No messages are
 * exchanged per job.
 *
 * A worker claims its share (compare-exchange POSTED → RUNNING) before running it. When the caller
 * finishes its own share it claims every share still unclaimed and runs it too, so a worker that
 * the OS has not scheduled yet (a busy machine, more threads than cores) never holds the job up;
 * the caller then waits in Atomics.wait (spins, on a browser window's main thread, which may not
 * block) only for the shares workers actually started. Which thread
 * runs a share never changes what the share computes.
 *
 * Control words (Int32, at `controlBase` in the shared memory): [0] shares finished by workers,
 * [1] error flag, [2] left to the kernels (their work counter); worker w (1-based) owns words 16w..
 * (its own cache line): [generation, driver id, parameter block, share state].
 */
import { CONTROL_BYTES } from './heap.js';

/** spin iterations (Atomics.load) before sleeping in Atomics.wait: a few tens of microseconds */
const SPIN = 20000;
const SLOT_WORDS = 16;
/** share states (word 3 of a worker's slot) */
const IDLE = 0, POSTED = 1, RUNNING = 2, TAKEN = 3;
export const MAX_THREADS = CONTROL_BYTES / 4 / SLOT_WORDS;

type DriverFn = (paramBlock: number) => void;

interface WorkerInit {
  memory: WebAssembly.Memory;
  bytes: Uint8Array<ArrayBuffer>;
  controlBase: number;
  slot: number;
  drivers: readonly string[];
}

/**
 * The worker's whole program. It is shipped as source text (Function.prototype.toString), so it
 * must not reference anything outside its own body; SPIN and SLOT_WORDS are passed in.
 */
function workerMain(init: WorkerInit, post: (m: { ready?: true; error?: string }) => void, spin: number, slotWords: number,
  states: { idle: number; posted: number; running: number }): Promise<void> {
  const ctrl = new Int32Array(init.memory.buffer, init.controlBase, 1024);
  const base = init.slot * slotWords;
  return WebAssembly.instantiate(init.bytes, { env: { memory: init.memory } }).then((result) => {
    const exports = result.instance.exports as Record<string, (p: number) => void>;
    const fns = init.drivers.map((n) => exports[n]!);
    // read the generation before announcing readiness: the first job may be posted right after
    let seen = Atomics.load(ctrl, base);
    post({ ready: true });
    for (;;) {
      let g = Atomics.load(ctrl, base);
      for (let i = 0; g === seen && i < spin; i++) g = Atomics.load(ctrl, base);
      if (g === seen) { Atomics.wait(ctrl, base, seen); continue; }
      seen = g;
      // the caller may have run this share itself already (then the state is no longer POSTED)
      if (Atomics.compareExchange(ctrl, base + 3, states.posted, states.running) !== states.posted) continue;
      const id = Atomics.load(ctrl, base + 1);
      if (id < 0) return;
      try {
        fns[id]!(Atomics.load(ctrl, base + 2));
      } catch (e) {
        post({ error: String((e as Error)?.stack ?? e) });
        Atomics.store(ctrl, 1, 1);
      }
      Atomics.store(ctrl, base + 3, states.idle);
      Atomics.add(ctrl, 0, 1);
      Atomics.notify(ctrl, 0);
    }
  });
}

const STATES = JSON.stringify({ idle: IDLE, posted: POSTED, running: RUNNING });

const NODE_WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const main = ${workerMain.toString()};
main(workerData, (m) => (m.ready ? parentPort : workerData.errorPort).postMessage(m), ${SPIN}, ${SLOT_WORDS}, ${STATES})
  .catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

const BROWSER_WORKER_SOURCE = `
const main = ${workerMain.toString()};
self.onmessage = (ev) => {
  self.onmessage = null;
  main(ev.data, (m) => { if (m.error) console.error('gmgrad wasm worker:', m.error); self.postMessage(m); }, ${SPIN}, ${SLOT_WORDS}, ${STATES})
    .catch((e) => self.postMessage({ error: String(e && e.stack || e) }));
};
`;

interface WorkerHandle {
  terminate(): void;
  /** synchronously takes a queued error report (Node only) */
  takeError(): string | undefined;
}

export interface ThreadPoolOptions {
  /** total threads including the calling thread (which runs share 0) */
  threads: number;
  memory: WebAssembly.Memory;
  moduleBytes: Uint8Array<ArrayBuffer>;
  drivers: readonly string[];
  controlBase: number;
  /** the calling thread's own instance of the module */
  mainExports: Record<string, unknown>;
  /**
   * whether the calling thread may sleep in Atomics.wait (default true); a browser window's main
   * thread may not, so it spins until the workers' shares are done (they were started already)
   */
  canBlock?: boolean;
}

export class ThreadPool {
  readonly size: number;
  /** profiling (bench:train --profile): when true, run() adds up how long the caller waits for workers */
  timing = false;
  /** ms the calling thread spent waiting for workers' shares after finishing its own (while timing) */
  waitedMs = 0;
  /** shares the calling thread ran itself because no worker had started them (while timing) */
  sharesTakenOver = 0;
  private readonly ctrl: Int32Array;
  private readonly mainFns: DriverFn[];
  private disposed = false;
  private readonly canBlock: boolean;

  private constructor(opts: ThreadPoolOptions, private readonly workers: WorkerHandle[]) {
    this.size = workers.length + 1;
    this.canBlock = opts.canBlock ?? true;
    this.ctrl = new Int32Array(opts.memory.buffer, opts.controlBase, CONTROL_BYTES / 4);
    this.mainFns = opts.drivers.map((n) => {
      const fn = opts.mainExports[n];
      if (typeof fn !== 'function') throw new Error(`thread pool: module has no driver ${n}`);
      return fn as DriverFn;
    });
  }

  /** Starts threads − 1 workers and resolves when all have instantiated the module. */
  static async create(opts: ThreadPoolOptions): Promise<ThreadPool> {
    if (opts.threads < 1 || opts.threads > MAX_THREADS) {
      throw new RangeError(`thread pool: threads must be in [1, ${MAX_THREADS}], got ${opts.threads}`);
    }
    const inits: WorkerInit[] = [];
    for (let slot = 1; slot < opts.threads; slot++) {
      inits.push({ memory: opts.memory, bytes: opts.moduleBytes, controlBase: opts.controlBase, slot, drivers: [...opts.drivers] });
    }
    const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
    const workers = await Promise.all(inits.map((init) => (isNode ? startNodeWorker(init) : startBrowserWorker(init))));
    return new ThreadPool(opts, workers);
  }

  /**
   * Runs `driver` once per entry of `params` (≤ size): entry 0 on this thread, entry w on worker w.
   * Returns when all have finished; rethrows the first failure.
   */
  run(driver: number, params: readonly number[]): void {
    if (this.disposed) throw new Error('thread pool: used after dispose()');
    const n = params.length;
    if (n < 1 || n > this.size) throw new RangeError(`thread pool: ${n} shares for ${this.size} threads`);
    const ctrl = this.ctrl;
    Atomics.store(ctrl, 0, 0);
    Atomics.store(ctrl, 1, 0);
    for (let w = 1; w < n; w++) {
      const base = w * SLOT_WORDS;
      Atomics.store(ctrl, base + 1, driver);
      Atomics.store(ctrl, base + 2, params[w]!);
      Atomics.store(ctrl, base + 3, POSTED);
      Atomics.add(ctrl, base, 1);
      Atomics.notify(ctrl, base, 1);
    }
    let mainError: unknown;
    const runHere = (share: number) => {
      try {
        this.mainFns[driver]!(params[share]!);
      } catch (e) {
        mainError ??= e;
      }
    };
    runHere(0);
    // shares no worker has started yet are run here; the others are waited for
    let started = 0;
    for (let w = 1; w < n; w++) {
      const base = w * SLOT_WORDS;
      if (Atomics.compareExchange(ctrl, base + 3, POSTED, TAKEN) === POSTED) {
        runHere(w);
        Atomics.store(ctrl, base + 3, IDLE);
        if (this.timing) this.sharesTakenOver++;
      } else {
        started++;
      }
    }
    const waitFrom = this.timing ? performance.now() : 0;
    for (;;) {
      let done = Atomics.load(ctrl, 0);
      for (let i = 0; done < started && i < SPIN; i++) done = Atomics.load(ctrl, 0);
      if (done >= started) break;
      if (this.canBlock) Atomics.wait(ctrl, 0, done);
    }
    if (this.timing) this.waitedMs += performance.now() - waitFrom;
    if (mainError !== undefined) throw mainError;
    if (Atomics.load(ctrl, 1) !== 0) {
      const reports = this.workers.map((w) => w.takeError()).filter((e) => e !== undefined);
      throw new Error(`wasm kernel failed in a worker thread: ${reports.join('\n') || 'see the worker console'}`);
    }
  }

  /** Stops the workers (they exit their wait loop); the pool cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (let w = 1; w < this.size; w++) {
      const base = w * SLOT_WORDS;
      Atomics.store(this.ctrl, base + 1, -1);
      Atomics.store(this.ctrl, base + 3, POSTED);
      Atomics.add(this.ctrl, base, 1);
      Atomics.notify(this.ctrl, base, 1);
    }
    for (const w of this.workers) w.terminate();
  }
}

async function startNodeWorker(init: WorkerInit): Promise<WorkerHandle> {
  const wt = await import(/* @vite-ignore */ 'node:worker_threads');
  const { port1, port2 } = new wt.MessageChannel();
  const worker = new wt.Worker(NODE_WORKER_SOURCE, {
    eval: true,
    // the source is CommonJS: a parent started with --input-type=module would pass that on
    execArgv: ((globalThis as { process?: { execArgv: string[] } }).process?.execArgv ?? []).filter((a) => !a.startsWith('--input-type')),
    workerData: { ...init, errorPort: port2 },
    transferList: [port2],
  });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: { ready?: true; error?: string }) => {
      if (m.ready) { cleanup(); resolve(); } else if (m.error) { cleanup(); reject(new Error(`wasm worker failed to start: ${m.error}`)); }
    };
    const onError = (e: Error) => { cleanup(); reject(e); };
    const cleanup = () => { worker.off('message', onMessage); worker.off('error', onError); };
    worker.on('message', onMessage);
    worker.on('error', onError);
  });
  // idle workers must not keep the process alive; dispose() is still the clean way out
  worker.unref();
  port1.unref();
  return {
    terminate: () => { void worker.terminate(); },
    takeError: () => {
      const m = wt.receiveMessageOnPort(port1) as { message?: { error?: string } } | undefined;
      return m?.message?.error;
    },
  };
}

async function startBrowserWorker(init: WorkerInit): Promise<WorkerHandle> {
  const url = URL.createObjectURL(new Blob([BROWSER_WORKER_SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url);
  await new Promise<void>((resolve, reject) => {
    worker.onmessage = (ev: MessageEvent<{ ready?: true; error?: string }>) => {
      if (ev.data.ready) resolve();
      else if (ev.data.error) reject(new Error(`wasm worker failed to start: ${ev.data.error}`));
    };
    worker.onerror = (ev) => reject(new Error(`wasm worker failed to start: ${ev.message}`));
    worker.postMessage(init);
  });
  URL.revokeObjectURL(url);
  return { terminate: () => worker.terminate(), takeError: () => undefined };
}
