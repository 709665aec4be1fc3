/**
 * Marching squares: iso-lines of a function sampled on a regular grid, joined into polylines (so a
 * contour is one path, not thousands of two-point segments). Saddle cells are resolved with the
 * average of the four corners.
 */

/** A polyline in grid coordinates: x in [0, nx − 1], y in [0, ny − 1]. */
export type Polyline = [number, number][];

// cell corners: 0 = (i, j), 1 = (i+1, j), 2 = (i+1, j+1), 3 = (i, j+1)
// cell edges:   0 = 0–1, 1 = 1–2, 2 = 3–2, 3 = 0–3
const SEGMENTS: readonly (readonly [number, number][])[] = [
  [], [[3, 0]], [[0, 1]], [[3, 1]], [[1, 2]], [], [[0, 2]], [[2, 3]],
  [[2, 3]], [[0, 2]], [], [[1, 2]], [[3, 1]], [[0, 1]], [[3, 0]], [],
];

export function contourLines(values: ArrayLike<number>, nx: number, ny: number, level: number): Polyline[] {
  if (values.length !== nx * ny) throw new Error(`contourLines: expected ${nx}×${ny} = ${nx * ny} values, got ${values.length}`);
  const at = (i: number, j: number) => values[j * nx + i]!;
  // an edge has one key whichever cell sees it: horizontal edges first, then vertical ones
  const hKey = (i: number, j: number) => j * nx + i;
  const vKey = (i: number, j: number) => nx * ny + j * nx + i;
  const points = new Map<number, [number, number]>();
  const crossing = (key: number, x0: number, y0: number, x1: number, y1: number): number => {
    if (!points.has(key)) {
      const f0 = at(x0, y0), f1 = at(x1, y1);
      const t = f1 === f0 ? 0.5 : Math.min(1, Math.max(0, (level - f0) / (f1 - f0)));
      points.set(key, [x0 + (x1 - x0) * t, y0 + (y1 - y0) * t]);
    }
    return key;
  };
  const segs: [number, number][] = [];
  for (let j = 0; j < ny - 1; j++) {
    for (let i = 0; i < nx - 1; i++) {
      const f = [at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1)];
      const idx = (f[0]! >= level ? 1 : 0) | (f[1]! >= level ? 2 : 0) | (f[2]! >= level ? 4 : 0) | (f[3]! >= level ? 8 : 0);
      if (idx === 0 || idx === 15) continue;
      const edge = (e: number): number => {
        switch (e) {
          case 0: return crossing(hKey(i, j), i, j, i + 1, j);
          case 1: return crossing(vKey(i + 1, j), i + 1, j, i + 1, j + 1);
          case 2: return crossing(hKey(i, j + 1), i, j + 1, i + 1, j + 1);
          default: return crossing(vKey(i, j), i, j, i, j + 1);
        }
      };
      let pairs = SEGMENTS[idx]!;
      if (idx === 5 || idx === 10) {
        const centreHigh = (f[0]! + f[1]! + f[2]! + f[3]!) / 4 >= level;
        // the contour separates whichever diagonal pair the centre does not join
        pairs = (idx === 5) === centreHigh ? [[0, 1], [2, 3]] : [[3, 0], [1, 2]];
      }
      for (const [a, b] of pairs) segs.push([edge(a), edge(b)]);
    }
  }
  return chain(segs, points);
}

/** Join segments that share an edge crossing into polylines (open or closed). */
function chain(segs: [number, number][], points: Map<number, [number, number]>): Polyline[] {
  const byEdge = new Map<number, number[]>();
  segs.forEach(([a, b], s) => {
    for (const k of [a, b]) {
      const list = byEdge.get(k);
      if (list) list.push(s); else byEdge.set(k, [s]);
    }
  });
  const used = new Uint8Array(segs.length);
  const next = (edgeKey: number): number => (byEdge.get(edgeKey) ?? []).find((s) => !used[s]) ?? -1;
  const lines: Polyline[] = [];
  for (let s0 = 0; s0 < segs.length; s0++) {
    if (used[s0]) continue;
    used[s0] = 1;
    const keys = [segs[s0]![0], segs[s0]![1]];
    for (const forward of [true, false]) {
      for (;;) {
        const end = forward ? keys[keys.length - 1]! : keys[0]!;
        const s = next(end);
        if (s < 0) break;
        used[s] = 1;
        const [a, b] = segs[s]!;
        const other = a === end ? b : a;
        if (forward) keys.push(other); else keys.unshift(other);
      }
    }
    lines.push(keys.map((k) => points.get(k)!));
  }
  return lines;
}
