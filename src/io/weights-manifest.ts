/**
 * Released weights: `weights/manifest.json` lists every committed checkpoint with its sha256
 * (checked whenever it is loaded), the recipe, seed and epochs that made it, its accuracy on the
 * full official test set as `gmgrad eval` measures it, and the command that trained it.
 * Platform-neutral (Node and the browser page share it); the digest is WebCrypto's.
 */
export interface ReleasedCheckpoint {
  /** what users ask for: `--pretrained NAME` */
  name: string;
  /** file name inside the weights folder */
  file: string;
  /** hex sha256 of the file */
  sha256: string;
  bytes: number;
  recipe: string;
  seed: number;
  /** epochs trained */
  epochs: number;
  dataset: string;
  model: string;
  featureDim: number;
  loss: 'gm' | 'softmax';
  /** accuracy on the full official test set, measured by `gmgrad eval` on the released file */
  testAccuracy: number;
  testImages: number;
  /** the command that trained it */
  command: string;
  /** backend, machine and wall clock of the training run */
  trainedOn: string;
  notes?: string;
}

export interface WeightsManifest {
  /** what the folder is, for a reader of the JSON */
  description?: string;
  checkpoints: ReleasedCheckpoint[];
}

export class WeightsError extends Error {
  override name = 'WeightsError';
}

const FIELDS: [keyof ReleasedCheckpoint, 'string' | 'number'][] = [
  ['name', 'string'], ['file', 'string'], ['sha256', 'string'], ['bytes', 'number'], ['recipe', 'string'], ['seed', 'number'],
  ['epochs', 'number'], ['dataset', 'string'], ['model', 'string'], ['featureDim', 'number'], ['loss', 'string'],
  ['testAccuracy', 'number'], ['testImages', 'number'], ['command', 'string'], ['trainedOn', 'string'],
];

/** Check a parsed manifest; `source` names it in errors. */
export function validateManifest(value: unknown, source: string): WeightsManifest {
  const m = value as WeightsManifest;
  if (typeof value !== 'object' || value === null || !Array.isArray(m.checkpoints)) throw new WeightsError(`${source}: expected { "checkpoints": [...] }`);
  const names = new Set<string>();
  m.checkpoints.forEach((c, i) => {
    const where = `${source}: checkpoints[${i}]${typeof c?.name === 'string' ? ` (${c.name})` : ''}`;
    for (const [k, t] of FIELDS) if (typeof c?.[k] !== t) throw new WeightsError(`${where}: '${k}' must be a ${t}, got ${JSON.stringify(c?.[k])}`);
    if (!/^[0-9a-f]{64}$/.test(c.sha256)) throw new WeightsError(`${where}: sha256 must be 64 lowercase hex digits, got '${c.sha256}'`);
    if (!/^[A-Za-z0-9._-]+$/.test(c.file) || c.file.startsWith('.')) throw new WeightsError(`${where}: file must be a plain file name inside the weights folder, got '${c.file}'`);
    if (c.loss !== 'gm' && c.loss !== 'softmax') throw new WeightsError(`${where}: loss must be 'gm' or 'softmax', got '${c.loss}'`);
    if (!(c.testAccuracy >= 0 && c.testAccuracy <= 1)) throw new WeightsError(`${where}: testAccuracy must be in [0, 1], got ${c.testAccuracy}`);
    if (names.has(c.name)) throw new WeightsError(`${where}: the name '${c.name}' is listed twice`);
    names.add(c.name);
  });
  return m;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Throw unless the bytes are exactly the released file (size and sha256). */
export async function verifyReleased(entry: ReleasedCheckpoint, bytes: Uint8Array, source: string): Promise<void> {
  if (bytes.length !== entry.bytes) throw new WeightsError(`${source}: ${bytes.length} bytes, but the manifest lists ${entry.bytes} for '${entry.name}' (a truncated or replaced file?)`);
  const got = await sha256Hex(bytes);
  if (got !== entry.sha256) throw new WeightsError(`${source}: sha256 ${got} does not match the manifest's ${entry.sha256} for '${entry.name}'; the file is not the released one`);
}

/** The entry called `name`; an unknown name lists the released ones. */
export function findReleased(m: WeightsManifest, name: string, source: string): ReleasedCheckpoint {
  const entry = m.checkpoints.find((c) => c.name === name);
  if (!entry) {
    const known = m.checkpoints.map((c) => c.name);
    throw new WeightsError(`no released weights named '${name}' in ${source} (${known.length ? `released: ${known.join(', ')}` : 'none released yet'})`);
  }
  return entry;
}
