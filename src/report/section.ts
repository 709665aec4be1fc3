/** The building blocks of the report's sections: a titled section and a card. */
import { escapeXml } from './markup.js';

export interface Section {
  id: string;
  title: string;
  html: string;
}

export function section(id: string, title: string, lead: string, body: string): Section {
  return { id, title, html: `<section class="report-section" id="${id}"><h2>${escapeXml(title)}</h2>${lead ? `<p class="lead">${lead}</p>` : ''}${body}</section>` };
}

export function card(title: string, chart: string, caption = ''): string {
  return `<div class="card">${title ? `<h3>${escapeXml(title)}</h3>` : ''}<div class="chart">${chart}</div>${caption ? `<p class="caption">${caption}</p>` : ''}</div>`;
}
