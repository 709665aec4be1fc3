// Type-checked against the installed tarball's declarations (scripts/check-package.mjs), once with
// moduleResolution node16 and once with bundler; never run.
import * as g from 'gmgrad';
import { loadDataset, loadModel, runTraining, saveModel, trainOnData, writeReport, type RunResult } from 'gmgrad/node';

export async function consumer(): Promise<number> {
  const { backend, description }: g.InitResult = await g.init({ backend: 'auto', verbose: true });
  const data: g.Dataset = await loadDataset('mnist', { split: 'test' });
  const config: g.TrainConfig = { ...g.defaultConfig('mnist'), model: 'tiny-cnn', epochs: 1, out: 'runs/x' };
  const run: RunResult = await trainOnData(config, backend, description, g.sliceDataset(data, 0, 100), g.sliceDataset(data, 100, 100));
  const again: RunResult = await runTraining({ ...config, limit: 100 }, { verbose: false });
  await saveModel('m.safetensors', run.model);
  const { model, architecture }: { model: g.Classifier; architecture: g.Architecture } = await loadModel('m.safetensors', backend, { architecture: { model: 'tiny-cnn' } });
  const x: g.Tensor = g.randn([2, 1, 28, 28]);
  const r: g.AttackResult = await new g.CW({ maxIterations: 2 }).run(model, x, g.tensor([1, 2], { dtype: 'int32' }), undefined, { onIteration: (done: number, total: number) => void (done / total) });
  const files: string[] = await writeReport('r.html', { title: architecture.model, backend: description, config: {}, models: [] });
  const print: (e: g.TaskEvent) => void = g.taskProgressPrinter();
  print({ phase: 'start', task: 'x', total: 1 });
  again.model.dispose();
  return r.norms.length + files.length;
}
