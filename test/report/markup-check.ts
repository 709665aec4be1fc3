/** Small checks on generated markup for the report tests (no DOM in Node). */

const VOID_HTML = new Set(['meta', 'link', 'br', 'hr', 'img', 'input', 'col', 'wbr', 'area', 'base', 'source']);

/**
 * Throws unless every tag is closed in order, attribute values are quoted, and every '&' starts an
 * entity: enough to catch broken string building and unescaped text.
 */
export function assertWellFormed(markup: string, html = false): void {
  const stack: string[] = [];
  const tagRe = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*(\/?)>|<!doctype[^>]*>|<!--[\s\S]*?-->/gi;
  let last = 0;
  for (let m = tagRe.exec(markup); m; m = tagRe.exec(markup)) {
    checkText(markup.slice(last, m.index), m.index, html ? stack : null);
    last = tagRe.lastIndex;
    if (!m[2]) continue;
    const [, closing, name, , selfClosing] = m;
    const tag = name!.toLowerCase();
    if (closing) {
      const open = stack.pop();
      if (open !== tag) throw new Error(`</${tag}> at ${m.index} closes <${open ?? 'nothing'}>`);
    } else if (!selfClosing && !(html && VOID_HTML.has(tag))) {
      stack.push(tag);
    }
  }
  checkText(markup.slice(last), last, html ? stack : null);
  if (stack.length) throw new Error(`unclosed elements: ${stack.join(' > ')}`);
}

function checkText(t: string, at: number, htmlStack: string[] | null): void {
  // inside <style> raw CSS is allowed
  if (htmlStack && htmlStack[htmlStack.length - 1] === 'style') return;
  if (/[<>]/.test(t.replace(/\s+/g, ''))) throw new Error(`raw '<' or '>' in text at ${at}: ${JSON.stringify(t.slice(0, 60))}`);
  const amp = /&(?!amp;|lt;|gt;|quot;|#39;|#\d+;)/.exec(t);
  if (amp) throw new Error(`unescaped '&' at ${at + amp.index}: ${JSON.stringify(t.slice(Math.max(0, amp.index - 20), amp.index + 20))}`);
}

/** Number of start tags of an element (optionally with a given class). */
export function count(markup: string, tag: string, className?: string): number {
  const re = new RegExp(`<${tag}(?=[\\s/>])[^>]*>`, 'g');
  return (markup.match(re) ?? []).filter((t) => className === undefined || new RegExp(`class="([^"]* )?${className}( [^"]*)?"`).test(t)).length;
}

/** The text content of every <text> element, entities decoded. */
export function texts(markup: string): string[] {
  return [...markup.matchAll(/<text[^>]*>([\s\S]*?)<\/text>/g)].map((m) => decode(m[1]!));
}

export function decode(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** The inner markup of the element with `class="..."` that starts first (for <g> groups). */
export function group(markup: string, className: string): string {
  const start = markup.search(new RegExp(`<g[^>]*class="${className}"`));
  if (start < 0) return '';
  let depth = 0;
  const re = /<(\/?)g(?=[\s>/])[^>]*?(\/?)>/g;
  re.lastIndex = start;
  for (let m = re.exec(markup); m; m = re.exec(markup)) {
    if (m[2]) continue;
    depth += m[1] ? -1 : 1;
    if (depth === 0) return markup.slice(start, re.lastIndex);
  }
  return markup.slice(start);
}
