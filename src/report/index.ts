/** The visual report: plain data in, SVG and HTML strings out (no engine imports, any platform). */
export { renderReport } from './html.js';
export type * from './report-data.js';
export { lineChart, type LineSeries, type LineChartOptions, type LinePanelOptions } from './charts/line-chart.js';
export { featureScatter, type FeatureScatterOptions, type AdversarialFeatures } from './charts/feature-scatter.js';
export { contourLines, type Polyline } from './charts/contours.js';
export { histogram, binCounts, type HistogramSeries, type HistogramOptions } from './charts/histogram.js';
export { rocChart, type RocChartOptions } from './charts/roc-chart.js';
export { rocFromScores, simplifyRoc, thresholdAt, type RocCurve, type RocPoint } from './charts/roc.js';
export { imageGrid, type ImageGridOptions, type ImageGridRow } from './charts/image-grid.js';
export { confusionMatrix, type ConfusionMatrixOptions } from './charts/confusion-matrix.js';
export { encodePng, crc32, zlibCompress } from './png.js';
export { bytesToBase64, pngDataUri } from './base64.js';
export { imageBytes, perturbationMap, divergingBytes, type ImageShape } from './raster.js';
export { divergingColor, sequentialColor } from './colormap.js';
export { formatNumber, formatPercent, formatFixed, formatDuration } from './format.js';
export * as svg from './svg.js';
