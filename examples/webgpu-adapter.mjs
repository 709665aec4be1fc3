// Choose a WebGPU adapter in Node, and fall back to the CPU backends when there is none that fits.
//
//   npm install webgpu        # Dawn's bindings: optional, gmgrad runs without them
//   node examples/webgpu-adapter.mjs [--power high-performance|low-power] [--fallback-adapter] [--allow-software]
//
// Linux without a GPU: a software adapter (SwiftShader from Debian's chromium package) works with
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node examples/webgpu-adapter.mjs --allow-software
// Then one matmul and one convolution run on the backend chosen and are compared with the CPU reference.
import { parseArgs } from 'node:util';
import * as g from 'gmgrad';

const { values: o } = parseArgs({ options: {
  power: { type: 'string', default: 'high-performance' }, 'fallback-adapter': { type: 'boolean', default: false },
  'allow-software': { type: 'boolean', default: false },
} });

let chosen;
try {
  // the adapter asked for; gmgrad probes for it quietly and says why when there is none
  chosen = await g.init({ backend: 'webgpu', powerPreference: o.power, forceFallbackAdapter: o['fallback-adapter'] });
  const info = chosen.backend.adapterInfo();
  console.log(`WebGPU adapter: ${[info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || '(unnamed)'}${info.isSoftware ? ' — a software adapter' : ''}`);
  if (info.isSoftware && !o['allow-software']) throw new Error('a software adapter is slower than the WebAssembly backend (pass --allow-software to use it anyway)');
} catch (e) {
  console.log(`not using WebGPU: ${e.message.split('\n')[0]}`);
  // 'auto' takes the WebAssembly SIMD backend (threads on every core), else the TypeScript reference
  chosen = await g.init({ backend: 'auto' });
}
console.log(`backend: ${chosen.description}`);

const backend = chosen.backend, cpu = await g.createBackend('cpu');
const gen = new g.Generator(0);
const uniform = (n, lo, hi) => Float32Array.from(gen.uniform(n, lo, hi)); // float32: what WebGPU computes in
const a = uniform(256 * 512, -1, 1), b = uniform(512 * 128, -1, 1);
const img = uniform(8 * 3 * 32 * 32, 0, 1), w = uniform(16 * 3 * 5 * 5, -0.2, 0.2);
const on = async (be) => {
  const t0 = performance.now();
  const out = g.tidy(() => {
    const m = g.matmul(g.tensor(a, { shape: [256, 512], backend: be }), g.tensor(b, { shape: [512, 128], backend: be }));
    const c = g.conv2d(g.tensor(img, { shape: [8, 3, 32, 32], backend: be }), g.tensor(w, { shape: [16, 3, 5, 5], backend: be }), null, { padding: 2 });
    return [m, c];
  });
  const data = [await out[0].data(), await out[1].data()];
  out.forEach((t) => t.dispose());
  return { data, ms: performance.now() - t0 };
};
const mine = await on(backend), ref = await on(cpu);
const maxDiff = (x, y) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
console.log(`matmul 256×512·512×128 and conv2d 8×3×32×32 * 16×3×5×5 on ${backend.name}: ${mine.ms.toFixed(1)} ms (first call, kernels compiled); `
  + `max |difference| from the CPU reference ${maxDiff(mine.data[0], ref.data[0]).toExponential(1)} (matmul), ${maxDiff(mine.data[1], ref.data[1]).toExponential(1)} (conv2d)`);
