/** The page's shared state: engine backend, data, the training session, the detector threshold. */
import type { BackendReport } from './backend.js';
import { firstImages, type DatasetEntry, type LoadedDataset } from './data.js';
import { Lock } from './lock.js';
import type { ResolvedParams } from './params.js';
import { TrainingSession, type Hyper, type ProbeResult } from './session.js';
import { ThresholdCache } from './threshold.js';
import type { AttackRun } from './attack-runner.js';
import { byId } from './dom.js';

export interface ProbeSet {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

export class App {
  session: TrainingSession;
  readonly lock = new Lock();
  readonly probeSet: ProbeSet;
  readonly threshold: ThresholdCache;
  lastProbe: ProbeResult | null = null;
  lastAttack: AttackRun | null = null;
  /** listeners re-render when the model is replaced (reset, import) */
  readonly onModelChanged: (() => void)[] = [];

  constructor(
    readonly params: ResolvedParams,
    readonly backend: BackendReport,
    readonly datasets: DatasetEntry[],
    readonly data: LoadedDataset,
  ) {
    this.session = this.#newSession();
    const probe = firstImages(data.test, params.probe);
    this.probeSet = probe;
    const calib = firstImages(data.test, params.calib);
    this.threshold = new ThresholdCache(calib.x, calib.y);
  }

  hyper(): Hyper {
    return {
      lr: 10 ** Number(byId<HTMLInputElement>('lr').value),
      alpha: Number(byId<HTMLInputElement>('alpha').value),
      lambda: Number(byId<HTMLInputElement>('lambda').value),
    };
  }

  #newSession(): TrainingSession {
    return new TrainingSession(this.backend.backend, this.data.train, this.data.entry.id, this.hyper(), { batch: this.params.batch, seed: this.params.seed, model: this.params.model });
  }

  /** A fresh model (same settings); the old one is freed. */
  async reset(): Promise<void> {
    await this.lock.run(async () => {
      this.session.dispose();
      this.session = this.#newSession();
      this.lastProbe = null;
      this.lastAttack = null;
      this.threshold.clear();
    });
    this.modelChanged();
  }

  modelChanged(): void {
    for (const f of this.onModelChanged) f();
  }

  /** Features of the probe images with the current weights (under the lock). */
  async probe(): Promise<ProbeResult> {
    const r = await this.lock.run(() => this.session.probe(this.probeSet.x, this.probeSet.y));
    this.lastProbe = r;
    return r;
  }
}
