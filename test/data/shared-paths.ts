/** Paths of the real data used by the data-layer tests. */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const SHARED_DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
export const SHARED_MNIST = join(SHARED_DATA, 'mnist');
export const SHARED_CIFAR = join(SHARED_DATA, 'cifar10');
export const FASHION_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';

export function classCounts(labels: ArrayLike<number>, classes = 10): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  return counts;
}
