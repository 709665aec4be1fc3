/**
 * gmgrad/node: what needs Node's file system and processes — datasets found, verified and
 * downloaded on disk, training runs with their checkpoints, model and safetensors files, the HTML
 * report. Everything platform-neutral is in `gmgrad` itself.
 */
export { loadDataset, clearDatasetMemo, type LoadDatasetOptions } from './data/node/resolve.js';
export { DatasetNotFoundError, type Attempt } from './data/node/not-found.js';
export { userCacheDir, embeddedMnistTestDir } from './data/node/paths.js';
export { runTraining, trainOnData, makeOptimizer, makeSchedule, type RunOptions, type RunResult } from './train/run.js';
export { saveModel, loadModel } from './train/model-file.js';
export { readCheckpointFile, writeCheckpointFile, saveSafetensorsFile, loadSafetensorsFile } from './io/node/checkpoint-file.js';
export { writeFileAtomic } from './io/node/atomic-write.js';
export { writeReport, buildReportData, type ReportInput, type ReportModelInput } from './eval/report-writer.js';
