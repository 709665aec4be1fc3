/** SVG markup primitives: escaping, elements, text, the document wrapper, ids and ink colours. */

/** Escape text and attribute values for XML/HTML (& < > " '). */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Coordinates with one decimal: sharp enough on screen, much smaller files than full floats. */
export function r1(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

type AttrValue = string | number | boolean | null | undefined;

/** Attributes as a string; null/undefined/false are left out, numbers get one decimal. */
export function attrs(a: Record<string, AttrValue>): string {
  let out = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === null || v === undefined || v === false) continue;
    out += v === true ? ` ${k}` : ` ${k}="${typeof v === 'number' ? r1(v) : escapeXml(v)}"`;
  }
  return out;
}

/** One element; `children` is raw markup (already escaped), pass text through escapeXml first. */
export function el(tag: string, a: Record<string, AttrValue> = {}, children?: string): string {
  return children === undefined ? `<${tag}${attrs(a)}/>` : `<${tag}${attrs(a)}>${children}</${tag}>`;
}

/** A text element whose content is escaped here. */
export function text(x: number, y: number, content: string, a: Record<string, AttrValue> = {}): string {
  return el('text', { x, y, ...a }, escapeXml(content));
}

/** The system font stack used by charts and the HTML page alike. */
export const FONT_STACK = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

export const INK = '#1f2933';
export const MUTED = '#5f6b7a';
export const GRID = '#e3e8ee';

/**
 * A standalone SVG document (valid on its own as a .svg file and inline in HTML). `title` becomes
 * the accessible name; `role="img"` lets screen readers treat the chart as one image.
 */
export function svgDocument(width: number, height: number, body: string, title?: string): string {
  const head = title ? `<title>${escapeXml(title)}</title>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${Math.round(width)}" height="${Math.round(height)}" viewBox="0 0 ${Math.round(width)} ${Math.round(height)}" role="img" font-family="${escapeXml(FONT_STACK)}" font-size="12" fill="${INK}">${head}${body}</svg>`;
}

let idCounter = 0;
/** A document-unique id for clip paths and markers (charts inlined side by side must not clash). */
export function uid(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter.toString(36)}`;
}
