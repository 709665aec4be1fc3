/**
 * The training section: start/pause, reset, α/λ/learning-rate sliders, the number tiles and the
 * live charts. Training runs one step per lock acquisition and yields to the browser between
 * steps, so the page stays responsive and the playground can interleave.
 */
import type { App } from './app.js';
import { renderCurves, renderScatter } from './charts.js';
import { byId, errorMessage, setText, yieldToBrowser } from './dom.js';
import type { StepRecord } from './session.js';
import { showStatus } from './status.js';

export class TrainPanel {
  #running = false;
  #loop: Promise<void> | null = null;
  #lastCurves = 0;
  #lastProbe = 0;
  #probeCostMs = 0;
  /** listeners: a new probe was drawn (the attack panel redraws its scatter) */
  readonly onProbe: (() => void)[] = [];

  constructor(readonly app: App) {
    const button = byId<HTMLButtonElement>('train-button');
    button.addEventListener('click', () => (this.#running ? this.pause() : this.start()));
    byId<HTMLButtonElement>('reset-button').addEventListener('click', () => void this.reset());
    this.#slider('lr', (v) => 10 ** v, (v) => v.toPrecision(2), (lr) => app.session.setHyper({ lr }));
    this.#slider('alpha', (v) => v, (v) => v.toFixed(2), (alpha) => app.session.setHyper({ alpha }));
    this.#slider('lambda', (v) => v, (v) => v.toFixed(2), (lambda) => app.session.setHyper({ lambda }));
    app.onModelChanged.push(() => { this.syncSliders(); this.render(true); void this.refreshProbe(); });
    window.addEventListener('resize', () => this.render(true));
  }

  get running(): boolean { return this.#running; }

  #slider(id: string, map: (v: number) => number, fmt: (v: number) => string, apply: (v: number) => void): void {
    const input = byId<HTMLInputElement>(id);
    const out = byId<HTMLOutputElement>(`${id}-out`);
    const update = () => { const v = map(Number(input.value)); out.value = fmt(v); apply(v); };
    input.addEventListener('input', update);
    out.value = fmt(map(Number(input.value)));
  }

  /** Move the sliders to the session's values (after a checkpoint import). */
  syncSliders(): void {
    const c = this.app.session.config;
    const set = (id: string, v: number, fmt: string) => { byId<HTMLInputElement>(id).value = String(v); byId<HTMLOutputElement>(`${id}-out`).value = fmt; };
    set('lr', Math.log10(c.lr), c.lr.toPrecision(2));
    set('alpha', c.margin, c.margin.toFixed(2));
    set('lambda', c.lambda, c.lambda.toFixed(2));
  }

  enable(): void {
    byId<HTMLButtonElement>('train-button').disabled = false;
    byId<HTMLButtonElement>('reset-button').disabled = false;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#setButton();
    this.#loop = this.#run().finally(() => { this.#running = false; this.#loop = null; this.#setButton(); });
  }

  /** Stop after the current step. */
  async pause(): Promise<void> {
    this.#running = false;
    this.#setButton();
    await this.#loop;
  }

  async reset(): Promise<void> {
    await this.pause();
    await this.app.reset();
    showStatus('A fresh model: press Train.');
  }

  #setButton(): void {
    const b = byId<HTMLButtonElement>('train-button');
    b.textContent = this.#running ? '❚❚ Pause' : this.app.session.steps > 0 ? '▶ Resume' : '▶ Train';
    b.classList.toggle('running', this.#running);
  }

  async #run(): Promise<void> {
    showStatus(`Training on ${this.app.backend.title}…`);
    try {
      while (this.#running) {
        await this.step();
        await yieldToBrowser();
      }
      showStatus(`Paused after ${this.app.session.steps} steps.`);
    } catch (e) {
      showStatus(`Training stopped: ${errorMessage(e)}`, true);
    }
  }

  /** One step under the lock, then the tiles (and, now and then, the charts). */
  async step(): Promise<StepRecord> {
    const rec = await this.app.lock.run(() => this.app.session.step());
    this.#tiles(rec);
    const now = performance.now();
    if (now - this.#lastCurves >= this.app.params.chartMs) {
      this.#lastCurves = now;
      this.render(false);
    }
    // the probe costs a forward pass over hundreds of images: spend at most ~15 % of the time on it
    if (now - this.#lastProbe >= Math.max(1500, this.#probeCostMs * 6)) await this.refreshProbe();
    return rec;
  }

  /** Run n steps now (the test hook; the Train button uses the same step). */
  async trainSteps(n: number): Promise<StepRecord[]> {
    const out: StepRecord[] = [];
    for (let i = 0; i < n; i++) {
      out.push(await this.step());
      await yieldToBrowser();
    }
    this.render(true);
    await this.refreshProbe();
    this.#setButton();
    return out;
  }

  async refreshProbe(): Promise<void> {
    const t0 = performance.now();
    const probe = await this.app.probe();
    this.#probeCostMs = performance.now() - t0;
    this.#lastProbe = performance.now();
    setText('stat-test', `${(probe.accuracy * 100).toFixed(1)} %`);
    renderScatter(byId('scatter'), probe, this.app.data.classNames, null);
    renderCurves(byId('curves'), this.app.session.history, this.app.session.probeHistory);
    for (const f of this.onProbe) f();
  }

  #tiles(rec: StepRecord): void {
    const s = this.app.session;
    setText('stat-step', `${rec.step} · ${s.epoch.toFixed(2)}`);
    setText('stat-loss', rec.loss.toFixed(3));
    const recent = s.history.slice(-20);
    setText('stat-acc', `${((recent.reduce((a, r) => a + r.accuracy, 0) / recent.length) * 100).toFixed(1)} %`);
    setText('stat-speed', `${Math.round(s.recentSpeed).toLocaleString('en-US')} img/s`);
  }

  /** Redraw the charts from the session's history (and the last probe when `all`). */
  render(all: boolean): void {
    const s = this.app.session;
    renderCurves(byId('curves'), s.history, s.probeHistory);
    if (all) renderScatter(byId('scatter'), this.app.lastProbe, this.app.data.classNames, null);
    if (s.steps === 0) {
      for (const id of ['stat-loss', 'stat-acc', 'stat-speed']) setText(id, '–');
      setText('stat-step', '0');
      setText('stat-test', this.app.lastProbe ? `${(this.app.lastProbe.accuracy * 100).toFixed(1)} %` : '–');
    }
    this.#setButton();
  }
}
