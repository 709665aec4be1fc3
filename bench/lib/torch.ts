/**
 * PyTorch on the CPU as a training peer: bench/torch/reference.py in a child `python3` (the first of
 * `python3`, `/usr/bin/python3` that imports torch; Debian's python3-torch), driven line by line
 * over its stdin/stdout. Optional: without torch the column reads "n/a (unavailable)".
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImplId, Unavailable } from './impls.js';

/** reference.py, found from this file's place in bench/dist/bench/lib (compiled) or bench/lib */
function scriptPath(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const up = here.includes(`${path.sep}dist${path.sep}`) ? path.resolve(here, '..', '..', '..') : path.resolve(here, '..');
  return path.join(up, 'torch', 'reference.py');
}

export interface TorchInfo { python: string; version: string; cpu: string }

/** The interpreter to use and torch's version, or why there is none. */
export function probeTorch(): TorchInfo | { unavailable: string } {
  const probe = 'import json, torch; print(json.dumps({"version": torch.__version__, "cpu": next((l.split(":")[1].strip() for l in torch.__config__.show().splitlines() if "CPU capability" in l), "CPU")}))';
  const reasons: string[] = [];
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', probe], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) {
      const { version, cpu } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { version: string; cpu: string };
      return { python, version, cpu };
    }
    reasons.push(`${python}: ${r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop()}`);
  }
  return { unavailable: `no python3 with torch (${reasons.join('; ')})` };
}

type Reply = { ok: true } & Record<string, unknown> | { ok: false; error: string };

/** One long-lived reference.py process; requests are answered in order. */
export class TorchPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffered = '';
  private readonly waiting: Array<(r: Reply) => void> = [];
  private stderr = '';
  private exited: string | null = null;

  constructor(readonly info: TorchInfo) {
    this.child = spawn(info.python, [scriptPath()], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.buffered += chunk;
      for (let nl = this.buffered.indexOf('\n'); nl >= 0; nl = this.buffered.indexOf('\n')) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        this.waiting.shift()?.(JSON.parse(line) as Reply);
      }
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => { this.stderr = (this.stderr + chunk).slice(-2000); });
    this.child.on('exit', (code, signal) => {
      this.exited = `reference.py exited (${signal ?? code}): ${this.stderr.trim().split('\n').pop() ?? ''}`;
      for (const w of this.waiting.splice(0)) w({ ok: false, error: this.exited });
    });
  }

  async request(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.exited) throw new Error(this.exited);
    const reply = await new Promise<Reply>((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(`${JSON.stringify(msg)}\n`);
    });
    if (!reply.ok) throw new Error(`PyTorch: ${(reply as { error: string }).error}`);
    return reply;
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

export interface TorchImpl {
  ok: true;
  id: ImplId;
  peer: TorchPeer;
  /** torch.set_num_threads for this column */
  threads: number;
  label: string;
}

let probed: TorchInfo | { unavailable: string } | null = null;
let shared: TorchPeer | null = null;

/** torch1: one thread; torch: one per core (both columns share one child process) */
export function openTorch(id: ImplId): TorchImpl | Unavailable {
  probed ??= probeTorch();
  if ('unavailable' in probed) return { ok: false, reason: probed.unavailable };
  const threads = id === 'torch1' ? 1 : availableParallelism();
  if (id === 'torch' && threads === 1) return { ok: false, reason: 'one core: same as torch1' };
  shared ??= new TorchPeer(probed);
  const label = `PyTorch ${probed.version} (${threads} thread${threads > 1 ? 's' : ''}, ${probed.cpu})`;
  return { ok: true, id, peer: shared, threads, label };
}

export function closeTorch(): void {
  shared?.close();
  shared = null;
}
