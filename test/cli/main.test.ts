/**
 * The command line as a user meets it: --version, usage without a command, --help with every
 * default, and every bad value of the hostile pass ending in one line that names the flag (status 2),
 * or a named file or folder (status 1) — with a stack trace only under --debug.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../../src/cli/cli.js';
import { TRAIN_OPTIONS } from '../../src/cli/train-command.js';
import { EVAL_OPTIONS } from '../../src/cli/eval-command.js';
import { ATTACK_OPTIONS } from '../../src/cli/attack-command.js';
import { DEMO_OPTIONS } from '../../src/cli/demo-command.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { writeFileSync } from 'node:fs';
import { cli, fixtureCheckpoint, tempDir } from './helpers.js';

let checkpoint: string;
let bytes: Uint8Array;
beforeAll(async () => { ({ path: checkpoint, bytes } = await fixtureCheckpoint()); });

const oneLine = (s: string) => s.trimEnd().split('\n').length === 1;

describe('the program', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await cli('--version')).toEqual({ code: 0, stdout: `gmgrad ${pkg.version}\n`, stderr: '' });
  });

  it('no command prints the usage and fails', async () => {
    const r = await cli();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^usage: gmgrad <command> \[flags\]/);
    for (const c of Object.keys(COMMANDS)) expect(r.stderr).toContain(`  ${c} `);
  });

  it('an unknown command is one line naming it', async () => {
    const r = await cli('trian');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("gmgrad: unknown command 'trian' (commands: train, eval, attack, demo; gmgrad --help)\n");
  });

  for (const [command, schema] of [['train', TRAIN_OPTIONS], ['eval', EVAL_OPTIONS], ['attack', ATTACK_OPTIONS], ['demo', DEMO_OPTIONS]] as const) {
    it(`${command} --help lists every flag with its default`, async () => {
      const r = await cli(command, '--help');
      expect(r.code).toBe(0);
      for (const flag of [...Object.keys(schema), 'help', 'debug']) {
        const line = r.stdout.split('\n').find((l) => l.startsWith(`  --${flag} `) || l === `  --${flag}`);
        expect(line, `--${flag}`).toMatch(/\(default: .+\)$/);
      }
    });
  }

  it('train --help states the recipe defaults per dataset', async () => {
    const r = await cli('train', '--help');
    expect(r.stdout).toMatch(/--epochs N +epochs; an integer from 1 to 1000000 \(default: 50 \(mnist, fashion-mnist\), 300 \(cifar10\)\)/);
    expect(r.stdout).toMatch(/--model NAME +network; one of .* \(default: mnist-6conv \(mnist, fashion-mnist\), resnet20 \(cifar10\)\)/);
    expect(r.stdout).toMatch(/--milestones N,M .*\(default: none \(mnist, fashion-mnist\), 150,225 \(cifar10\)\)/);
  });
});

describe('bad values: one line naming the flag, status 2', () => {
  const cases: [string[], RegExp][] = [
    [['train', '--epochs', '0'], /^gmgrad train: --epochs must be an integer from 1 to 1000000, got '0'$/],
    [['train', '--epochs', '-1'], /--epochs must be an integer from 1 to 1000000, got '-1'/],
    [['train', '--epochs', '0.5'], /--epochs must be an integer from 1 to 1000000, got '0\.5'/],
    [['train', '--epochs', ''], /--epochs needs a value \(an integer from 1 to 1000000\), got an empty one/],
    [['train', '--epochs'], /--epochs needs a value/],
    [['train', '--epochs', '--lr', '0.1'], /--epochs needs a value/],
    [['train', '--epochs', '3', '--epochs', '4'], /--epochs is given more than once/],
    [['train', '--feature-dim', '0'], /--feature-dim must be an integer from 1 to 65536, got '0'/],
    [['train', '--limit', '-5'], /--limit must be an integer ≥ 0, got '-5'/],
    [['train', '--seed', '4294967296'], /--seed must be an integer from 0 to 4294967295, got '4294967296'/],
    [['train', '--lr', 'NaN'], /--lr must be a number > 0, got 'NaN'/],
    [['train', '--lr', 'Infinity'], /--lr must be a number > 0, got 'Infinity'/],
    [['train', '--lr', '0x10'], /--lr must be a number > 0, got '0x10'/],
    [['train', '--momentum', '2'], /--momentum must be a number from 0 to 1, got '2'/],
    [['train', '--__proto__', '1'], /^gmgrad train: unknown flag --__proto__; --help lists the flags$/],
    [['train', '--constructor'], /unknown flag --constructor/],
    [['train', '--toString=1'], /unknown flag --toString/],
    [['train', '--epoch', '3'], /unknown flag --epoch \(did you mean --epochs\?\)/],
    [['train', 'mnist'], /unexpected argument 'mnist' \(flags start with --/],
    [['train', '--augment=maybe'], /--augment must be true or false, got 'maybe'/],
    [['train', '--no-augment=1'], /--no-augment takes no value/],
    [['train', '--milestones', '5,,9', '--schedule', 'multistep'], /--milestones has an empty item in '5,,9'/],
    [['train', '--milestones', '9,5', '--schedule', 'multistep'], /--milestones must increase, got 9,5/],
    [['train', '--milestones', '5'], /--milestones applies to --schedule multistep, not step/],
    [['train', '--optimizer', 'adam', '--momentum', '0.5'], /--momentum applies to --optimizer sgd, not adam/],
    [['train', '--loss', 'softmax', '--alpha', '2'], /--alpha applies to --loss gm, not softmax/],
    [['train', '--backend', 'cpu', '--threads', '2'], /--threads applies to --backend wasm \(or auto\), not cpu/],
    [['train', '--resume', '--force'], /--resume continues the run in --out and --force discards it: give one of them/],
    [['train', '--data', '/no/such/folder'], /--data \/no\/such\/folder: no such file or folder/],
    [['eval'], /^gmgrad eval: --checkpoint is required/],
    [['eval', '--checkpoint', '/no/such.safetensors'], /--checkpoint \/no\/such\.safetensors: no such file or folder/],
    [['eval', '--limit', '-1', '--checkpoint', 'x'], /--limit must be an integer ≥ 0, got '-1'/],
    [['eval', '--split', 'val'], /--split must be one of train, test, got 'val'/],
    [['attack', '--n', '0'], /--n must be an integer ≥ 1, got '0'/],
    [['attack', '--eps', ''], /--eps must be a comma-separated list of numbers from 0 to 1000, got ''/],
    [['attack', '--eps', '0.1,abc'], /--eps must be a comma-separated list of numbers from 0 to 1000, got '0\.1,abc'/],
    [['attack', '--eps', '0.1,0.1'], /--eps lists a value twice in '0\.1,0\.1'/],
    [['attack', '--attacks', 'fgsm,nope'], /--attacks must be a comma-separated list of fgsm, .*, got 'fgsm,nope'/],
    [['attack', '--tpr', '0'], /--tpr must be a number > 0 and ≤ 1, got '0'/],
    [['demo', '--epochs', '1.5'], /--epochs must be an integer from 1 to 1000, got '1\.5'/],
    [['demo', '--eps', '2'], /--eps must be a comma-separated list of numbers from 0 to 1, got '2'/],
  ];
  for (const [argv, message] of cases) {
    it(argv.join(' ') || '(nothing)', async () => {
      const r = await cli(...argv);
      expect(r.code, r.stderr).toBe(2);
      expect(oneLine(r.stderr), r.stderr).toBe(true);
      expect(r.stderr.trimEnd()).toMatch(message);
      expect(r.stdout).toBe('');
    });
  }

  it('a folder given as --checkpoint', async () => {
    const dir = tempDir();
    const r = await cli('eval', '--checkpoint', dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`gmgrad eval: --checkpoint ${dir} is a folder; expected a file\n`);
  });
});

describe('bad files and folders: one line naming them, status 1', () => {
  it('an --out under /proc fails at once (Node\'s recursive mkdir would spin there forever)', async () => {
    for (const command of ['attack', 'demo']) {
      const args = command === 'attack' ? ['--checkpoint', checkpoint, '--out', '/proc/gmgrad-x/y'] : ['--out', '/proc/gmgrad-x/y'];
      const r = await cli(command, ...args);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`gmgrad ${command}: cannot create the --out folder /proc/gmgrad-x/y: its parent /proc does not accept new folders\n`);
    }
    const r = await cli('train', '--out', '/proc/gmgrad-x', '--backend', 'cpu');
    expect(r.stderr).toBe('gmgrad train: cannot create the --out folder /proc/gmgrad-x: its parent /proc does not accept new folders\n');
  });

  it('an --out that is a file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f'), '');
    const r = await cli('attack', '--checkpoint', checkpoint, '--out', join(dir, 'f'));
    expect(r.stderr).toBe(`gmgrad attack: cannot create the --out folder ${join(dir, 'f')}: ${join(dir, 'f')} is a file, not a folder\n`);
  });

  it('a checkpoint that is not one, and one with NaN weights', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'junk.safetensors'), 'not a checkpoint at all');
    let r = await cli('eval', '--checkpoint', join(dir, 'junk.safetensors'), '--backend', 'cpu');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^gmgrad eval: ${join(dir, 'junk.safetensors')}: header length \\d+ is larger than the \\d+ bytes that follow it`));
    expect(oneLine(r.stderr)).toBe(true);
    const { tensors, metadata } = decodeSafetensors(bytes);
    (tensors['head.means']!.data as Float32Array)[0] = NaN;
    writeFileSync(join(dir, 'nan.safetensors'), encodeSafetensors(tensors, metadata));
    for (const command of ['eval', 'attack']) {
      r = await cli(command, '--checkpoint', join(dir, 'nan.safetensors'), '--backend', 'cpu');
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`gmgrad ${command}: ${join(dir, 'nan.safetensors')}: tensor 'head.means' is not finite (element 0 is NaN); the model is unusable (was it saved after training diverged?)\n`);
    }
  });

  it('a device given as --checkpoint is not read forever', async () => {
    const r = await cli('eval', '--checkpoint', '/dev/zero', '--backend', 'cpu');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('gmgrad eval: checkpoint /dev/zero is not a regular file\n');
  });

  it('--debug adds the stack trace, and only then', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'junk.safetensors'), 'xx');
    const plain = await cli('eval', '--checkpoint', join(dir, 'junk.safetensors'), '--backend', 'cpu');
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const debug = await cli('eval', '--checkpoint', join(dir, 'junk.safetensors'), '--backend', 'cpu', '--debug');
    expect(debug.stderr.split('\n')[0]).toBe(plain.stderr.trimEnd());
    expect(debug.stderr).toMatch(/\n\s+at /);
    const before = await cli('--debug', 'eval', '--checkpoint', join(dir, 'junk.safetensors'), '--backend', 'cpu');
    expect(before.stderr).toMatch(/\n\s+at /);
  });
});

describe('valid runs', () => {
  it('eval prints the accuracy and the confusion matrix', async () => {
    const r = await cli('eval', '--checkpoint', checkpoint, '--limit', '30', '--backend', 'cpu');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^mnist test: accuracy \d+\.\d\d% \(\d+\/30\)\n/);
  });

  it('eval --limit beyond the split is refused, naming the flag', async () => {
    const r = await cli('eval', '--checkpoint', checkpoint, '--limit', '10001', '--backend', 'cpu');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('gmgrad eval: --limit 10001 is more than the 10000 images of the mnist test split\n');
  });

  it('--dry-run resolves the settings without running', async () => {
    const dir = tempDir();
    const r = await cli('train', '--dataset', 'cifar10', '--loss', 'softmax', '--out', join(dir, 'x'), '--dry-run');
    expect(r.code).toBe(0);
    const { config } = JSON.parse(r.stdout) as { config: Record<string, unknown> };
    expect(config).toMatchObject({ dataset: 'cifar10', model: 'resnet20', loss: 'softmax', epochs: 300, out: join(dir, 'x') });
    mkdirSync(join(dir, 'y'));
  });
});
