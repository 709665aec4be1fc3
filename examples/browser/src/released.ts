/**
 * Released models for the page (the repository's weights/, served next to it): the page starts
 * from one when there is one for its dataset — a 2-D GM model, `?pretrained=NAME` to pick another,
 * `?pretrained=none` (or an explicit `?model=`) for a fresh model — after checking its sha256.
 */
import { findReleased, validateManifest, verifyReleased, type ReleasedCheckpoint, type WeightsManifest } from '../../../src/io/weights-manifest.js';

type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

export async function loadWeightsManifest(fetcher: Fetch = fetch): Promise<WeightsManifest> {
  const res = await fetcher('./weights/manifest.json', { cache: 'no-store' });
  if (res.status === 404) return { checkpoints: [] };
  if (!res.ok) throw new Error(`weights/manifest.json: HTTP ${res.status}`);
  return validateManifest(await res.json(), 'weights/manifest.json');
}

/** The dataset a page dataset id trains and tests on ('mnist-test' is MNIST's test split). */
function datasetOf(pageDataset: string): string {
  return pageDataset === 'mnist-test' ? 'mnist' : pageDataset;
}

/**
 * Which released model the page starts from: `?pretrained=NAME` (any GM model for the page's
 * dataset), else — unless `?pretrained=none` or a `?model=` asks for a fresh one — the first 2-D GM
 * model of the page's dataset; null: a fresh model.
 */
export function pickReleased(m: WeightsManifest, o: { pretrained: string | null; modelGiven: boolean; pageDataset: string }): ReleasedCheckpoint | null {
  const dataset = datasetOf(o.pageDataset);
  if (o.pretrained === 'none') return null;
  if (o.pretrained) {
    const entry = findReleased(m, o.pretrained, 'weights/manifest.json');
    if (entry.dataset !== dataset || entry.loss !== 'gm') throw new Error(`released '${entry.name}' is a ${entry.loss} model for ${entry.dataset}; the page needs a GM model for ${dataset}`);
    return entry;
  }
  if (o.modelGiven) return null;
  return m.checkpoints.find((c) => c.dataset === dataset && c.loss === 'gm' && c.featureDim === 2) ?? null;
}

/** The released file's bytes, refused unless they match the manifest's size and sha256. */
export async function fetchReleased(entry: ReleasedCheckpoint, fetcher: Fetch = fetch): Promise<Uint8Array> {
  const url = `./weights/${entry.file}`;
  const res = await fetcher(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  await verifyReleased(entry, bytes, url);
  return bytes;
}
