/**
 * The gmgrad side of `bench:train -- --memory`, in a process of its own so that its peak resident
 * set is its alone: node bench/dist/bench/train-memory-child.js MODEL BATCH STEPS THREADS
 * trains MODEL for STEPS steps on the wasm backend and prints one JSON line: peak RSS (KiB), ms/step.
 */
import { runBench } from './lib/run-bench.js';
import { MODEL_SPECS } from './lib/models.js';
import { gmgradTrainer, LR, MOMENTUM } from './lib/train-gmgrad.js';

async function main(): Promise<void> {
  const [model, batchArg, stepsArg, threadsArg] = process.argv.slice(2);
  const spec = MODEL_SPECS[model as keyof typeof MODEL_SPECS];
  if (!spec) throw new Error(`train-memory-child: unknown model ${model}`);
  const { createWasmBackend } = await import('../src/backends/create.js');
  const backend = await createWasmBackend({ threads: Number(threadsArg), verbose: false });
  const trainer = gmgradTrainer(backend, spec, 'gm', Number(batchArg), { lr: LR, momentum: MOMENTUM });
  const steps = Number(stepsArg);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await trainer.step();
  const ms = (performance.now() - t0) / steps;
  trainer.dispose();
  console.log(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, msPerStep: ms, heapBytes: backend.memory().pooledBytes }));
  backend.dispose();
}

runBench(main);
