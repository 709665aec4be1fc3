/**
 * The machine's BLAS as a reference for the matmul rows: numpy's float32 matmul (Debian's
 * python3-numpy or a pip numpy, both on an optimised BLAS), timed in a child Python in the same
 * benchmark run. Optional: without python3 + numpy the reference is reported as unavailable.
 */
import { spawnSync } from 'node:child_process';

export interface BlasRow { n: number; ms: number; gflops: number }
export type BlasReference = { library: string; rows: BlasRow[] } | { unavailable: string };

const SCRIPT = `
import json, sys, time
import numpy as np
out = []
for n in map(int, sys.argv[1:]):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32); b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b
    runs, t0 = [], time.perf_counter()
    while len(runs) < 3 or (time.perf_counter() - t0 < 1.0 and len(runs) < 50):
        s = time.perf_counter(); a @ b; runs.append(time.perf_counter() - s)
    runs.sort(); ms = runs[len(runs) // 2] * 1000
    out.append({"n": n, "ms": ms, "gflops": 2 * n ** 3 / (ms / 1000) / 1e9})
cfg = np.show_config(mode="dicts") if hasattr(np, "show_config") else {}
blas = (cfg or {}).get("Build Dependencies", {}).get("blas", {}).get("name", "BLAS")
print(json.dumps({"library": "numpy %s (%s)" % (np.__version__, blas), "rows": out}))
`;

export function measureBlas(sizes: readonly number[]): BlasReference {
  const r = spawnSync('python3', ['-c', SCRIPT, ...sizes.map(String)], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return { unavailable: `python3: ${r.error.message}` };
  if (r.status !== 0) return { unavailable: (r.stderr || `python3 exited with ${r.status}`).trim().split('\n').pop()! };
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as BlasReference;
  } catch {
    return { unavailable: `unreadable output from python3: ${r.stdout.slice(0, 200)}` };
  }
}
