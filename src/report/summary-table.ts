/**
 * The per-attack robustness table of every model (accuracy under attack, attack success, and per
 * detector AUROC, TNR@95 and robust error, with the per-sample worst case of each threat model) and
 * the headline tiles.
 */
import { formatFixed, formatNumber, formatPercent } from './format.js';
import { escapeXml } from './markup.js';
import type { DetectionRowData, ModelReport, RobustnessSummary } from './report-data.js';

const DASH = '—';

/** Detector names over all models, in order of first appearance ("GM score" first when present). */
export function detectorNames(models: readonly ModelReport[]): string[] {
  const names: string[] = [];
  for (const m of models) for (const d of Object.keys(m.robustness?.detection ?? {})) if (!names.includes(d)) names.push(d);
  return names.sort((a, b) => (a === 'GM score' ? -1 : b === 'GM score' ? 1 : 0));
}

// soft tints: strong enough to scan a column, light enough to keep the text at full contrast
function tint(rgb: string, strength: number): string {
  if (!Number.isFinite(strength)) return '';
  const a = Math.round(Math.min(1, Math.max(0, strength)) * 30) / 100;
  return a > 0 ? ` style="background:rgba(${rgb},${a})"` : '';
}
const goodTint = (v: number) => tint('26,127,55', v);
const badTint = (v: number) => tint('198,40,40', v);

function num(content: string, extra = ''): string {
  return `<td class="num"${extra}>${escapeXml(content)}</td>`;
}

function detectorCells(row: DetectionRowData | undefined): string {
  if (!row) return num(DASH) + num(DASH) + num(DASH);
  return num(formatFixed(row.auroc), goodTint((row.auroc - 0.5) * 2))
    + num(formatPercent(row.tnrAt95Tpr), goodTint(row.tnrAt95Tpr))
    + num(formatPercent(row.robustError), badTint(row.robustError * 2));
}

function epsilonText(e: number | null | undefined): string {
  return e === null || e === undefined ? DASH : formatNumber(e, 3);
}

/** data without per-threat-model worst cases: the lowest accuracy of any attack */
function lowestAccuracy(r: RobustnessSummary): number {
  return r.attacks.length ? Math.min(...r.attacks.map((a) => a.accuracy)) : NaN;
}

export function summaryTable(models: readonly ModelReport[]): string {
  const withR = models.filter((m) => m.robustness);
  const dets = detectorNames(withR);
  const groupHead = `<tr class="group"><th colspan="5"></th>${dets.map((d) => `<th colspan="3">${escapeXml(d)}</th>`).join('')}</tr>`;
  const head = `<tr><th>model</th><th>attack</th><th class="num">ε</th><th class="num">accuracy</th><th class="num">attack success</th>${
    dets.map(() => '<th class="num">AUROC</th><th class="num">TNR@95</th><th class="num">robust error</th>').join('')}</tr>`;
  const body: string[] = [];
  for (const m of withR) {
    const r = m.robustness!;
    const worst = r.attacks.length > 1 ? r.worstCases ?? [] : [];
    const span = 1 + r.attacks.length + worst.length;
    const modelCell = `<td class="model-cell" rowspan="${span}">${escapeXml(m.name)}<div class="note">${r.n} test images</div></td>`;
    // clean row: no attack; the robust error of clean data is just its error rate
    body.push(`<tr class="clean-row">${modelCell}<td>clean</td>${num(DASH)}${num(formatPercent(r.cleanAccuracy))}${num(DASH)}${
      dets.map((d) => (r.detection?.[d] ? num(DASH) + num(DASH) + num(formatPercent(1 - r.cleanAccuracy)) : detectorCells(undefined))).join('')}</tr>`);
    r.attacks.forEach((a, i) => {
      body.push(`<tr><td>${escapeXml(a.label)}</td>${num(epsilonText(a.epsilon))}${num(formatPercent(a.accuracy), badTint(1 - a.accuracy))}${
        num(formatPercent(a.successRate))}${dets.map((d) => detectorCells(r.detection?.[d]?.perAttack[i])).join('')}</tr>`);
    });
    worst.forEach((w, k) => {
      body.push(`<tr class="worst-row"><td>${escapeXml(w.label)}</td>${num(DASH)}${num(formatPercent(w.accuracy), badTint(1 - w.accuracy))}${num(DASH)}${
        dets.map((d) => detectorCells(r.detection?.[d]?.worstCases?.[k])).join('')}</tr>`);
    });
  }
  return `<div class="scroll"><table class="summary"><thead>${groupHead}${head}</thead><tbody>${body.join('')}</tbody></table></div>`;
}

const errorClass = (e: number) => (e <= 0.05 ? 'good' : e >= 0.25 ? 'bad' : '');

/**
 * One tile per model: clean accuracy and, per threat model, worst-case accuracy and per detector
 * worst-case robust error (data without worst cases: the lowest accuracy and highest robust error
 * of any attack).
 */
export function headlineTiles(models: readonly ModelReport[]): string {
  const tiles = models.filter((m) => m.robustness).map((m) => {
    const r = m.robustness!;
    const rows = [['clean accuracy', formatPercent(r.cleanAccuracy, 2), '']];
    const detections = Object.entries(r.detection ?? {});
    if (r.worstCases?.length) {
      r.worstCases.forEach((w, k) => {
        rows.push([`worst-case accuracy under ${w.norm} attack`, formatPercent(w.accuracy), '']);
        for (const [d, s] of detections) {
          const row = s.worstCases?.[k];
          if (row) rows.push([`${w.norm} robust error with ${d}`, formatPercent(row.robustError), errorClass(row.robustError)]);
        }
      });
    } else {
      rows.push(['worst-case accuracy under attack', formatPercent(lowestAccuracy(r)), '']);
      for (const [d, s] of detections) {
        const worst = s.perAttack.length ? s.perAttack.reduce((a, b) => (b.robustError > a.robustError ? b : a)) : undefined;
        if (worst) rows.push([`robust error with ${d}`, formatPercent(worst.robustError), errorClass(worst.robustError)]);
      }
    }
    return `<div class="kpi"><div class="name">${escapeXml(m.name)}</div><dl>${rows.map(([k, v, cls]) => `<dt>${escapeXml(k!)}</dt><dd${cls ? ` class="${cls}"` : ''}>${escapeXml(v!)}</dd>`).join('')}</dl></div>`;
  });
  return tiles.length ? `<div class="kpis">${tiles.join('')}</div>` : '';
}
