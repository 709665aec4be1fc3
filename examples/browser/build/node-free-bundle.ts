/**
 * A build guard: the browser bundle must not contain Node-only code. It fails the build when a
 * module from the engine's Node-only folders (or the Node `webgpu` package, a native addon) was
 * bundled, or when a chunk imports a Node built-in statically. The only imports of Node modules
 * allowed to remain are dynamic ones behind a runtime check (the engine loads worker_threads and
 * the Dawn bindings that way), which a browser never executes.
 */
import type { Plugin } from 'vite';

const NODE_BUILTINS = new Set([
  'assert', 'buffer', 'child_process', 'crypto', 'events', 'fs', 'fs/promises', 'http', 'https', 'module', 'net',
  'os', 'path', 'process', 'stream', 'url', 'util', 'worker_threads', 'zlib',
]);

/** Module ids that must never be part of the page. */
const NODE_ONLY_MODULES = [/\/src\/(cli|data\/node|io\/node)\//, /\/src\/train\/run\.ts$/, /\/node_modules\/webgpu\//, /__vite-browser-external/];

export function isNodeModuleSpecifier(spec: string): boolean {
  return spec.startsWith('node:') || NODE_BUILTINS.has(spec) || spec === 'webgpu';
}

export function nodeFreeBundle(): Plugin {
  return {
    name: 'gmgrad-node-free-bundle',
    apply: 'build',
    generateBundle(_options, bundle) {
      const problems: string[] = [];
      for (const id of this.getModuleIds()) {
        const info = this.getModuleInfo(id);
        if (!info || info.code === null) continue; // externals (the `webgpu` specifier) are not bundled
        if (NODE_ONLY_MODULES.some((re) => re.test(id))) {
          problems.push(`${id} (imported by ${info.importers.join(', ') || info.dynamicImporters.join(', ') || 'an entry'})`);
        }
      }
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        for (const spec of chunk.imports) {
          if (isNodeModuleSpecifier(spec)) problems.push(`${chunk.fileName} imports '${spec}' statically`);
        }
      }
      if (problems.length > 0) {
        this.error(`Node-only code reached the browser bundle:\n  ${problems.join('\n  ')}`);
      }
    },
  };
}
