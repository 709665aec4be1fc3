/**
 * TensorFlow.js as the peer: tfjs-core with its CPU, WebAssembly and WebGPU backends, in Node.
 * - tfjs-wasm finds its .wasm files through setWasmPaths (the package's dist folder as a path);
 *   TF.js turns WebAssembly threads off in Node (tfjs issue 3830), so it runs SIMD on one thread.
 * - tfjs-webgpu needs navigator.gpu before it is imported (webgpu-env.ts provides Dawn's).
 * PROD mode silences the "install tfjs-node" banner and skips debug checks (what users ship).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as TF from '@tensorflow/tfjs-core';
import { errorText, type ImplId, type Unavailable } from './impls.js';
import { installNavigatorGpu, probeAdapter } from './webgpu-env.js';

export type Tf = typeof TF;

export interface TfjsImpl {
  ok: true;
  id: ImplId;
  tf: Tf;
  /** the TF.js backend name to pass to tf.setBackend */
  backendName: 'cpu' | 'wasm' | 'webgpu';
  label: string;
  software: boolean;
  /** Conv2DBackpropFilter missing (tfjs-wasm): weight gradients go through im2col + matmul */
  im2colWeightGrad: boolean;
}

let tfPromise: Promise<Tf> | null = null;

export function loadTf(): Promise<Tf> {
  tfPromise ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core') as Tf;
    tf.env().set('PROD', true);
    await registerGradients(tf);
    return tf;
  })();
  return tfPromise;
}

export async function openTfjs(id: ImplId): Promise<TfjsImpl | Unavailable> {
  try {
    const tf = await loadTf();
    let backendName: TfjsImpl['backendName'];
    let label: string;
    let software = false;
    switch (id) {
      case 'tfjs-cpu':
        await import('@tensorflow/tfjs-backend-cpu');
        backendName = 'cpu';
        label = 'tfjs-cpu';
        break;
      case 'tfjs-wasm': {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        const require = createRequire(import.meta.url);
        const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
        wasm.setWasmPaths(dist);
        backendName = 'wasm';
        label = 'tfjs-wasm';
        break;
      }
      case 'tfjs-webgpu': {
        await installNavigatorGpu();
        await import('@tensorflow/tfjs-backend-webgpu');
        backendName = 'webgpu';
        const adapter = await probeAdapter();
        software = adapter?.software ?? false;
        label = `tfjs-webgpu (${adapter?.description ?? 'adapter unknown'})`;
        break;
      }
      default:
        return { ok: false, reason: `${id} is not a TF.js backend` };
    }
    if (!(await tf.setBackend(backendName))) return { ok: false, reason: `tf.setBackend('${backendName}') failed` };
    await tf.ready();
    if (backendName === 'wasm') {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      label = `tfjs-wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'threads' : '1 thread'})`;
    }
    const im2colWeightGrad = !tf.getKernel('Conv2DBackpropFilter', backendName);
    return { ok: true, id, tf, backendName, label, software, im2colWeightGrad };
  } catch (e) {
    return { ok: false, reason: errorText(e) };
  }
}

/**
 * tfjs-core's Node bundle has no gradients (see tfjs-esm-hook.ts): load the ES build's
 * register_all_gradients through the hook, once, and check that it took.
 */
async function registerGradients(tf: Tf): Promise<void> {
  if (tf.getGradient('Conv2D')) return;
  const { register } = await import('node:module');
  register('./tfjs-esm-hook.js', import.meta.url);
  const require = createRequire(import.meta.url);
  const file = path.join(path.dirname(require.resolve('@tensorflow/tfjs-core/package.json')), 'dist', 'register_all_gradients.js');
  await import(pathToFileURL(file).href);
  if (!tf.getGradient('Conv2D')) throw new Error('tfjs-core gradients did not register (register_all_gradients.js)');
}

/** make `impl` the active TF.js backend (tensors are created on the active one) */
export async function activate(impl: TfjsImpl): Promise<void> {
  if (impl.tf.getBackend() !== impl.backendName) {
    if (!(await impl.tf.setBackend(impl.backendName))) throw new Error(`tf.setBackend('${impl.backendName}') failed`);
  }
}

/** wait for t: read its first element (on WebGPU this waits for everything queued before) */
export async function syncTf(tf: Tf, t: TF.Tensor): Promise<void> {
  const one = tf.tidy(() => tf.slice(tf.reshape(t, [-1]), [0], [1]));
  try {
    await one.data();
  } finally {
    one.dispose();
  }
}

export async function readTf(t: TF.Tensor): Promise<Float32Array> {
  return Float32Array.from(await t.data() as ArrayLike<number>);
}
