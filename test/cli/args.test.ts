import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from '../../src/cli/args.js';
import { trainConfigFromArgs } from '../../src/cli/train-command.js';

describe('command-line parsing', () => {
  it('maps the issue\'s train command onto the config, recipe defaults filling the rest', () => {
    const { config } = trainConfigFromArgs('--dataset mnist --model mnist-6conv --feature-dim 2 --loss gm --alpha 1 --lambda 0.1 --epochs 50 --batch 64 --backend auto --out runs/mnist-gm'.split(' '));
    expect(config).toMatchObject({ dataset: 'mnist', model: 'mnist-6conv', featureDim: 2, loss: 'gm', alpha: 1, lambda: 0.1, epochs: 50, batch: 64, backend: 'auto', out: 'runs/mnist-gm', nesterov: true, lr: 0.01, lrGamma: 0.7, lrStep: 5, rampEpochs: 5 });
  });
  it('CIFAR-10 defaults follow the ResNet-20 recipe', () => {
    const { config } = trainConfigFromArgs(['--dataset', 'cifar10']);
    expect(config).toMatchObject({ model: 'resnet20', featureDim: 64, alpha: 0.3, likelihood: 'true-class-sq', milestones: [150, 225], augment: true, batch: 128 });
  });
  it('rejects unknown options, bad numbers and bad choices with a clear message', () => {
    expect(() => trainConfigFromArgs(['--epoch', '3'])).toThrow(/unknown flag --epoch \(did you mean --epochs\?\)/);
    expect(() => trainConfigFromArgs(['--lr', 'fast'])).toThrow(/--lr must be a number > 0, got 'fast'/);
    expect(() => trainConfigFromArgs(['--loss', 'hinge'])).toThrow(/--loss must be one of gm, softmax, got 'hinge'/);
    expect(() => parseArgs(['--x'], { x: { type: 'string', help: '' } })).toThrow(UsageError);
  });
  it('supports --flag, --no-flag and --key=value', () => {
    const a = parseArgs(['--aug', '--no-nest', '--lr=0.5', '--m', 'a,b'], {
      aug: { type: 'boolean', help: '' }, nest: { type: 'boolean', default: true, help: '' }, lr: { type: 'number', help: '' }, m: { type: 'list', help: '' },
    });
    expect(a).toEqual({ aug: true, nest: false, lr: 0.5, m: ['a', 'b'], help: false, debug: false });
  });
});
