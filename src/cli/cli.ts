/**
 * The gmgrad command line as a function: `main(argv, io)` runs one command and returns its exit
 * status (0 done, 1 failed, 2 wrong usage), writing only to `io`. Errors are one line naming what
 * was wrong; the stack trace only with --debug (or GMGRAD_DEBUG=1).
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from './args.js';
import { processIO, say, type CliIO } from './io.js';

interface Command {
  summary: string;
  run: (argv: string[], io: CliIO) => Promise<unknown>;
}

export const COMMANDS: Record<string, Command> = {
  train: { summary: 'train a CNN with the GM loss or softmax on MNIST, Fashion-MNIST or CIFAR-10', run: async (a, io) => (await import('./train-command.js')).trainCommand(a, io) },
  eval: { summary: 'accuracy, per-class accuracy and confusion matrix of a checkpoint', run: async (a, io) => (await import('./eval-command.js')).evalCommand(a, io) },
  attack: { summary: 'attack a checkpoint, detect the adversarial inputs, write results.json and report.html', run: async (a, io) => (await import('./attack-command.js')).attackCommand(a, io) },
  demo: { summary: 'train GM and softmax models, attack both, detect, write the report (the README\'s main command)', run: async (a, io) => (await import('./demo-command.js')).demoCommand(a, io) },
};

export function usage(): string {
  return ['usage: gmgrad <command> [flags]', '       gmgrad <command> --help   (its flags and their defaults)', '       gmgrad --version', '', 'commands:',
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(8)} ${c.summary}`)].join('\n');
}

export async function version(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Run the command line `argv` (without node and the script); returns the exit status. */
export async function main(argv: readonly string[], io: CliIO = processIO(), env: Record<string, string | undefined> = process.env): Promise<number> {
  const debug = argv.includes('--debug') || Boolean(env.GMGRAD_DEBUG);
  // --debug may also come before the command
  const [cmd, ...rest] = argv[0] === '--debug' ? argv.slice(1) : argv;
  try {
    if (cmd === '--version' || cmd === '-V') { say(io.stdout, `gmgrad ${await version()}`); return 0; }
    if (cmd === '--help' || cmd === '-h' || cmd === 'help') { say(io.stdout, usage()); return 0; }
    if (cmd === undefined) { say(io.stderr, usage()); return 2; }
    const c = Object.prototype.hasOwnProperty.call(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
    if (!c) throw new UsageError(`unknown command '${cmd}' (commands: ${Object.keys(COMMANDS).join(', ')}; gmgrad --help)`);
    await c.run(rest, io);
    return 0;
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const prefix = cmd && Object.prototype.hasOwnProperty.call(COMMANDS, cmd) ? `gmgrad ${cmd}` : 'gmgrad';
    const kind = err instanceof UsageError || err.name === 'Error' ? '' : `${err.name}: `;
    say(io.stderr, `${prefix}: ${kind}${err.message}`);
    if (debug && err.stack) say(io.stderr, err.stack);
    return err instanceof UsageError ? 2 : 1;
  }
}
