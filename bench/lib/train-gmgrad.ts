/** One gmgrad training step on a fixed batch: what the training benchmark times and profiles. */
import { SGD, tensor, tidy, type Backend, type Classifier } from '../../src/index.js';
import { seededLabels, seededUniform } from './data.js';
import { buildModel, type ModelSpec } from './models.js';

/** the optimizer of every implementation's step: SGD with momentum */
export const LR = 0.01, MOMENTUM = 0.9;

/** the benchmark's batch: uniform images in [0, 1] and labels, the same for every implementation */
export function batchData(spec: ModelSpec, batch: number): { x: Float32Array; y: Int32Array } {
  const [c, h, w] = spec.inputShape;
  return { x: seededUniform(batch * c * h * w, 31, 0, 1), y: seededLabels(batch, 10, 32) };
}

export interface Trainer {
  model: Classifier;
  /** forward, backward, SGD update; resolves to the loss once it is computed */
  step(): Promise<number>;
  dispose(): void;
}

export function gmgradTrainer(be: Backend, spec: ModelSpec, head: 'gm' | 'softmax', batch: number,
  o: { lr: number; momentum: number }): Trainer {
  const model = buildModel(spec, head, be);
  model.train(true);
  const opt = new SGD(model.parameters(), { lr: o.lr, momentum: o.momentum });
  const d = batchData(spec, batch);
  const x = tensor(d.x, { shape: [batch, ...spec.inputShape], backend: be });
  const y = tensor(d.y, { shape: [batch], dtype: 'int32', backend: be });
  return {
    model,
    async step() {
      const loss = tidy(() => {
        const out = model.step(x, y);
        out.loss.backward();
        return out.loss;
      });
      opt.step();
      opt.zeroGrad();
      // read after the update is queued: on WebGPU the read waits for the whole step
      try { return await loss.item(); } finally { loss.dispose(); }
    },
    dispose() { x.dispose(); y.dispose(); opt.dispose(); model.dispose(); },
  };
}
