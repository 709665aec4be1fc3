/**
 * The self-contained HTML report: inline CSS, inline SVG and compressed PNG data URIs, no scripts,
 * fonts or network. The summary comes first, then the model-level charts, the attacks one
 * collapsible panel each, and the configuration last. Sections appear only when their data is
 * present. Async: the PNGs are compressed with CompressionStream.
 */
import { escapeXml } from './markup.js';
import type { ReportData } from './report-data.js';
import { attacksSection } from './attack-details.js';
import {
  configSection, confusionSection, featureSection, footerHtml, robustnessSection, rocSection, trainingSection, type Section,
} from './html-sections.js';
import { REPORT_CSS } from './styles.js';

export type { ReportData } from './report-data.js';

export async function renderReport(data: ReportData): Promise<string> {
  const sections = [
    robustnessSection(data), trainingSection(data), featureSection(data), rocSection(data),
    await attacksSection(data), confusionSection(data), configSection(data),
  ].filter((s): s is Section => s !== null);
  const badges: string[] = [];
  if (data.backend) badges.push(`backend: ${data.backend.name}${data.backend.device ? ` (${data.backend.device})` : ''}`);
  if (data.models.length) badges.push(`models: ${data.models.map((m) => m.name).join(', ')}`);
  if (data.footer?.generatedAt) badges.push(data.footer.generatedAt);
  const nav = sections.length > 1
    ? `<nav class="toc" aria-label="Sections"><div class="wrap">${sections.map((s) => `<a href="#${s.id}">${escapeXml(s.title)}</a>`).join('')}</div></nav>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gmgrad">
<title>${escapeXml(data.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header class="page"><div class="wrap"><h1>${escapeXml(data.title)}</h1>${data.subtitle ? `<p class="subtitle">${escapeXml(data.subtitle)}</p>` : ''}${
  badges.length ? `<div class="meta">${badges.map((b) => `<span class="badge">${escapeXml(b)}</span>`).join('')}</div>` : ''}</div></header>
${nav}
<main><div class="wrap">
${sections.map((s) => s.html).join('\n')}
${sections.length === 0 ? '<p class="note">This report has no data yet.</p>' : ''}
</div></main>
${footerHtml(data)}
</body>
</html>
`;
}
