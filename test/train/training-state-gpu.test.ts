/**
 * --resume on the WebGPU backend: the optimizer state is uploaded from the file's values straight to
 * the parameters' backend (a GPU tensor cannot be read back synchronously, so going through one
 * failed with "dataSync: backend 'webgpu' cannot read synchronously").
 */
import { afterAll, expect, it } from 'vitest';
import { createBackend } from '../../src/index.js';
import { setBackend } from '../../src/core/engine.js';
import { SGD } from '../../src/optim/sgd.js';
import { tensor } from '../../src/ops/creation.js';
import { decodeTrainingState, encodeTrainingState } from '../../src/train/checkpoint.js';
import { createTestBackend } from '../backends/webgpu-helpers.js';

const gpu = await createTestBackend();
afterAll(async () => setBackend(await createBackend('cpu')));

it.skipIf(!gpu)('the SGD momentum saved from a WebGPU run loads back into one, as the run\'s default backend', async () => {
  setBackend(gpu!);
  const make = () => {
    const p = tensor([1, 2, 3], { shape: [3], backend: gpu!, requiresGrad: true });
    return { p, opt: new SGD([p], { lr: 0.1, momentum: 0.9 }) };
  };
  const a = make();
  a.p.grad = tensor([0.5, -1, 2], { shape: [3], backend: gpu! });
  a.opt.step();
  const bytes = await encodeTrainingState(a.opt, { epoch: 3, generatorOffset: 7 }, 'sgd');
  const b = make();
  expect(decodeTrainingState(bytes, b.opt, 'state', 'sgd')).toEqual({ epoch: 3, generatorOffset: 7 });
  const sa = a.opt.stateDict().tensors, sb = b.opt.stateDict().tensors;
  expect([...sb.keys()]).toEqual([...sa.keys()]);
  for (const [k, t] of sa) expect(Array.from(await sb.get(k)!.data()), k).toEqual(Array.from(await t.data()));
});
