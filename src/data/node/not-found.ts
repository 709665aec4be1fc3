/** The one error raised when no place holds a valid copy of a dataset: every place tried, why it failed, and what to do. */
import type { DatasetSpec, Split } from '../registry.js';

export interface Attempt {
  /** the place, as shown to the user (folder with its role, or a URL) */
  place: string;
  /** why it was not used: 'folder does not exist', 'missing …', a checksum mismatch naming the file, … */
  problem: string;
}

function howToProvide(spec: DatasetSpec, split: Split, cacheDir: string): string[] {
  const names = spec.splits[split].files.map((f) => f.name);
  const list = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const hints = [
    `put ${list} (gzipped as <name>.gz or not) in a folder DIR and pass --data DIR (dataDir in the API) or set GMGRAD_DATA=DIR; DIR may also hold them in a ${spec.name}/ sub-folder`,
    `or copy them into ${cacheDir}`,
  ];
  for (const mirror of spec.mirrors) {
    if (mirror.kind === 'gz-files') hints.push(`or download <name>.gz from ${mirror.base} (gmgrad does this itself when online unless downloads are disabled)`);
    else hints.push(`or download ${mirror.url} (${(mirror.bytes / 1e6).toFixed(0)} MB, md5 ${mirror.md5}) and put it, or its extracted ${mirror.memberDir}/ folder, in DIR (gmgrad downloads it itself when online unless downloads are disabled)`);
  }
  for (const hint of spec.installHints) hints.push(`or ${hint}`);
  return hints;
}

export class DatasetNotFoundError extends Error {
  constructor(readonly dataset: string, readonly split: Split, readonly attempts: Attempt[], spec: DatasetSpec, cacheDir: string) {
    const lines = [
      `cannot load ${spec.title} (${split} split): no valid copy found. Looked at, in order:`,
      ...attempts.map((a, i) => `  ${i + 1}. ${a.place}: ${a.problem}`),
      'To provide the files:',
      ...howToProvide(spec, split, cacheDir).map((h) => `  - ${h}`),
    ];
    super(lines.join('\n'));
    this.name = 'DatasetNotFoundError';
  }
}
