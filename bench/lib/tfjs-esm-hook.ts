/**
 * A Node module hook that lets tfjs-core's ES-module build load in Node, only so that
 * `dist/register_all_gradients.js` can run: the Node bundle (tf-core.node.js) ships no gradient
 * definitions (the @tensorflow/tfjs union package normally adds them), and the ES build uses
 * extensionless imports in a package without "type": "module". The gradients register into
 * tfjs's global registry and run on the one global engine, so they serve the Node bundle.
 */
const DIST = '/@tensorflow/tfjs-core/dist/';

interface Ctx { parentURL?: string; format?: string | null; conditions?: string[] }
type Next<T> = (specifier: string, ctx: Ctx) => Promise<T>;
interface Resolved { url: string; format?: string | null }
interface Loaded { format: string; source?: string | ArrayBuffer | Uint8Array; shortCircuit?: boolean }

function inEsmBuild(url: string | undefined): boolean {
  return !!url && url.includes(DIST) && !/tf-core\.[^/]*\.js$/.test(url);
}

export async function resolve(specifier: string, ctx: Ctx, next: Next<Resolved>): Promise<Resolved> {
  if (inEsmBuild(ctx.parentURL) && (specifier.startsWith('./') || specifier.startsWith('../')) && !specifier.endsWith('.js')) {
    try {
      return await next(`${specifier}.js`, ctx);
    } catch {
      return next(`${specifier}/index.js`, ctx);
    }
  }
  return next(specifier, ctx);
}

export async function load(url: string, ctx: Ctx, next: Next<Loaded>): Promise<Loaded> {
  if (url.startsWith('file:') && url.endsWith('.js') && inEsmBuild(url)) {
    const r = await next(url, { ...ctx, format: 'module' });
    return { ...r, format: 'module' };
  }
  return next(url, ctx);
}
