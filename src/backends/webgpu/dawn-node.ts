/**
 * Loading Dawn (the optional `webgpu` package) into Node, quietly.
 *
 * On Linux, when the machine has no usable Vulkan driver, Dawn's native code prints its driver
 * probing to the process's stderr ("Warning: vkCreateInstance failed with
 * VK_ERROR_INCOMPATIBLE_DRIVER" and a C++ source path) while it looks for an adapter; nothing in
 * JavaScript can silence a native write to file descriptor 2. So a child process loads Dawn first
 * and asks for an adapter with the same options; only when it finds one is Dawn loaded into this
 * process (then nothing is printed). Otherwise what Dawn said is kept for the error message.
 * Reaches Node's modules through process.getBuiltinModule, so browser bundles see no Node import.
 */

export interface DawnModule {
  create: (flags: string[]) => GPU;
  globals: Record<string, unknown>;
}

export interface ProbeResult {
  found: boolean;
  /** what Dawn printed in the child (its stderr), trimmed */
  said: string;
}

interface NodeProcess {
  platform: string;
  execPath: string;
  env: Record<string, string | undefined>;
  getBuiltinModule?: (id: string) => unknown;
}

const proc = () => (globalThis as { process?: NodeProcess }).process;

export const WEBGPU_MISSING = 'WebGPU in Node needs the optional \'webgpu\' package (Dawn\'s bindings), which is not installed: npm install webgpu';

/** The file URL of the installed `webgpu` package, or null when it is not installed. */
function resolveWebgpu(): string | null {
  const mod = proc()?.getBuiltinModule?.('node:module') as { createRequire(from: string): { resolve(id: string): string } } | undefined;
  const url = proc()?.getBuiltinModule?.('node:url') as { pathToFileURL(p: string): { href: string } } | undefined;
  if (!mod || !url) return null;
  try {
    return url.pathToFileURL(mod.createRequire(import.meta.url).resolve('webgpu')).href;
  } catch {
    return null;
  }
}

const CHILD = `
const [entry, options] = process.argv.slice(1);
const { create } = await import(entry);
const adapter = await create([]).requestAdapter(JSON.parse(options));
process.stdout.write(adapter ? 'adapter' : 'none');
process.exit(0);
`;

interface ChildProcessModule {
  execFile(file: string, args: string[], options: { timeout: number; env: Record<string, string | undefined> },
    done: (error: Error | null, stdout: string, stderr: string) => void): unknown;
}

/** Ask a child process whether Dawn finds an adapter (null: the probe itself could not run). */
function probe(entry: string, options: GPURequestAdapterOptions): Promise<ProbeResult | null> {
  const cp = proc()?.getBuiltinModule?.('node:child_process') as ChildProcessModule | undefined;
  const p = proc();
  if (!cp || !p) return Promise.resolve(null);
  return new Promise((resolve) => {
    cp.execFile(p.execPath, ['--input-type=module', '-e', CHILD, entry, JSON.stringify(options)], { timeout: 60_000, env: p.env },
      (error, stdout, stderr) => {
        if (error || (stdout !== 'adapter' && stdout !== 'none')) { resolve(null); return; }
        resolve({ found: stdout === 'adapter', said: String(stderr).trim() });
      });
  });
}

/**
 * Dawn's module, loaded into this process; on Linux only after a child found an adapter. Throws
 * when the package is missing, or (Linux) when no adapter exists, with what Dawn said.
 */
export async function loadDawn(options: GPURequestAdapterOptions, noAdapter: string): Promise<DawnModule> {
  const entry = resolveWebgpu();
  if (!entry) throw new Error(WEBGPU_MISSING);
  if (proc()?.platform === 'linux') {
    const found = await probe(entry, options);
    if (found && !found.found) throw new Error(found.said ? `${noAdapter}\nDawn said:\n${found.said}` : noAdapter);
  }
  const specifier = 'webgpu'; // a variable: bundlers never pull the native addon into a browser build
  try {
    return await import(/* @vite-ignore */ specifier) as DawnModule;
  } catch (e) {
    throw new Error(`webgpu: the 'webgpu' package (Dawn for Node) is installed but could not be loaded: ${(e as Error).message}`);
  }
}
