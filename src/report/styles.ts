/** The report's stylesheet: light theme, system fonts, cards on a responsive grid, readable tables. */
import { FONT_STACK } from './markup.js';

export const REPORT_CSS = `
:root {
  --bg: #f4f6f9; --card: #ffffff; --ink: #1f2933; --muted: #5f6b7a; --line: #dde3ea; --accent: #0b5cad;
  --good: #1a7f37; --bad: #c62828; --chip: #eef2f7;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.5 ${FONT_STACK}; font-feature-settings: "tnum" 1; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header.page { background: linear-gradient(135deg, #0b2942 0%, #12426b 100%); color: #fff; padding: 28px 0 22px; }
header.page h1 { margin: 0 0 4px; font-size: 28px; font-weight: 700; letter-spacing: -0.01em; }
header.page .subtitle { margin: 0; color: #cfe0f1; font-size: 15px; }
header.page .meta { margin-top: 12px; display: flex; flex-wrap: wrap; gap: 8px; }
header.page .badge { background: rgba(255,255,255,0.14); border: 1px solid rgba(255,255,255,0.22); border-radius: 999px; padding: 2px 12px; font-size: 13px; color: #fff; }
.wrap { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
nav.toc { position: sticky; top: 0; z-index: 5; background: rgba(255,255,255,0.94); border-bottom: 1px solid var(--line); backdrop-filter: blur(6px); }
nav.toc .wrap { display: flex; flex-wrap: wrap; gap: 4px 18px; padding-top: 8px; padding-bottom: 8px; font-size: 14px; }
nav.toc a { color: var(--muted); font-weight: 500; }
nav.toc a:hover { color: var(--accent); }
main { padding: 8px 0 40px; }
section.report-section { margin-top: 30px; scroll-margin-top: 52px; }
section.report-section > h2 { font-size: 20px; margin: 0 0 4px; font-weight: 650; }
section.report-section > p.lead { margin: 0 0 14px; color: var(--muted); font-size: 14px; max-width: 900px; }
h3 { font-size: 15px; margin: 0 0 8px; font-weight: 650; }
h4 { font-size: 14px; margin: 16px 0 8px; color: var(--muted); font-weight: 600; }
.grid { display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr)); }
.grid.three { grid-template-columns: repeat(auto-fit, minmax(min(100%, 340px), 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; box-shadow: 0 1px 2px rgba(16,24,40,0.05); min-width: 0; }
.card > .caption { margin: 8px 0 0; color: var(--muted); font-size: 13px; }
.chart svg { display: block; width: 100%; height: auto; max-width: 100%; }
.examples { display: flex; flex-wrap: wrap; gap: 4px 22px; }
.examples svg, .colour-bar svg { display: block; max-width: 100%; height: auto; }
.colour-bar { margin: 2px 0 6px; }
.stack { display: grid; gap: 16px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: #f7f9fb; color: var(--muted); font-weight: 600; font-size: 13px; white-space: nowrap; }
thead tr.group th { text-align: center; color: var(--ink); border-bottom: 2px solid var(--line); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:hover td { background: #f9fbfd; }
tr.clean-row td { color: var(--muted); }
tr.worst-row td { font-weight: 650; border-top: 2px solid var(--line); }
td.model-cell { font-weight: 650; background: #fbfcfe; border-right: 1px solid var(--line); min-width: 9em; }
table.summary td { white-space: nowrap; }
table.summary td.model-cell { white-space: normal; }
table.kv td:first-child { color: var(--muted); width: 40%; white-space: nowrap; }
table.kv td { font-variant-numeric: tabular-nums; word-break: break-word; }
.kv-columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 300px), 1fr)); column-gap: 28px; align-items: start; }
table.kv td { padding: 4px 8px; }
.config-grid { grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); }
@media (max-width: 900px) { .config-grid { grid-template-columns: 1fr; } }
.kpis { display: grid; gap: 12px; grid-template-columns: repeat(auto-fit, minmax(min(100%, 250px), 1fr)); margin-bottom: 16px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; }
.kpi .name { font-weight: 650; margin-bottom: 6px; }
.kpi dl { margin: 0; display: grid; grid-template-columns: 1fr auto; gap: 2px 12px; font-size: 14px; }
.kpi dt { color: var(--muted); }
.kpi dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; font-weight: 600; }
.good { color: var(--good); }
.bad { color: var(--bad); }
.chips { display: flex; flex-wrap: wrap; gap: 6px; }
.chip { background: var(--chip); border-radius: 999px; padding: 2px 10px; font-size: 13px; }
.chip b { font-weight: 600; }
details.attack { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px 16px; margin-bottom: 12px; }
details.attack > summary { cursor: pointer; font-weight: 650; padding: 2px 0; }
details.attack[open] > summary { margin-bottom: 10px; }
details.attack .attack-facts { font-weight: 400; color: var(--muted); font-size: 13px; margin-left: 12px; }
details.attack h4 { margin: 10px 0 8px; }
details.attack .grid { gap: 12px; }
.note { color: var(--muted); font-size: 13px; }
footer.page { border-top: 1px solid var(--line); background: #fff; padding: 18px 0 28px; color: var(--muted); font-size: 13px; }
footer.page .wrap > div { margin-top: 6px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; background: var(--chip); padding: 1px 5px; border-radius: 4px; }
@media (max-width: 640px) { .wrap { padding: 0 12px; } header.page h1 { font-size: 22px; } }
@media print { nav.toc { display: none; } body { background: #fff; } .card, details.attack { box-shadow: none; break-inside: avoid; } }
`;
