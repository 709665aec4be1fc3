/**
 * `bench:train -- --epoch`: the wall clock of one full training epoch with `gmgrad train` (the CLI,
 * built by `npm run build`, wasm backend) and with PyTorch (bench/torch/epoch.py) on the same data,
 * architecture and recipe: the PyTorch side reads the network from the checkpoint the gmgrad run
 * wrote and its recipe from that run's metrics.json. resnet20 trains on CIFAR-10 (augmented, as
 * the recipe says), mnist-6conv on MNIST. Minutes per model.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTable } from './table.js';
import { probeTorch } from './torch.js';

const DATASET: Record<string, string> = { resnet20: 'cifar10', 'mnist-6conv': 'mnist', 'small-cnn': 'mnist', lenet: 'mnist' };

/** the repository root, from bench/dist/bench/lib */
function root(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
}

function run(cmd: string, args: string[], cwd: string): { wallS: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 6 * 3_600_000, maxBuffer: 64 * 1024 * 1024 });
  const wallS = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.slice(0, 2).join(' ')} failed (${r.status ?? r.error?.message}): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ')}`);
  return { wallS, stdout: r.stdout };
}

export function compareEpochs(models: readonly string[], dataRoot: string | null): string {
  const repo = root();
  process.stderr.write('epoch: npm run build…\n');
  run('npm', ['run', 'build', '--silent'], repo);
  const info = probeTorch();
  const rows: string[][] = [];
  const threads = availableParallelism();
  for (const model of models) {
    const dataset = DATASET[model];
    if (!dataset) throw new Error(`--epoch: no dataset for model ${model} (known: ${Object.keys(DATASET).join(', ')})`);
    const data = path.resolve(dataRoot ?? path.join(repo, '..', 'shared', 'data'), dataset);
    if (!existsSync(data)) throw new Error(`--epoch: no ${dataset} files in ${data} (give --data, the folder holding mnist/ and cifar10/)`);
    const out = mkdtempSync(path.join(tmpdir(), `gmgrad-epoch-${model}-`));
    try {
      process.stderr.write(`epoch: gmgrad train ${model} on ${dataset}…\n`);
      const g = run(process.execPath, [path.join(repo, 'dist', 'cli', 'main.js'), 'train', '--dataset', dataset, '--model', model,
        '--epochs', '1', '--backend', 'wasm', '--threads', String(threads), '--data', data, '--out', out], repo);
      const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8')) as { config: { batch: number; augment: boolean }; epochs: Array<{ seconds: number; imagesPerSecond: number; testAccuracy: number }> };
      const e = metrics.epochs[0]!;
      let torchCells = ['n/a', '', ''];
      if (!('unavailable' in info)) {
        process.stderr.write(`epoch: PyTorch ${model}…\n`);
        const t = run(info.python, [path.join(repo, 'bench', 'torch', 'epoch.py'), '--checkpoint', path.join(out, 'model.safetensors'),
          '--metrics', path.join(out, 'metrics.json'), '--data', data, '--threads', String(threads)], repo);
        const r = JSON.parse(t.stdout.trim().split('\n').pop()!) as { seconds: number; imagesPerSecond: number };
        torchCells = [r.seconds.toFixed(1), r.imagesPerSecond.toFixed(0), `×${(r.seconds / e.seconds).toFixed(2)}`];
      }
      rows.push([
        `${model} (${dataset}, batch ${metrics.config.batch}${metrics.config.augment ? ', augmented' : ''})`,
        e.seconds.toFixed(1), e.imagesPerSecond.toFixed(0), g.wallS.toFixed(1), ...torchCells,
      ]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  const torchLabel = 'unavailable' in info ? `PyTorch: n/a (${info.unavailable})` : `PyTorch ${info.version} (${threads} threads)`;
  return [
    `one training epoch: gmgrad train (wasm, ${threads} threads) vs ${torchLabel} (bench/torch/epoch.py), same data, network and recipe`,
    '',
    renderTable([
      { title: 'model', align: 'left' }, { title: 'gmgrad epoch', unit: 's' }, { title: 'gmgrad', unit: 'img/s' },
      { title: 'whole command', unit: 's' }, { title: 'PyTorch epoch', unit: 's' }, { title: 'PyTorch', unit: 'img/s' },
      { title: 'gmgrad/PyTorch', unit: 'speed-up' },
    ], rows),
    '',
    'epoch = the training loop (gmgrad: metrics.json `seconds`; PyTorch: the same loop); whole command = `gmgrad train` from start to exit (data loading, test pass, checkpoint)',
  ].join('\n');
}
