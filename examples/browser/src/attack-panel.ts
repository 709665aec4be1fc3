/**
 * The attack playground: a held-out image or a drawing, one of four attacks at a chosen ε, the
 * clean / perturbation / adversarial images with predictions, the GM score against τ and where the
 * feature moved in the 2-D plot.
 */
import type { App } from './app.js';
import { PLAYGROUND_ATTACKS, runAttack, type AttackRun, type PlaygroundAttack } from './attack-runner.js';
import { renderGauge, renderScatter, renderScores } from './charts.js';
import { imageFloats } from './data.js';
import { byId, errorMessage, h, nextFrame } from './dom.js';
import { DrawPad } from './draw-pad.js';
import { drawGrey, drawSigned } from './images.js';
import { showStatus } from './status.js';

export class AttackPanel {
  readonly pad: DrawPad;
  /** the held-out image shown, or null for a drawing */
  #index: number | null = 0;
  #busy = false;

  constructor(readonly app: App) {
    this.pad = new DrawPad(byId<HTMLCanvasElement>('pad'));
    const select = byId<HTMLSelectElement>('attack-select');
    for (const a of PLAYGROUND_ATTACKS) select.append(h('option', { value: a.id }, a.label));
    select.addEventListener('change', () => this.#syncAttack());
    const eps = byId<HTMLInputElement>('epsilon');
    eps.addEventListener('input', () => { byId<HTMLOutputElement>('epsilon-out').value = Number(eps.value).toFixed(2); });
    const index = byId<HTMLInputElement>('image-index');
    index.max = String(app.data.test.n - 1);
    index.addEventListener('change', () => this.showTestImage(Number(index.value)));
    byId('prev-image').addEventListener('click', () => this.showTestImage((this.#index ?? 0) - 1));
    byId('next-image').addEventListener('click', () => this.showTestImage((this.#index ?? -1) + 1));
    byId('random-image').addEventListener('click', () => this.showTestImage(Math.floor(Math.random() * app.data.test.n)));
    byId('clear-pad').addEventListener('click', () => { this.pad.clear(); this.#index = null; this.#inputLine(); });
    byId('attack-button').addEventListener('click', () => void this.runFromUi());
    this.pad.onStartDrawing = () => { this.#index = null; this.#inputLine(); };
    this.pad.onStroke = () => { this.#index = null; this.#inputLine(); };
    app.onModelChanged.push(() => this.render());
    window.addEventListener('resize', () => this.render());
    this.#syncAttack();
    this.showTestImage(0);
  }

  enable(): void { byId<HTMLButtonElement>('attack-button').disabled = false; }

  #syncAttack(): void {
    const a = PLAYGROUND_ATTACKS.find((x) => x.id === byId<HTMLSelectElement>('attack-select').value)!;
    byId('attack-note').textContent = a.note;
    byId<HTMLInputElement>('epsilon').disabled = !a.usesEpsilon;
  }

  showTestImage(i: number): void {
    const n = this.app.data.test.n;
    const idx = ((Math.round(i) % n) + n) % n;
    this.#index = idx;
    byId<HTMLInputElement>('image-index').value = String(idx);
    this.pad.showImage(imageFloats(this.app.data.test, idx));
    this.#inputLine();
  }

  #inputLine(): void {
    const names = this.app.data.classNames;
    byId('input-line').textContent = this.#index === null
      ? (this.pad.hasInk ? 'your drawing (attacked away from the model’s own prediction)' : 'draw a digit with the mouse')
      : `held-out image, true class ${names[this.app.data.test.labels[this.#index]!]}`;
  }

  /** The current input as a 28×28 float image and its label (null for a drawing). */
  currentInput(): { pixels: Float32Array; label: number | null } {
    if (this.#index !== null) return { pixels: imageFloats(this.app.data.test, this.#index), label: this.app.data.test.labels[this.#index]! };
    const drawn = this.pad.toMnist();
    if (!drawn) throw new Error('nothing to attack: pick a held-out image or draw a digit first');
    return { pixels: drawn, label: null };
  }

  async runFromUi(): Promise<void> {
    const name = byId<HTMLSelectElement>('attack-select').value as PlaygroundAttack;
    const eps = Number(byId<HTMLInputElement>('epsilon').value);
    try {
      await this.run(name, eps);
    } catch (e) {
      showStatus(`Attack failed: ${errorMessage(e)}`, true);
    }
  }

  async run(name: PlaygroundAttack, epsilon: number, index?: number): Promise<AttackRun> {
    if (this.#busy) throw new Error('an attack is already running');
    if (index !== undefined) this.showTestImage(index);
    // the controls show what runs, whoever started it (the button or the test hook)
    byId<HTMLSelectElement>('attack-select').value = name;
    byId<HTMLInputElement>('epsilon').value = String(epsilon);
    byId<HTMLOutputElement>('epsilon-out').value = epsilon.toFixed(2);
    this.#syncAttack();
    const { pixels, label } = this.currentInput();
    this.#busy = true;
    const button = byId<HTMLButtonElement>('attack-button');
    button.disabled = true;
    button.textContent = 'Running…';
    try {
      const app = this.app;
      if (!app.threshold.isFresh(app.session)) showStatus('Calibrating τ on held-out images…');
      await nextFrame();
      const run = await app.lock.run(async () => {
        const cal = await app.threshold.get(app.session);
        showStatus(`Running ${PLAYGROUND_ATTACKS.find((a) => a.id === name)!.label}…`);
        return runAttack(app.session, pixels, label, name, epsilon, cal.tau);
      });
      app.lastAttack = run;
      this.render();
      showStatus(`${run.attackName}: ${run.success ? 'succeeded' : 'failed'} in ${(run.ms / 1000).toFixed(2)} s.`);
      return run;
    } finally {
      this.#busy = false;
      button.disabled = false;
      button.textContent = 'Run attack';
    }
  }

  /** Redraw the images, captions, verdict, gauge and plots of the last attack. */
  render(): void {
    const app = this.app;
    const r = app.lastAttack;
    const names = app.data.classNames;
    const { w, h: hh } = app.data.test;
    renderScores(byId('score-hist'), app.threshold.current);
    if (!r) {
      for (const id of ['cap-clean', 'cap-delta', 'cap-adv', 'verdict', 'gauge']) byId(id).innerHTML = '';
      for (const id of ['img-clean', 'img-delta', 'img-adv']) drawGrey(byId<HTMLCanvasElement>(id), new Float32Array(w * hh), w, hh);
      renderScatter(byId('attack-scatter'), app.lastProbe, names, null);
      return;
    }
    drawGrey(byId<HTMLCanvasElement>('img-clean'), r.clean.pixels, w, hh);
    drawGrey(byId<HTMLCanvasElement>('img-adv'), r.adversarial.pixels, w, hh);
    const delta = r.adversarial.pixels.map((v, i) => v - r.clean.pixels[i]!);
    const scale = drawSigned(byId<HTMLCanvasElement>('img-delta'), delta, w, hh);
    const cap = (o: AttackRun['clean'], flagged: boolean) =>
      `predicted <b>${names[o.prediction]}</b>&nbsp;·&nbsp;${(o.probabilities[o.prediction]! * 100).toFixed(0)}&nbsp;%<br>D&nbsp;=&nbsp;${o.score.toPrecision(3)} · <span class="${flagged ? 'flag' : 'pass'}">${flagged ? 'flagged' : 'accepted'}</span>`;
    byId('cap-clean').innerHTML = cap(r.clean, r.flaggedClean);
    byId('cap-adv').innerHTML = cap(r.adversarial, r.flaggedAdversarial);
    byId('cap-delta').innerHTML = `${r.normName} = ${r.norm.toPrecision(3)}<br>colour scale ±${scale.toPrecision(2)}`;
    const verdict = byId('verdict');
    verdict.className = 'verdict';
    const changed = r.adversarial.prediction !== r.clean.prediction;
    if (r.clean.prediction !== r.label) {
      verdict.classList.add('failed');
      verdict.textContent = `The model already gets the clean image wrong (true ${names[r.label]}, says ${names[r.clean.prediction]}): train longer, or pick another image.`;
    } else if (!changed) {
      verdict.classList.add('failed');
      verdict.textContent = `The model still says ${names[r.adversarial.prediction]}: the attack did not change the class${r.normName === 'L∞' ? ` at ε = ${r.epsilon}` : ''}.`;
    } else if (r.flaggedAdversarial) {
      verdict.classList.add('caught');
      verdict.textContent = `Fooled the classifier (${names[r.label]} → ${names[r.adversarial.prediction]}), but the detector flags it: D = ${r.adversarial.score.toPrecision(3)} > τ = ${r.tau.toPrecision(3)}.`;
    } else {
      verdict.classList.add('fooled');
      verdict.textContent = `Fooled both: ${names[r.label]} → ${names[r.adversarial.prediction]}, and D = ${r.adversarial.score.toPrecision(3)} ≤ τ = ${r.tau.toPrecision(3)} passes the detector.`;
    }
    renderGauge(byId('gauge'), r.tau, r.clean.score, r.adversarial.score);
    renderScatter(byId('attack-scatter'), app.lastProbe, names, {
      clean: r.clean.feature, adversarial: r.adversarial.feature, label: r.label, name: `${r.attackName}${r.normName === 'L∞' ? ` ε=${r.epsilon}` : ''}`,
    });
  }
}
