/** How work is split across threads: contiguous, balanced ranges aligned to register blocks. */

/** Splits [0, total) into `parts` ranges whose inner boundaries are multiples of `align`. */
export function splitRange(total: number, parts: number, align = 1): Array<[number, number]> {
  const units = Math.ceil(total / align);
  const out: Array<[number, number]> = [];
  let start = 0;
  for (let t = 0; t < parts; t++) {
    const endUnit = Math.round(((t + 1) * units) / parts);
    const end = Math.min(total, endUnit * align);
    out.push([start, end]);
    start = end;
  }
  return out.filter(([a, b]) => b > a);
}

/** Whether splitting `items` whole items over `threads` threads is balanced enough to prefer. */
export function splitsEvenly(items: number, threads: number): boolean {
  return items >= threads && (items % threads === 0 || items >= 4 * threads);
}
