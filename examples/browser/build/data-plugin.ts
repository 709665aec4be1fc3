/**
 * Serves the IDX datasets next to the page. The page fetches `data/manifest.json`, then
 * `data/<id>/<file>.gz`, and gunzips them itself (DecompressionStream): nothing is read from disk
 * at run time by the page, and nothing is fetched from the network.
 *
 * - dev server and preview server: a middleware serves every dataset found on this machine
 *   (the embedded MNIST test split, full MNIST, Fashion-MNIST);
 * - build: the embedded MNIST test split (1.6 MB) is copied into the output so the built folder
 *   works on any static host; with GMGRAD_BROWSER_FULL_DATA=1 the full sets are copied too.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Connect, Plugin } from 'vite';

export type Split = 'train' | 'test';

export interface DatasetSource {
  /** URL folder name and what the page calls it */
  id: string;
  label: string;
  dir: string;
  splits: Split[];
  /** what the page tells the user about the data */
  note: string;
}

/** What `data/manifest.json` holds (mirrored in src/data.ts). */
export interface DataManifest {
  datasets: { id: string; label: string; splits: Split[]; note: string }[];
}

const FILES: Record<Split, [string, string]> = {
  train: ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'],
  test: ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'],
};

function isFile(path: string): boolean {
  try { return statSync(path).isFile(); } catch { return false; }
}

function splitsIn(dir: string): Split[] {
  return (['train', 'test'] as Split[]).filter((s) => FILES[s].every((f) => isFile(join(dir, f))));
}

/** The folders the CLI's resolver also looks in ($GMGRAD_DATA, the user cache, system folders). */
function candidateDirs(name: string, systemDirs: string[]): string[] {
  const env = process.env;
  const dirs: string[] = [];
  if (env.GMGRAD_DATA) dirs.push(join(env.GMGRAD_DATA, name), env.GMGRAD_DATA);
  const cache = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(env.HOME || homedir(), '.cache');
  dirs.push(join(cache, 'gmgrad', name), ...systemDirs);
  return dirs;
}

/** Every dataset this machine has, the embedded MNIST test split first (it is always there). */
export function findDatasets(repoRoot: string): DatasetSource[] {
  const out: DatasetSource[] = [];
  const embedded = join(repoRoot, 'data', 'mnist-test');
  if (splitsIn(embedded).includes('test')) {
    out.push({ id: 'mnist-test', label: 'MNIST (embedded test split)', dir: embedded, splits: ['test'],
      note: 'the 10 000 MNIST test images shipped with gmgrad: 9 000 for training, 1 000 held out' });
  }
  const full: [string, string, string[]][] = [
    ['mnist', 'MNIST', []],
    ['fashion-mnist', 'Fashion-MNIST', ['/usr/share/datasets/fashion-mnist']],
  ];
  for (const [id, label, systemDirs] of full) {
    for (const dir of candidateDirs(id, systemDirs)) {
      const splits = splitsIn(dir);
      if (splits.length === 2) {
        out.push({ id, label, dir, splits, note: '60 000 training and 10 000 test images' });
        break;
      }
    }
  }
  return out;
}

function manifestOf(sources: DatasetSource[]): DataManifest {
  return { datasets: sources.map(({ id, label, splits, note }) => ({ id, label, splits, note })) };
}

/** `/data/<id>/<file>` → the file on disk, or null (only the known file names of known datasets). */
function fileFor(sources: DatasetSource[], urlPath: string): string | null {
  const m = /^\/data\/([a-z0-9-]+)\/([a-z0-9.-]+)$/.exec(urlPath);
  if (!m) return null;
  const source = sources.find((s) => s.id === m[1]);
  if (!source) return null;
  const allowed = source.splits.flatMap((s) => FILES[s]);
  return allowed.includes(m[2]!) ? join(source.dir, m[2]!) : null;
}

function middleware(repoRoot: string): Connect.NextHandleFunction {
  return (req, res, next) => {
    const base = (req.url ?? '').split('?')[0]!;
    // the page may live under a base path: only the part from /data/ on matters
    const at = base.indexOf('/data/');
    if (at < 0) return next();
    const path = base.slice(at);
    const sources = findDatasets(repoRoot);
    if (path === '/data/manifest.json') {
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-store');
      res.end(JSON.stringify(manifestOf(sources)));
      return;
    }
    const file = fileFor(sources, path);
    if (!file) return next();
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(statSync(file).size));
    createReadStream(file).pipe(res);
  };
}

export function gmgradData(options: { repoRoot: string; copyFullSets?: boolean }): Plugin {
  const { repoRoot } = options;
  return {
    name: 'gmgrad-data',
    configureServer(server) { server.middlewares.use(middleware(repoRoot)); },
    configurePreviewServer(server) { server.middlewares.use(middleware(repoRoot)); },
    generateBundle() {
      const sources = findDatasets(repoRoot).filter((s) => options.copyFullSets || s.id === 'mnist-test');
      if (sources.length === 0) this.error(`gmgrad-data: the embedded MNIST test split is missing from ${join(repoRoot, 'data', 'mnist-test')}`);
      for (const s of sources) {
        for (const split of s.splits) {
          for (const f of FILES[split]) {
            this.emitFile({ type: 'asset', fileName: `data/${s.id}/${f}`, source: readFileSync(join(s.dir, f)) });
          }
        }
      }
      this.emitFile({ type: 'asset', fileName: 'data/manifest.json', source: JSON.stringify(manifestOf(sources)) });
    },
  };
}
