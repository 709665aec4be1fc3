/** Page settings from the URL: `?backend=webgpu&dataset=mnist&model=small-cnn&batch=64&probe=500&calib=1000&seed=0&pretrained=NAME`. */
import { backendChoiceFromUrl, type BackendChoice } from './backend.js';
import { isPageModel, type PageModelName } from './models.js';

export interface PageParams {
  backend: BackendChoice;
  /** dataset id from the manifest (default: full MNIST when served, else the embedded test split) */
  dataset: string | null;
  /** null: small-cnn on a hardware GPU, tiny-cnn on a software adapter or the CPU (see resolveDefaults) */
  model: PageModelName | null;
  batch: number;
  /** held-out images whose features are plotted (null: by backend) */
  probe: number | null;
  /** held-out images τ is calibrated on (null: by backend) */
  calib: number | null;
  seed: number;
  /** draw charts at most this often while training (ms) */
  chartMs: number;
  /** a released model to start from ('none': a fresh one; null: the default, see released.ts) */
  pretrained: string | null;
}

function intParam(p: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const v = Number(p.get(name));
  return p.has(name) && Number.isFinite(v) ? Math.min(max, Math.max(min, Math.round(v))) : fallback;
}

export function readParams(search = location.search): PageParams {
  const p = new URLSearchParams(search);
  return {
    backend: backendChoiceFromUrl(p),
    dataset: p.get('dataset'),
    model: isPageModel(p.get('model')) ? p.get('model') as PageModelName : null,
    batch: intParam(p, 'batch', 64, 2, 1024),
    probe: p.has('probe') ? intParam(p, 'probe', 600, 20, 5000) : null,
    calib: p.has('calib') ? intParam(p, 'calib', 1000, 20, 10000) : null,
    seed: intParam(p, 'seed', 0, 0, 2 ** 31 - 1),
    chartMs: intParam(p, 'chartMs', 400, 0, 60000),
    pretrained: p.get('pretrained'),
  };
}

/** The same page with some settings changed (for the backend and dataset pickers). */
export function urlWith(changes: Record<string, string | null>): string {
  const p = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) { if (v === null) p.delete(k); else p.set(k, v); }
  const q = p.toString();
  return `${location.pathname}${q ? `?${q}` : ''}`;
}

export interface ResolvedParams extends PageParams {
  model: PageModelName;
  probe: number;
  calib: number;
  /** why the model was chosen, when the page chose it */
  modelReason: string | null;
}

/**
 * Defaults that depend on the device: a hardware GPU gets small-cnn and large probe and
 * calibration sets; a software adapter or a CPU backend gets tiny-cnn and smaller sets, so the
 * page stays interactive there too. Anything given in the URL wins.
 */
export function resolveDefaults(p: PageParams, fast: boolean): ResolvedParams {
  return {
    ...p,
    model: p.model ?? (fast ? 'small-cnn' : 'tiny-cnn'),
    modelReason: p.model ? null : fast ? null : 'tiny-cnn chosen because this device computes on the CPU; pick small-cnn above to override',
    probe: p.probe ?? (fast ? 600 : 200),
    calib: p.calib ?? (fast ? 1000 : 300),
  };
}
