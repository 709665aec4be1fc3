/** renderReport: every section when the data is there, none of the absent ones, and escaping. */
import { describe, expect, it } from 'vitest';
import { renderReport, type ReportData } from '../../src/report/index.js';
import { assertWellFormed, count } from './markup-check.js';
import { sampleReport } from './sample-report.js';

const SECTIONS = ['robustness', 'training', 'features', 'roc', 'attacks', 'confusion', 'config'];
const ids = (html: string) => [...html.matchAll(/<section class="report-section" id="([^"]+)"/g)].map((m) => m[1]!);

describe('renderReport', async () => {
  const full = await renderReport(sampleReport());

  it('renders every section, in order, with a link to each in the navigation', () => {
    assertWellFormed(full, true);
    expect(full.startsWith('<!doctype html>')).toBe(true);
    expect(ids(full)).toEqual(SECTIONS);
    for (const id of SECTIONS) expect(full).toContain(`<a href="#${id}">`);
    expect(full).toContain('id="backend"');
    expect(full).toContain('id="footer"');
    // training 2 + features 2 + histograms 4 attacks × 3 (model, detector) + ROC 3 + confusion 2,
    // and per example grid a colour bar and one SVG per example (2 × (1 + 8))
    expect(count(full, 'svg')).toBe(2 + 2 + 12 + 3 + 2 + 2 * (1 + 8));
  });

  it('puts the summary first and each attack in a closed <details> whose summary has its numbers', () => {
    expect(full.indexOf('<table class="summary">')).toBeLessThan(full.indexOf('id="training"'));
    const panels = [...full.matchAll(/<details class="attack"( open)?><summary><span class="attack-name">([^<]*)<\/span><span class="attack-facts">([^<]*)<\/span><\/summary>/g)];
    expect(panels.map((m) => m[2])).toEqual(sampleReport().models[0]!.robustness!.attacks.map((a) => a.label.replace('&', '&amp;')));
    expect(panels.every((m) => m[1] === undefined)).toBe(true);
    expect(panels[0]![3]).toMatch(/^GM \(α = 1, λ = 0\.1\): accuracy [\d.]+\u202f%, AUROC 0\.\d{3} \(GM score\) \/ 0\.\d{3} \(Mahalanobis\) · softmax: accuracy /);
  });

  it('is self-contained: no scripts, no external resources', () => {
    expect(full).not.toMatch(/<script/i);
    expect(full).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(full).not.toMatch(/@import|url\(\s*['"]?https?:/i);
    expect(full).not.toMatch(/<link /i);
  });

  it('summarises every attack, the worst case of each threat model and both detectors with formatted numbers', () => {
    const table = /<table class="summary">[\s\S]*?<\/table>/.exec(full)![0];
    // two models, each with an L∞ and an L2 worst case, labelled with the rows they cover
    expect(count(table, 'tr', 'worst-row')).toBe(4);
    expect(table).toContain('<tr class="worst-row"><td>worst case L∞ over 3 rows (ε = 0.3)</td>');
    expect(table).toContain('<tr class="worst-row"><td>worst case L2 over 1 row (without ε: C&amp;W L2)</td>');
    expect(table).not.toContain('worst case over attacks');
    expect(full).toContain('<dt>worst-case accuracy under L2 attack</dt>');
    expect(full).toContain('<dt>L∞ robust error with Mahalanobis</dt>');
    expect(count(table, 'tr', 'clean-row')).toBe(2);
    expect(table).toContain('<th colspan="3">GM score</th>');
    expect(table).toContain('<th colspan="3">Mahalanobis</th>');
    expect(table).toContain('>0.991<'); // AUROC, three decimals
    expect(table).toContain('>97.2\u202f%<'); // TNR@95
    expect(table).toContain('C&amp;W L2');
    expect(table).not.toMatch(/NaN|undefined/);
    expect(full).toMatch(/τ = 4\.\d{3}/);
  });

  it('renders only the sections whose data is present', async () => {
    const empty = await renderReport({ title: 'nothing', models: [] });
    assertWellFormed(empty, true);
    expect(ids(empty)).toEqual([]);
    expect(empty).not.toContain('<nav');
    expect(empty).toContain('no data yet');

    const s = sampleReport();
    const partial: ReportData = { title: 't', models: [{ name: 'GM', training: s.models[0]!.training }, { name: 'softmax', confusion: s.models[1]!.confusion }] };
    const html = await renderReport(partial);
    assertWellFormed(html, true);
    expect(ids(html)).toEqual(['training', 'confusion']);
    expect(count(html, 'svg')).toBe(2);

    const scoresOnly = await renderReport({ title: 't', models: [{ name: 'GM', detection: s.models[0]!.detection }] });
    expect(ids(scoresOnly)).toEqual(['roc', 'attacks']);
  });

  it('escapes every user string: class names, model names, labels, config and title', async () => {
    const evil = '<script>alert(1)</script>';
    const s = sampleReport([evil, ...Array.from({ length: 9 }, (_, i) => `c${i + 1}`)]);
    const data: ReportData = {
      ...s,
      title: `</title>${evil}`,
      subtitle: '"quoted" & <evil>bold</evil>',
      config: { ...s.config, [`key ${evil}`]: `value ${evil}`, list: ['<evil>', '&'] },
      backend: { name: `<img src=x onerror=alert(1)>`, device: evil },
      models: s.models.map((m) => ({
        ...m,
        name: `${m.name} <img src=x onerror=alert(2)>`,
        detection: m.detection?.map((d) => ({ ...d, detector: `${d.detector}<evil>`, attacks: d.attacks.map((a) => ({ ...a, label: `${a.label} <evil>&` })) })),
      })),
      footer: { ...s.footer, versions: { '<evil>': '<1.0>' }, command: `gmgrad ${evil}` },
    };
    const html = await renderReport(data);
    assertWellFormed(html, true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<evil|<1\.0>/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // the hostile class name is still shown, as text, in the scatter, examples and confusion matrix
    expect((html.match(/&lt;script&gt;alert\(1\)&lt;\/script&gt;/g) ?? []).length).toBeGreaterThan(5);
  });
});
