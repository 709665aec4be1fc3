/**
 * Ops of your own, differentiable: the forward pass is written with gmgrad's ops (not recorded),
 * and `backward` says how the output's gradient flows to each input — PyTorch's
 * autograd.Function, TensorFlow.js's customGrad. The gradient rule runs with recording off, as every
 * built-in rule does.
 */
import { noGrad, record } from './autograd.js';
import { formatShape } from './shape.js';
import { Tensor } from './tensor.js';

export interface CustomOpDefinition<Inputs extends Tensor[]> {
  /** the output from the inputs, with gmgrad ops */
  forward: (...inputs: Inputs) => Tensor;
  /**
   * dL/d(input) for each input (null: no gradient) from dL/d(output), the output and the inputs;
   * each gradient has its input's shape
   */
  backward: (gradOutput: Tensor, output: Tensor, ...inputs: Inputs) => (Tensor | null)[];
}

export function customOp<Inputs extends Tensor[]>(name: string, def: CustomOpDefinition<Inputs>): (...inputs: Inputs) => Tensor {
  return (...inputs: Inputs) => {
    inputs.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new Error(`${name}: input ${i} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
    });
    const output = noGrad(() => def.forward(...inputs));
    if (!(output instanceof Tensor)) throw new Error(`${name}: forward must return a Tensor, got ${output === null ? 'null' : typeof output}`);
    return record(name, inputs, output, (grad) => {
      const grads = def.backward(grad, output, ...inputs);
      if (!Array.isArray(grads) || grads.length !== inputs.length) {
        throw new Error(`${name}: backward must return one gradient (or null) per input: ${inputs.length} expected, got ${Array.isArray(grads) ? grads.length : typeof grads}`);
      }
      grads.forEach((gi, i) => {
        const x = inputs[i]!;
        if (gi !== null && (gi.shape.length !== x.shape.length || gi.shape.some((d, k) => d !== x.shape[k]))) {
          throw new Error(`${name}: the gradient of input ${i} has shape ${formatShape(gi.shape)}, but the input has ${formatShape(x.shape)}`);
        }
      });
      return grads;
    });
  };
}
