/** Pulling verified data files out of a dataset's tar.gz (the CIFAR-10 distribution format). */
import { TarError, readTar } from '../tar.js';
import type { DataFileSpec } from '../registry.js';
import { GunzipError, gunzipNode } from './gunzip.js';
import { DataFileError, verifyContent } from './verify.js';

/**
 * Decompress `archive` and return the content of `<memberDir>/<file.name>` for each wanted file, in
 * order, each verified against the registry. Throws DataFileError naming the archive (and member).
 */
export async function extractFromTarGz(archive: Uint8Array, label: string, memberDir: string, wanted: DataFileSpec[]): Promise<Uint8Array[]> {
  let tar: Uint8Array;
  try {
    tar = await gunzipNode(archive, label);
  } catch (err) {
    if (err instanceof GunzipError) throw new DataFileError(label, err.truncated ? 'truncated' : 'corrupt', err.detail);
    throw err;
  }
  const members = new Map<string, Uint8Array>();
  try {
    for (const entry of readTar(tar, label)) if (entry.type === '0') members.set(entry.name.replace(/^\.\//, ''), entry.data);
  } catch (err) {
    if (err instanceof TarError) throw new DataFileError(label, err.truncated ? 'truncated' : 'corrupt', err.detail);
    throw err;
  }
  return wanted.map((file) => {
    const memberName = `${memberDir}/${file.name}`;
    const content = members.get(memberName);
    if (!content) throw new DataFileError(label, 'missing', `no member ${memberName} in the archive`);
    verifyContent(content, file, `${label}:${memberName}`);
    return content;
  });
}
