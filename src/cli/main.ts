#!/usr/bin/env node
/** The gmgrad command line: train, eval, attack, figure, release, demo. */
import { UsageError } from './args.js';

const COMMANDS: Record<string, { summary: string; run: (argv: string[]) => Promise<unknown> }> = {
  train: { summary: 'train a CNN with the GM loss or softmax on MNIST, Fashion-MNIST or CIFAR-10', run: async (a) => (await import('./train-command.js')).trainCommand(a) },
  eval: { summary: 'accuracy, per-class accuracy and confusion matrix of a checkpoint', run: async (a) => (await import('./eval-command.js')).evalCommand(a) },
  attack: { summary: 'attack a checkpoint, detect the adversarial inputs, write results.json and report.html', run: async (a) => (await import('./attack-command.js')).attackCommand(a) },
  figure: { summary: 'the paper\'s figure: 2-D test-set features of a model, with class means and σ contours for GM (SVG)', run: async (a) => (await import('./figure-command.js')).figureCommand(a) },
  release: { summary: 'add a trained checkpoint to the released weights (evaluated on the full test set, sha256 in weights/manifest.json)', run: async (a) => (await import('./release-command.js')).releaseCommand(a) },
  demo: { summary: 'train GM and softmax models, attack both, detect, write the report (the README\'s main command)', run: async (a) => (await import('./demo-command.js')).demoCommand(a) },
};

function usage(): string {
  return ['usage: gmgrad <command> [options]   (gmgrad <command> --help for its options)', '', 'commands:',
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(8)} ${c.summary}`)].join('\n');
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') { console.log(usage()); return; }
  const c = COMMANDS[cmd];
  if (!c) throw new UsageError(`unknown command '${cmd}'\n\n${usage()}`);
  await c.run(rest);
}

main().then(
  async () => {
    // worker pools (wasm backend) must not keep the process alive
    const { createdBackends } = await import('../core/engine.js');
    for (const b of createdBackends()) (b as { dispose?: () => void }).dispose?.();
  },
  (e: unknown) => {
    const err = e as Error;
    console.error(err instanceof UsageError ? `gmgrad: ${err.message}` : `gmgrad: ${err.name === 'Error' ? '' : `${err.name}: `}${err.message}`);
    if (process.env.GMGRAD_DEBUG) console.error(err.stack);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
