/** `gmgrad attack`: attack a checkpoint or a released model, detect, print the table, write results.json and report.html (and the detection table as Markdown). */
import { dirname, join } from 'node:path';
import { stratifiedSlice, slice } from '../data/dataset.js';
import { loadDataset } from '../data/node/resolve.js';
import { writeFileAtomic } from '../io/node/atomic-write.js';
import { ensureWritableDir } from '../io/node/folders.js';
import { BACKEND_CHOICES, DATASET_NAMES } from '../train/config.js';
import { evaluateModel } from '../eval/evaluate-model.js';
import { DetectorError } from '../detect/detector.js';
import { PLAN_NAMES } from '../eval/plans.js';
import { THREAT_NORMS, ThreatModelError, threatModelRuns, NORM_LABELS } from '../eval/threat-models.js';
import type { Norm } from '../attacks/steps.js';
import { formatRobustness, robustnessJson } from '../eval/summary.js';
import { writeReport } from '../eval/report-writer.js';
import { detectionMarkdown } from '../eval/report-md.js';
import { sanityForAttackRun } from '../eval/sanity-plan.js';
import { sanityMarkdown } from '../eval/sanity-md.js';
import { SEED_RULE } from '../core/value-rules.js';
import { helpText, parseArgs, UsageError, type OptionSpec } from './args.js';
import { say, type CliIO } from './io.js';
import { taskProgressPrinter } from '../progress/task-progress.js';
import { MODEL_SOURCE_OPTIONS, modelFromArgs } from './model-source.js';

export const ATTACK_OPTIONS = {
  ...MODEL_SOURCE_OPTIONS,
  dataset: { type: 'string', choices: DATASET_NAMES, help: 'dataset', defaultText: 'the checkpoint\'s' },
  attacks: { type: 'list', choices: PLAN_NAMES, default: ['fgsm', 'pgd', 'cw', 'deepfool', 'adaptive'], help: 'attacks to run' },
  norm: { type: 'list', choices: THREAT_NORMS, default: ['linf'], help: 'threat models of the attacks that take one (pgd, adaptive, apgd-*, autoattack, square, fab, fab-t, the detector-aware PGD variants): each runs under every norm listed; one norm an attack lacks is an error, in a list it is skipped with the reason in results.json, the report and --report-md; the worst case over attacks is per norm. fgsm/bim/mim/deepfool-linf (L∞), fgm/pgd-l2/cw/deepfool/adaptive-cw (L2) and sparse-rs (L0, --pixels) keep their own' },
  eps: { type: 'numbers', min: 0, max: 1000, default: [0.1, 0.2, 0.3], help: 'ε values, in the chosen --norm (an attack named for its norm, e.g. fgm: in that one); --eps-linf/--eps-l2/--eps-l1 replace them for one norm' },
  'eps-linf': { type: 'numbers', min: 0, max: 1000, help: 'ε values of the L∞ plans', defaultText: '--eps' },
  'eps-l2': { type: 'numbers', min: 0, max: 1000, help: 'ε values of the L2 plans', defaultText: '--eps' },
  'eps-l1': { type: 'numbers', min: 0, max: 1000, help: 'ε values of the L1 plans', defaultText: '--eps' },
  steps: { type: 'integer', min: 1, max: 100_000, default: 40, help: 'iterations of the iterative attacks (PGD, BIM, MIM, adaptive, APGD, FAB, the detector-aware PGD variants)' },
  restarts: { type: 'integer', min: 1, max: 10_000, default: 1, help: 'restarts of APGD, apgd-adaptive and the detector-aware PGD variants (the study\'s main table: 5 with --steps 100)' },
  queries: { type: 'integer', min: 1, max: 1_000_000, default: 1000, help: 'Square / Sparse-RS model queries per sample (also Square\'s in the --sanity check)' },
  pixels: { type: 'integer', min: 1, max: 1_000_000, default: 10, help: 'Sparse-RS: the most pixels changed (L0)' },
  kappa: { type: 'number', min: 0, exclusiveMin: true, default: 5, help: 'high-confidence-pgd: the logit margin κ a success needs' },
  detectors: { type: 'list', choices: ['kd', 'lid'], default: [], help: 'baseline detectors fitted beside the GM score and Mahalanobis: kernel density (Feinman et al. 2017), LID (Ma et al. 2018)' },
  'cw-search': { type: 'integer', min: 1, max: 1000, default: 5, help: 'C&W binary-search steps over c' },
  'cw-iterations': { type: 'integer', min: 1, max: 100_000, default: 100, help: 'C&W Adam iterations per search step' },
  'cw-lr': { type: 'number', min: 0, exclusiveMin: true, default: 1e-2, help: 'C&W Adam learning rate (raise it for few iterations)' },
  'cw-c0': { type: 'number', min: 0, exclusiveMin: true, default: 1e-3, help: 'C&W first c of the binary search (raise it when the search is short)' },
  n: { type: 'integer', min: 1, default: 500, help: 'test images attacked (class-balanced)' },
  calibration: { type: 'integer', min: 1, default: 1000, help: 'held-out clean test images that set τ' },
  'fit-n': { type: 'integer', min: 1, default: 10000, help: 'clean training images for the Mahalanobis statistics' },
  tpr: { type: 'number', min: 0, exclusiveMin: true, max: 1, default: 0.99, help: 'true-positive rate on clean data that sets τ' },
  batch: { type: 'integer', min: 1, max: 65536, default: 128, help: 'attack batch size' },
  seed: { ...SEED_RULE, type: 'integer', default: 0, help: 'seed of random starts and targets' },
  data: { type: 'string', path: 'dir', help: 'folder holding the dataset files', defaultText: 'the checkpoint\'s, then GMGRAD_DATA, the user cache, system folders' },
  backend: { type: 'string', default: 'auto', choices: BACKEND_CHOICES, help: 'compute backend' },
  out: { type: 'string', help: 'output folder', defaultText: 'the checkpoint\'s folder; runs/attack-NAME for --pretrained NAME' },
  'report-md': { type: 'string', help: 'also write the detection table of docs/reproduction.md (τ at 95 % and at --tpr) as Markdown to this file' },
  sanity: { type: 'boolean', default: false, help: 'also run the sanity checks (Carlini et al. 2019) under each --norm: success non-decreasing in ε, unbounded PGD (L1: APGD-CE) at 100 %, ×4 steps × 4 restarts, Square vs PGD; written to sanity.md and results.json' },
  'sanity-n': { type: 'integer', min: 1, default: 100, help: 'images the sanity checks run on (the first of the attacked ones)' },
  'dry-run': { type: 'boolean', default: false, help: 'check the flags, the checkpoint and --out, print the settings as JSON, and exit' },
} as const satisfies Record<string, OptionSpec>;

