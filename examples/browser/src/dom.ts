/** Tiny DOM helpers: find elements by id with the right type, build elements, yield to the browser. */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`page: no element #${id} in the document`);
  return e as T;
}

type Attrs = Record<string, string | number | boolean | undefined>;

/** h('div', { class: 'x' }, 'text', child) */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) e.append(c);
  return e;
}

/**
 * Let the browser paint and handle input. A MessageChannel message is a macrotask that is not
 * clamped to 4 ms like nested setTimeout, so training loses almost nothing by yielding every step.
 */
export function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { ch.port1.close(); resolve(); };
    ch.port2.postMessage(null);
  });
}

/** Wait for the next animation frame (so a status line is painted before long work starts). */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve()));
}

export function setText(id: string, text: string): void {
  byId(id).textContent = text;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
