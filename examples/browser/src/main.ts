/**
 * The gmgrad page: pick a backend, load a dataset served next to the page, then wire the three
 * sections (train, attack, checkpoints) and the test hooks.
 */
import { App } from './app.js';
import { AttackPanel } from './attack-panel.js';
import { pickBackend, type BackendReport } from './backend.js';
import { CheckpointPanel } from './checkpoint-panel.js';
import { loadDataset, loadManifest, type DatasetEntry } from './data.js';
import { byId, errorMessage, h } from './dom.js';
import { installHooks } from './hooks.js';
import { PAGE_MODELS } from './models.js';
import { readParams, resolveDefaults, urlWith } from './params.js';
import { showStatus } from './status.js';
import { TrainPanel } from './train-panel.js';

(window as { gmgradPageErrors?: string[] }).gmgradPageErrors = [];

function showBackend(r: BackendReport): void {
  const badge = byId('backend-badge');
  badge.textContent = r.title;
  badge.className = `badge ${r.name === 'webgpu' ? 'gpu' : 'cpu'}`;
  badge.title = r.description;
  const detail = byId('backend-detail');
  if (r.name === 'webgpu') {
    const a = r.adapter;
    const desc = a?.description ? ` — ${a.description}` : '';
    detail.textContent = `WGSL compute shaders on ${a?.vendor || 'an unnamed vendor'}${a?.architecture ? ` / ${a.architecture}` : ''}${desc}${a?.isSoftware ? ' · a software adapter, expect CPU speed' : ''}`;
  } else {
    detail.textContent = `CPU fallback: ${r.fallbackReason ?? 'chosen'}`;
  }
}

/** The model picker shows the network in use (an imported checkpoint's too). */
function showModel(name: string): void {
  const ms = byId<HTMLSelectElement>('model-select');
  if (![...ms.options].some((o) => o.value === name)) ms.append(h('option', { value: name }, `${name} (imported)`));
  ms.value = name;
}

function setupPickers(params: ReturnType<typeof readParams>, datasets: DatasetEntry[], current: string, model: string): void {
  const ms = byId<HTMLSelectElement>('model-select');
  for (const m of PAGE_MODELS) ms.append(h('option', { value: m.id }, m.label));
  ms.value = model;
  ms.addEventListener('change', () => { location.href = urlWith({ model: ms.value }); });
  const bs = byId<HTMLSelectElement>('backend-select');
  bs.value = params.backend;
  bs.addEventListener('change', () => { location.href = urlWith({ backend: bs.value === 'prefer-webgpu' ? null : bs.value }); });
  const ds = byId<HTMLSelectElement>('dataset-select');
  for (const d of datasets) ds.append(h('option', { value: d.id, title: d.note }, d.label));
  ds.value = current;
  ds.addEventListener('change', () => { location.href = urlWith({ dataset: ds.value }); });
}

function defaultDataset(datasets: DatasetEntry[], wanted: string | null): DatasetEntry {
  if (wanted) {
    const d = datasets.find((x) => x.id === wanted);
    if (!d) throw new Error(`dataset '${wanted}' is not served here (available: ${datasets.map((x) => x.id).join(', ')})`);
    return d;
  }
  return datasets.find((d) => d.id === 'mnist') ?? datasets[0]!;
}

/** How long each start-up phase took (ms), for the tests and the curious. */
const timings: Record<string, number> = {};
(window as { gmgradPageTimings?: Record<string, number> }).gmgradPageTimings = timings;
let mark = performance.now();
function lap(name: string): void {
  const now = performance.now();
  timings[name] = Math.round(now - mark);
  mark = now;
}

async function main(): Promise<void> {
  const params = readParams();
  showStatus('Starting the engine…');
  const [backend, datasets] = await Promise.all([pickBackend(params.backend), loadManifest()]);
  lap('engine and manifest');
  showBackend(backend);
  const entry = defaultDataset(datasets, params.dataset);
  showStatus(`Loading ${entry.label}…`);
  const data = await loadDataset(entry);
  lap('dataset');
  showStatus('Building the model…');
  const fast = backend.name === 'webgpu' && !backend.adapter?.isSoftware;
  const app = new App(resolveDefaults(params, fast), backend, datasets, data);
  lap('model');
  setupPickers(params, datasets, entry.id, app.params.model);
  const modelLine = () => {
    const m = app.session.model.meta;
    byId('model-line').textContent = `${data.summary} · ${m.model} → ${m.featureDim}-D features → one Gaussian per class · ${app.session.describeOptimizer()}, batch ${params.batch}`;
    byId('model-line').title = app.params.modelReason ?? '';
    showModel(m.model);
  };
  modelLine();
  app.onModelChanged.push(modelLine);
  const train = new TrainPanel(app);
  const attack = new AttackPanel(app);
  const checkpoints = new CheckpointPanel(app);
  train.onProbe.push(() => attack.render());
  train.render(true);
  attack.render();
  showStatus('First forward pass (compiling kernels)…');
  await train.refreshProbe();
  lap('first probe');
  train.enable();
  attack.enable();
  checkpoints.enable();
  installHooks(app, train, attack, checkpoints);
  showStatus(`Ready on ${backend.title}. ${data.summary}. Press Train.`);
}

main().catch((e) => {
  const msg = errorMessage(e);
  const badge = document.getElementById('backend-badge');
  if (badge && badge.classList.contains('pending')) { badge.textContent = 'no engine'; badge.className = 'badge error'; }
  showStatus(`The page could not start: ${msg}`, true);
  (window as { gmgradPageFailed?: string }).gmgradPageFailed = msg;
});
