/**
 * The tiny SVG kit every chart is built from, in one import: escaping and elements (markup.ts),
 * scales and nice ticks (scale.ts), axes (axis.ts), the class palette (palette.ts) and legends
 * (legend.ts).
 */
export * from './markup.js';
export * from './scale.js';
export * from './axis.js';
export * from './palette.js';
export * from './legend.js';
