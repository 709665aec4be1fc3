/**
 * Reverse-mode automatic differentiation, the whole mechanism in one file.
 *
 * Ops call `record()` to attach a GradNode to their output when any input requires a gradient
 * and recording is on. `backward()` walks the graph in reverse topological order, asking each
 * node for its inputs' gradients (gradient rules are written with ops, so every backend gets them
 * for free), and accumulates into leaves. The graph is freed afterwards.
 */
import { Tensor, type GradNode } from './tensor.js';
import { keep, tidy } from './scope.js';
import { formatShape, shapesEqual } from './shape.js';
import { addGradients, copyAs, detached, filledLike } from './grad-arithmetic.js';

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run fn without recording gradients (inference, optimizer updates, attack bookkeeping). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    const r = fn();
    if (r instanceof Promise) {
      // async: restore when it settles (do not interleave with recorded work meanwhile)
      return r.finally(() => { gradEnabled = prev; }) as T;
    }
    gradEnabled = prev;
    return r;
  } catch (e) {
    gradEnabled = prev;
    throw e;
  }
}

/** Run fn with gradient recording on, even inside noGrad (e.g. an attack's input gradient). */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Attach a gradient node to `output` if recording and any input requires a gradient. */
export function record(op: string, inputs: readonly Tensor[], output: Tensor, backward: GradNode['backward']): Tensor {
  if (!gradEnabled) return output;
  if (!inputs.some((t) => t.requiresGrad)) return output;
  output.gradNode = { op, inputs, backward };
  output.requiresGrad = true;
  return output;
}

interface BackwardOptions {
  /** accumulate only into these tensors' gradients and return them; leave every .grad untouched */
  inputs?: readonly Tensor[];
  /** keep the graph for another backward (default false: the graph is freed) */
  retainGraph?: boolean;
}

/** The error for a tensor of the graph that was disposed before backward() reached it. */
function disposedInGraph(t: Tensor): Error {
  const what = t.gradNode ? `the output of '${t.gradNode.op}'` : 'a leaf';
  return new Error(`backward: ${t.describe()} (${what}) was disposed before backward() reached it, so its gradient ` +
    'cannot be computed or passed on; keep it alive until backward() (return it from tidy(), or call backward() inside the same tidy)');
}

/** Order the nodes reachable from root so every node comes after all nodes that consume it. */
function reverseTopological(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.gradNode?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const child = inputs[i]!;
      if (!seen.has(child) && child.requiresGrad) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order.reverse();
}

/**
 * Backpropagate from `root`. Without `inputs`, gradients accumulate into every leaf with
 * requiresGrad (`leaf.grad`). With `inputs`, only those tensors' gradients are computed and
 * returned, and no `.grad` is touched (what attacks need: input gradients, parameters untouched).
 */
