/** Folders the data resolver looks in that depend on the machine: the user cache and the package's embedded data. */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Env = Record<string, string | undefined>;

/**
 * The user's gmgrad data cache for one dataset: $XDG_CACHE_HOME/gmgrad/<dataset> when XDG_CACHE_HOME
 * is an absolute path (as the XDG spec requires), else ~/.cache/gmgrad/<dataset>; on Windows
 * %LOCALAPPDATA%\gmgrad\cache\<dataset>.
 */
export function userCacheDir(dataset: string, env: Env = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'gmgrad', dataset);
  if (process.platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'gmgrad', 'cache', dataset);
  return join(env.HOME || homedir(), '.cache', 'gmgrad', dataset);
}

/**
 * The package's `data/` folder. This file is src/data/node/paths.ts under vitest and
 * dist/data/node/paths.js after tsc: both three levels below the package root.
 */
export function packageDataDir(): string {
  return fileURLToPath(new URL('../../../data/', import.meta.url));
}

/** The embedded copy of the MNIST test set (data/mnist-test), shipped so the demo runs offline. */
export function embeddedMnistTestDir(): string {
  return join(packageDataDir(), 'mnist-test');
}
