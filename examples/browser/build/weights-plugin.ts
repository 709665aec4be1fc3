/**
 * Serves the released weights next to the page: `weights/manifest.json` and the files it lists
 * (the page checks each file's sha256 before loading it). The dev and preview servers read the
 * repository's weights/ folder; a build copies the manifest and its files into the output. With no
 * manifest the page is served an empty one and starts with a fresh model.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Connect, Plugin } from 'vite';

interface Listing {
  manifest: string;
  files: string[];
}

function listing(repoRoot: string): Listing {
  const path = join(repoRoot, 'weights', 'manifest.json');
  if (!existsSync(path)) return { manifest: JSON.stringify({ checkpoints: [] }), files: [] };
  const manifest = readFileSync(path, 'utf8');
  const files = ((JSON.parse(manifest) as { checkpoints?: { file?: unknown }[] }).checkpoints ?? [])
    .map((c) => c.file).filter((f): f is string => typeof f === 'string' && /^[A-Za-z0-9._-]+$/.test(f));
  return { manifest, files };
}

function middleware(repoRoot: string): Connect.NextHandleFunction {
  return (req, res, next) => {
    const base = (req.url ?? '').split('?')[0]!;
    const at = base.indexOf('/weights/');
    if (at < 0) return next();
    const name = base.slice(at + '/weights/'.length);
    const { manifest, files } = listing(repoRoot);
    if (name === 'manifest.json') {
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-store');
      res.end(manifest);
      return;
    }
    const file = join(repoRoot, 'weights', name);
    if (!files.includes(name) || !existsSync(file)) return next();
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(statSync(file).size));
    createReadStream(file).pipe(res);
  };
}

export function gmgradWeights(options: { repoRoot: string }): Plugin {
  const { repoRoot } = options;
  return {
    name: 'gmgrad-weights',
    configureServer(server) { server.middlewares.use(middleware(repoRoot)); },
    configurePreviewServer(server) { server.middlewares.use(middleware(repoRoot)); },
    generateBundle() {
      const { manifest, files } = listing(repoRoot);
      for (const f of files) this.emitFile({ type: 'asset', fileName: `weights/${f}`, source: readFileSync(join(repoRoot, 'weights', f)) });
      this.emitFile({ type: 'asset', fileName: 'weights/manifest.json', source: manifest });
    },
  };
}
