/** --help text, one place for all three benchmarks. */
export function usage(bench: 'kernels' | 'train' | 'attack'): string {
  const specific = {
    kernels: '  --big               add matmul 4096 and lift the 8 s per-run cap\n  --sw-mflop n        largest row (MFLOP) run at full size on a software WebGPU adapter (default 20)',
    train: [
      '  --models a,b        small-cnn, lenet, mnist-6conv, resnet20 (default all four)',
      '  --head gm|softmax   the classifier head (default gm)',
      '  --batch n           images per step (default 64)',
      '  --rounds n          alternating rounds of wasm1, wasm, torch1, torch (default 7)',
      '  --round-steps n     steps per implementation and round (default 3)',
      '  --profile           instead of timing: where one step\'s time goes per gmgrad backend (op kinds, kernels,',
      '                      thread hand-off, JavaScript, layers, algorithms) and its effective GFLOPS vs the SIMD peak',
      '  --memory            instead of timing: peak RSS of a training run (one --models, default resnet20; --batch',
      '                      default 128; --memory-steps default 200) for gmgrad and PyTorch, each in a fresh process',
      '  --epoch             instead of timing: one full training epoch with `gmgrad train` and with PyTorch',
      '                      (bench/torch/epoch.py), same data and recipe (--models, default mnist-6conv,resnet20;',
      '                      --data: the folder holding mnist/ and cifar10/, default ../shared/data); minutes',
    ].join('\n'),
    attack: '  --steps n           PGD steps (default 40; fewer on slow backends, rate per step reported)\n  --batch n           images (default 256)\n  --head gm|softmax   the classifier head (default gm)',
  }[bench];
  return [
    `npm run bench:${bench} -- [options]`,
    `  --backends a,b      cpu, wasm1, wasm, webgpu, tfjs-cpu, tfjs-wasm, tfjs-webgpu${bench === 'train' ? ', torch1, torch' : ''}, gmgrad, tfjs${bench === 'train' ? ', torch' : ''}, all`,
    '  --rows a,b          keep rows whose id contains one of these',
    '  --quick             fewer rows and runs',
    '  --budget s          seconds of timed runs per cell',
    specific,
    '  --out file          JSON path (default bench/results/<bench>-<date>.json); --no-json: none',
  ].join('\n');
}
