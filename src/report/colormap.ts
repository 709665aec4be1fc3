/** Colour maps: diverging (perturbations, centred on grey) and sequential (heat maps). */

export type Rgb = [number, number, number];

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

function piecewise(stops: readonly Rgb[], t: number): Rgb {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  return mix(stops[i]!, stops[i + 1]!, x - i);
}

/**
 * Blue → grey → red for t in [−1, 1], grey at 0, so "no change" reads as the neutral background of
 * a perturbation. Blue/red stay apart for red–green colour blindness; the lightness rises towards
 * both ends only slightly, so sign is carried by hue and magnitude by saturation.
 */
const DIVERGING: readonly Rgb[] = [[5, 48, 97], [33, 102, 172], [128, 128, 128], [178, 24, 43], [103, 0, 31]];
export function divergingColor(t: number): Rgb {
  return piecewise(DIVERGING, (t + 1) / 2);
}

/** White → deep blue for t in [0, 1] (ColorBrewer "Blues"). */
const SEQUENTIAL: readonly Rgb[] = [[247, 251, 255], [198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107]];
export function sequentialColor(t: number): Rgb {
  return piecewise(SEQUENTIAL, t);
}

export function rgbCss(c: Rgb): string {
  return `rgb(${Math.round(c[0])},${Math.round(c[1])},${Math.round(c[2])})`;
}

/** Relative luminance (sRGB), to choose dark or light text on a coloured cell. */
export function luminance(c: Rgb): number {
  const lin = (v: number) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
}
