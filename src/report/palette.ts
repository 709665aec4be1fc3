/** Colours for classes, clean data and attacks. */

/**
 * Ten class colours, chosen to stay apart for the common colour-vision deficiencies as far as ten
 * colours can: the Okabe–Ito set without its yellow (too pale on white) and black (reserved for
 * means and ink), completed with Paul Tol's wine, olive and indigo and a neutral grey. Charts never
 * rely on colour alone: class means are labelled and attacks use a different marker shape.
 */
export const CLASS_COLORS: readonly string[] = [
  '#0072B2', // blue
  '#E69F00', // orange
  '#009E73', // bluish green
  '#D55E00', // vermillion
  '#CC79A7', // reddish purple
  '#56B4E9', // sky blue
  '#882255', // wine
  '#999933', // olive
  '#332288', // indigo
  '#6B6B6B', // grey
];

/** The colour of class / series i (cycles after ten). */
export function classColor(i: number): string {
  const n = CLASS_COLORS.length;
  return CLASS_COLORS[((i % n) + n) % n]!;
}

/** The reference colour for clean data in comparisons against attacks. */
export const CLEAN_COLOR = '#0072B2';
/** Colours for attacks next to the clean series: warm and dark first, distinct from CLEAN_COLOR. */
export const ATTACK_COLORS: readonly string[] = ['#D55E00', '#E69F00', '#882255', '#009E73', '#CC79A7', '#332288', '#999933', '#56B4E9', '#6B6B6B'];
export function attackColor(i: number): string {
  return ATTACK_COLORS[i % ATTACK_COLORS.length]!;
}
