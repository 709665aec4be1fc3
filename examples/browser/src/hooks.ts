/**
 * `window.gmgradPage`: what the browser tests (and curious users in the console) drive the page
 * with, instead of clicking through every control. Every call goes through the same code as the
 * buttons.
 */
import { memory, type MemoryInfo } from '../../../src/index.js';
import { bytesToBase64 } from '../../../src/report/index.js';
import type { App } from './app.js';
import { inspect, type PlaygroundAttack } from './attack-runner.js';
import type { AttackPanel } from './attack-panel.js';
import type { CheckpointPanel } from './checkpoint-panel.js';
import type { TrainPanel } from './train-panel.js';

export interface PageState {
  backend: { name: string; title: string; description: string; fallbackReason: string | null; adapter: unknown };
  dataset: string;
  /** the network in use and what trains it */
  model: { name: string; featureDim: number };
  optimizer: { lr: number; momentum: number; nesterov: boolean; weightDecay: number };
  /** cross-origin isolated (SharedArrayBuffer: the wasm backend's threads) */
  crossOriginIsolated: boolean;
  steps: number;
  epoch: number;
  running: boolean;
  losses: number[];
  accuracies: number[];
  probeAccuracy: number | null;
  imagesPerSecond: { recent: number; overall: number };
  tau: number | null;
  /** the engine's live buffers per backend (a leak shows up as growth between calls) */
  memory: Record<string, MemoryInfo>;
  lastAttack: null | {
    attack: string; epsilon: number; label: number; cleanPrediction: number; adversarialPrediction: number;
    cleanScore: number; adversarialScore: number; tau: number; success: boolean; norm: number; flagged: boolean; ms: number;
  };
}

export interface PageHooks {
  ready: true;
  state(): PageState;
  trainSteps(n: number): Promise<{ losses: number[]; imagesPerSecond: number }>;
  runAttack(name: PlaygroundAttack, epsilon: number, index?: number): Promise<PageState['lastAttack']>;
  /** draw a stroke on the pad in 28×28 coordinates (switches the input to the drawing) */
  drawStroke(points: [number, number][]): void;
  exportCheckpoint(): Promise<string>;
  importCheckpoint(base64: string, name?: string): Promise<string>;
  /** features of the first n held-out images, flattened (for cross-checks against Node) */
  features(n: number): Promise<number[]>;
}

function base64ToBytes(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function installHooks(app: App, train: TrainPanel, attack: AttackPanel, checkpoints: CheckpointPanel): PageHooks {
  const state = (): PageState => {
    const s = app.session;
    const r = app.lastAttack;
    return {
      backend: { name: app.backend.name, title: app.backend.title, description: app.backend.description, fallbackReason: app.backend.fallbackReason, adapter: app.backend.adapter },
      dataset: app.data.entry.id,
      model: { name: s.model.meta.model, featureDim: s.model.meta.featureDim },
      optimizer: { lr: s.config.lr, momentum: s.config.momentum, nesterov: s.config.nesterov, weightDecay: s.config.weightDecay },
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      steps: s.steps,
      epoch: s.epoch,
      running: train.running,
      losses: s.history.map((h) => h.loss),
      accuracies: s.history.map((h) => h.accuracy),
      probeAccuracy: app.lastProbe?.accuracy ?? null,
      imagesPerSecond: { recent: s.recentSpeed, overall: s.overallSpeed },
      tau: app.threshold.current?.tau ?? null,
      memory: memory(),
      lastAttack: r && {
        attack: r.attackName, epsilon: r.epsilon, label: r.label, cleanPrediction: r.clean.prediction, adversarialPrediction: r.adversarial.prediction,
        cleanScore: r.clean.score, adversarialScore: r.adversarial.score, tau: r.tau, success: r.success, norm: r.norm,
        flagged: r.flaggedAdversarial, ms: r.ms,
      },
    };
  };
  const hooks: PageHooks = {
    ready: true,
    state,
    async trainSteps(n) {
      await train.pause();
      const recs = await train.trainSteps(n);
      const ms = recs.reduce((a, r) => a + r.ms, 0);
      return { losses: recs.map((r) => r.loss), imagesPerSecond: (recs.reduce((a, r) => a + r.batch, 0) * 1000) / ms };
    },
    async runAttack(name, epsilon, index) {
      await attack.run(name, epsilon, index);
      return state().lastAttack;
    },
    drawStroke(points) { attack.pad.stroke(points); },
    async exportCheckpoint() { return bytesToBase64(await checkpoints.exportBytes()); },
    async importCheckpoint(base64, name = 'imported.safetensors') { return checkpoints.importBytes(base64ToBytes(base64), name); },
    async features(n) {
      const count = Math.min(n, app.probeSet.n);
      const per = app.probeSet.x.length / app.probeSet.n;
      const out = await app.lock.run(() => inspect(app.session, app.probeSet.x.subarray(0, count * per), count));
      return out.flatMap((o) => Array.from(o.feature));
    },
  };
  (window as unknown as { gmgradPage: PageHooks }).gmgradPage = hooks;
  return hooks;
}
