// Per-op wall time of training steps on a backend: node scripts/profile-step.mjs [model] [backend] [steps] [batch]
import { init, SGD, tensor, tidy } from '../dist/index.js';
import { createModel } from '../dist/models/zoo.js';
const [model = 'small-cnn', backendName = 'wasm', steps = '10', batchArg = '64'] = process.argv.slice(2);
const batch = Number(batchArg);
const threads = Number(process.env.THREADS ?? 0) || undefined;
const be = (await init({ backend: backendName, verbose: false, threads })).backend;
const times = new Map();
const proto = Object.getPrototypeOf(be);
const names = new Set();
for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) for (const n of Object.getOwnPropertyNames(p)) names.add(n);
for (const n of names) {
  if (n === 'constructor' || typeof be[n] !== 'function') continue;
  const f = be[n].bind(be);
  be[n] = (...a) => {
    const t = performance.now(); const r = f(...a); const dt = performance.now() - t;
    let key = n; if (n === 'unary' || n === 'binary' || n === 'reduce') key += ':' + a[0];
    const e = times.get(key) ?? { ms: 0, calls: 0 }; e.ms += dt; e.calls++; times.set(key, e); return r;
  };
}
const shape = model === 'resnet20' ? [3, 32, 32] : [1, 28, 28];
const m = createModel(model, { inputShape: shape, featureDim: 2, numClasses: 10, head: 'gm', backend: be });
m.train(true);
const opt = new SGD(m.parameters(), { lr: 0.01, momentum: 0.9 });
const x = tensor(Float32Array.from({ length: batch * shape.reduce((a, b) => a * b) }, (_, i) => (i * 7919 % 255) / 255), { shape: [batch, ...shape], backend: be });
const y = tensor(Int32Array.from({ length: batch }, (_, i) => i % 10), { shape: [batch], dtype: 'int32', backend: be });
const step = async () => { const loss = tidy(() => { const o = m.step(x, y); o.loss.backward(); return o.loss; }); opt.step(); opt.zeroGrad(); const v = await loss.item(); loss.dispose(); return v; };
for (let i = 0; i < 3; i++) await step();
times.clear();
const t0 = performance.now();
for (let i = 0; i < Number(steps); i++) await step();
const total = (performance.now() - t0) / Number(steps);
const rows = [...times].sort((a, b) => b[1].ms - a[1].ms);
let sum = 0;
console.log(`${model} ${backendName} batch ${batch}: ${total.toFixed(1)} ms/step, ${(batch / total * 1000).toFixed(0)} img/s`);
for (const [k, v] of rows) { sum += v.ms; if (v.ms / Number(steps) > 0.2) console.log(`${k.padEnd(32)} ${(v.ms / Number(steps)).toFixed(2).padStart(8)} ms ${String(v.calls / Number(steps)).padStart(5)} calls`); }
console.log(`in backend calls: ${(sum / Number(steps)).toFixed(1)} ms/step`);
process.exit(0);
