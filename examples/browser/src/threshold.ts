/**
 * The GM detector's threshold τ: the 99th percentile of D(x) = min_k d_k(f(x)) over the clean,
 * correctly classified calibration images (never fitted on adversarial data), the same rule as
 * GMScoreDetector.calibrate. Recomputed lazily whenever the weights changed since the last one.
 */
import { argmax, GMHead, gmScore, noGrad, thresholdAtTpr, tidy } from '../../../src/index.js';
import type { TrainingSession } from './session.js';

export interface Calibration {
  tau: number;
  /** the session version it was computed for */
  version: number;
  /** scores of the calibration images that were classified correctly */
  cleanScores: Float64Array;
  /** how many calibration images were classified correctly, of how many */
  correct: number;
  total: number;
}

export const TPR = 0.99;
const CHUNK = 250;

export class ThresholdCache {
  #current: Calibration | null = null;
  #pending: Promise<Calibration> | null = null;

  constructor(readonly x: Float32Array, readonly y: Int32Array) {}

  get current(): Calibration | null { return this.#current; }

  /** Forget the calibration (a new model: its scores live on another scale). */
  clear(): void { this.#current = null; }

  isFresh(session: TrainingSession): boolean {
    return this.#current !== null && this.#current.version === session.version;
  }

  /** τ for the session's current weights (calibrating when stale). */
  async get(session: TrainingSession): Promise<Calibration> {
    if (this.#current && this.#current.version === session.version) return this.#current;
    if (!this.#pending) this.#pending = this.#calibrate(session).finally(() => { this.#pending = null; });
    return this.#pending;
  }

  async #calibrate(session: TrainingSession): Promise<Calibration> {
    const head = session.model.head;
    if (!(head instanceof GMHead)) throw new Error('detector: the model has no GM head, so it has no GM score to threshold');
    const version = session.version;
    const n = this.y.length;
    const per = this.x.length / n;
    const kept: number[] = [];
    const wasTraining = session.model.training;
    session.model.eval();
    try {
      for (let start = 0; start < n; start += CHUNK) {
        const size = Math.min(CHUNK, n - start);
        const [pred, score] = tidy(() => noGrad(() => {
          const f = session.model.features(session.input(this.x.subarray(start * per, (start + size) * per), size));
          return [argmax(head.forward(f), 1), gmScore(head, f)];
        }));
        try {
          const p = await pred!.data(), s = await score!.data();
          for (let i = 0; i < size; i++) if (p[i] === this.y[start + i]) kept.push(s[i]!);
        } finally {
          pred!.dispose();
          score!.dispose();
        }
      }
    } finally {
      session.model.train(wasTraining);
    }
    if (kept.length === 0) throw new Error(`detector: none of the ${n} calibration images is classified correctly yet; train first`);
    this.#current = { tau: thresholdAtTpr(kept, TPR), version, cleanScores: Float64Array.from(kept), correct: kept.length, total: n };
    return this.#current;
  }
}