export function backward(root: Tensor, gradOutput?: Tensor, options: BackwardOptions = {}): (Tensor | null)[] {
  if (root.graphFreed) {
    throw new Error(`backward: the graph of ${root.describe()} was already freed by an earlier backward(); ` +
      'recompute the forward pass, or pass { retainGraph: true } to the first backward');
  }
  if (!root.requiresGrad) {
    throw new Error(`backward: ${root.describe()} does not require a gradient (no input of its graph has requiresGrad, or it was computed under noGrad)`);
  }
  if (!gradOutput && root.size !== 1) {
    throw new Error(`backward: ${root.describe()} is not a scalar; pass the output gradient explicitly (shape ${formatShape(root.shape)})`);
  }
  if (gradOutput && !shapesEqual(gradOutput.shape, root.shape)) {
    throw new Error(`backward: gradient shape ${formatShape(gradOutput.shape)} does not match output shape ${formatShape(root.shape)}`);
  }
  const targets = options.inputs ? new Set(options.inputs) : null;
  const order = reverseTopological(root);

  // With explicit inputs, only nodes on a path to one of them need work.
  let relevant: Set<Tensor> | null = null;
  if (targets) {
    relevant = new Set();
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i]!;
      if (targets.has(t) || (t.gradNode?.inputs.some((c) => relevant!.has(c)) ?? false)) relevant.add(t);
    }
  }

  const result = tidy(() => {
    const grads = new Map<Tensor, Tensor>();
    grads.set(root, gradOutput ?? filledLike(root, 1));
    const prev = gradEnabled;
    gradEnabled = false; // gradient rules are not themselves recorded
    try {
      for (const t of order) {
        const g = grads.get(t);
        if (!g) continue;
        const node = t.gradNode;
        if (!node) continue;
        if (t.isDisposed) throw disposedInGraph(t);
        const needs = node.inputs.map((c) => c.requiresGrad && (relevant ? relevant.has(c) : true));
        if (!needs.some(Boolean)) continue;
        const gone = node.inputs.find((c, i) => needs[i] && c.isDisposed);
        if (gone) throw disposedInGraph(gone);
        const inGrads = node.backward(g, needs);
        node.inputs.forEach((child, i) => {
          const gi = inGrads[i];
          if (!needs[i] || !gi) return;
          if (!shapesEqual(gi.shape, child.shape)) {
            throw new Error(`backward: gradient rule of '${node.op}' returned shape ${formatShape(gi.shape)} for input ${i} of shape ${formatShape(child.shape)}`);
          }
          const acc = grads.get(child);
          grads.set(child, acc ? addGradients(acc, gi) : gi);
        });
        if (t !== root) grads.delete(t); // intermediate gradients are no longer needed
      }
    } finally {
      gradEnabled = prev;
    }
    if (targets) return options.inputs!.map((t) => grads.get(t) ?? null);
    // accumulate into leaves; a gradient tensor may be shared by several leaves (e.g. add), so
    // a leaf gets its own copy when another leaf already owns that tensor
    const owned = new Set<Tensor>();
    for (const [t, g] of grads) {
      if (!t.isLeaf || !t.requiresGrad) continue;
      if (t.isDisposed) throw disposedInGraph(t);
      if (t.grad) {
        const sum = addGradients(t.grad, g);
        t.grad.dispose();
        t.grad = keep(sum);
      } else {
        const mine = owned.has(g) || g === gradOutput || g.dtype !== t.dtype ? copyAs(g, t.dtype) : g;
        owned.add(mine);
        t.grad = keep(mine);
      }
    }
    return [];
  });

  if (!options.retainGraph) {
    for (const t of order) {
      if (t.gradNode) {
        t.gradNode = null;
        t.graphFreed = true;
      }
    }
  }
  return result;
}

/**
 * Functional gradient: `grad(f)(x1, x2, ...)` returns df/dxi for every argument (f must return a
 * scalar tensor). Parameters used inside f keep their .grad untouched.
 */
export function grad(fn: (...args: Tensor[]) => Tensor): (...args: Tensor[]) => Tensor[] {
  return (...args) => valueAndGrad(fn)(...args).grads;
}

/** Like grad, also returning f's value. The arguments are treated as leaves (detached copies). */
export function valueAndGrad(fn: (...args: Tensor[]) => Tensor): (...args: Tensor[]) => { value: Tensor; grads: Tensor[] } {
  return (...args) => {
    const prev = gradEnabled;
    gradEnabled = true;
    try {
      return tidy(() => {
        const leaves = args.map((a) => detached(a).requiresGrad_());
        const value = fn(...leaves);
        if (!(value instanceof Tensor)) throw new Error('valueAndGrad: the function must return a Tensor');
        const grads = value.requiresGrad
          ? backward(value, undefined, { inputs: leaves }).map((g, i) => g ?? filledLike(leaves[i]!, 0))
          : leaves.map((l) => filledLike(l, 0));
        const detachedValue = detached(value);
        return { value: detachedValue, grads };
      });
    } finally {
      gradEnabled = prev;
    }
  };
}