export async function attackCommand(argv: string[], io: CliIO): Promise<void> {
  const a = parseArgs(argv, ATTACK_OPTIONS);
  if (a.help) { say(io.stdout, helpText('attack', 'Attack a checkpoint, detect the adversarial inputs, and report.', ATTACK_OPTIONS)); return; }
  if (a.checkpoint === undefined && a.pretrained === undefined) throw new UsageError('attack needs --checkpoint PATH or --pretrained NAME');
  const norms = a.norm as Norm[];
  const epsilonsByNorm: Partial<Record<Norm, number[]>> = { linf: a.epsLinf, l2: a.epsL2, l1: a.epsL1 };
  // an attack without a form for the one --norm is found now, before any model or data is loaded
  let skipped;
  try {
    skipped = threatModelRuns(a.attacks, norms).skipped;
  } catch (e) {
    if (e instanceof ThreatModelError) throw new UsageError(e.message);
    throw e;
  }
  const out = a.out ?? (a.checkpoint !== undefined ? dirname(a.checkpoint) : join('runs', `attack-${a.pretrained}`));
  // an unwritable --out (or --report-md folder) is found now, not after every attack has run
  await ensureWritableDir(out, '--out folder');
  if (a.reportMd !== undefined) await ensureWritableDir(dirname(a.reportMd), '--report-md folder');
  const { model, config, file, backend, description } = await modelFromArgs(a, 'attack');
  const path = file.path;
  const dataset = a.dataset ?? config.dataset ?? 'mnist';
  if (a.dryRun) {
    say(io.stdout, JSON.stringify({ checkpoint: path, model: config.model, dataset, out, backend: description, options: { ...a, help: undefined, debug: undefined, dryRun: undefined } }, null, 2));
    model.dispose();
    return;
  }
  const dataDir = a.data ?? config.dataDir;
  const quiet = { progress: false, log: (l: string) => say(io.stderr, l) };
  const [train, test] = await Promise.all([
    loadDataset(dataset, { split: 'train', dataDir, ...quiet }),
    loadDataset(dataset, { split: 'test', dataDir, ...quiet }),
  ]);
  const [c, h, w] = model.meta.inputShape;
  if (c !== test.c || h !== test.h || w !== test.w) throw new UsageError(`${path}: the model takes ${c}×${h}×${w} images, but --dataset ${dataset} has ${test.c}×${test.h}×${test.w}`);
  if (test.classes.length !== model.meta.numClasses) throw new UsageError(`${path}: the model has ${model.meta.numClasses} classes, but --dataset ${dataset} has ${test.classes.length}`);
  if (a.fitN > train.n) throw new UsageError(`--fit-n ${a.fitN} is more than the ${train.n} training images of ${dataset}`);
  // attacked and calibration images come from disjoint, class-balanced parts of the test split
  const tooMany = () => new UsageError(`--n ${a.n} and --calibration ${a.calibration} need more class-balanced images than the ${test.n} of the ${dataset} test split hold`);
  if (a.n + a.calibration > test.n) throw tooMany();
  let evaluation, calibration;
  try {
    evaluation = stratifiedSlice(test, a.n);
    calibration = stratifiedSlice(test, a.calibration, Math.ceil(a.n / test.classes.length) + 1);
  } catch {
    throw tooMany();
  }
  const fit = slice(train, 0, a.fitN);
  say(io.stderr, `attacking ${path} (${config.model}, ${config.loss} head, ${config.featureDim}-d) on ${dataset}, backend ${description}`);
  const t0 = performance.now();
  const ev = await evaluateModel({
    model, backend, fit, calibration, evaluation, attacks: a.attacks, norms, epsilonsByNorm, epsilons: a.eps, steps: a.steps, restarts: a.restarts, queries: a.queries, pixels: a.pixels, kappa: a.kappa,
    extraDetectors: a.detectors as ('kd' | 'lid')[],
    cwSearchSteps: a.cwSearch, cwIterations: a.cwIterations, cwInitialConst: a.cwC0, cwLearningRate: a.cwLr, seed: a.seed,
    tpr: a.tpr, extraTprs: a.reportMd !== undefined && a.tpr !== 0.95 ? [0.95] : [], batchSize: a.batch, keepFeatures: config.featureDim === 2, keepImages: 8,
    log: (l) => say(io.stderr, l),
    onProgress: taskProgressPrinter({ stream: io.stderr }),
  }).catch((e: Error) => {
    // τ cannot be set from too few correctly classified clean images: say which flags decide that
    if (e instanceof DetectorError) e.message += ` (--calibration ${a.calibration}, --tpr ${a.tpr}; is ${path} trained?)`;
    throw e;
  });
  say(io.stdout, formatRobustness(`${config.loss === 'gm' ? 'GM' : 'softmax'} model`, ev.result));
  const skippedLines = skipped.map((r) => `skipped under ${NORM_LABELS[r.norm]}: ${r.reason}`);
  if (skippedLines.length) say(io.stdout, skippedLines.join('\n'));
  const sanity = [];
  if (a.sanity) {
    for (const norm of norms) {
      sanity.push(await sanityForAttackRun({ model, images: slice(evaluation, 0, Math.min(a.sanityN, evaluation.n)), backend, norm, epsilons: epsilonsByNorm[norm] ?? a.eps, steps: a.steps, queries: a.queries, seed: a.seed, batchSize: a.batch }));
    }
  }
  const sanityMd = sanity.length ? sanity.map((r) => sanityMarkdown(r)).join('\n\n') : null;
  if (sanityMd) say(io.stdout, sanityMd);
  const results = {
    checkpoint: path, dataset, backend: description, config, seconds: (performance.now() - t0) / 1000, options: { ...a, help: undefined, debug: undefined },
    result: robustnessJson(ev.result), skipped, ...(sanity.length ? { sanity } : {}),
  };
  await writeFileAtomic(join(out, 'results.json'), JSON.stringify(results, null, 2));
  if (sanityMd) await writeFileAtomic(join(out, 'sanity.md'), `${sanityMd}\n`);
  const reportPath = join(out, 'report.html');
  const written = await writeReport(reportPath, {
    title: `gmgrad attack — ${config.model} (${config.loss}) on ${dataset}`,
    backend: description,
    config: {
      checkpoint: path, dataset, ...config, attacks: a.attacks.join(','), norm: a.norm.join(','), eps: a.eps.join(','),
      ...Object.fromEntries(norms.filter((n) => epsilonsByNorm[n]).map((n) => [`eps (${NORM_LABELS[n]})`, epsilonsByNorm[n]!.join(',')])),
      ...(skippedLines.length ? { skipped: skippedLines.join('; ') } : {}),
    },
    models: [{ name: config.loss === 'gm' ? 'GM' : 'softmax', model, evaluation: ev, images: evaluation, history: null }],
  });
  model.dispose();
  if (a.reportMd !== undefined) {
    const md = detectionMarkdown({
      model: file.released ? `${file.released.name} (released)` : (config.recipe ?? path), dataset, backend: description, result: ev.result, taus: ev.taus,
      calibrationImages: calibration.n, command: ['gmgrad', 'attack', ...argv].join(' '), skipped,
    });
    await writeFileAtomic(a.reportMd, `${md}\n${sanityMd ? `\n${sanityMd}\n` : ''}`);
    written.push(a.reportMd);
  }
  say(io.stderr, `wrote ${[join(out, 'results.json'), ...(sanityMd ? [join(out, 'sanity.md')] : []), ...written].join(', ')}`);
}
