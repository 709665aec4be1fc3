/** Learning-rate schedules: functions of the epoch (fractional epochs allowed for per-step use). */

export type Schedule = (epoch: number) => number;

/** lr·gamma^floor(epoch/stepSize) */
export function stepLR(lr: number, stepSize: number, gamma = 0.1): Schedule {
  return (e) => lr * gamma ** Math.floor(e / stepSize);
}

/** lr·gamma^(number of milestones passed) */
export function multiStepLR(lr: number, milestones: number[], gamma = 0.1): Schedule {
  const sorted = [...milestones].sort((a, b) => a - b);
  return (e) => lr * gamma ** sorted.filter((m) => e >= m).length;
}

/** cosine annealing from lr to minLr over total epochs */
export function cosineLR(lr: number, total: number, minLr = 0): Schedule {
  return (e) => minLr + (lr - minLr) * 0.5 * (1 + Math.cos(Math.PI * Math.min(e, total) / total));
}

/** linear warm-up from startFactor·lr to the inner schedule's value over `epochs` */
export function linearWarmup(inner: Schedule, epochs: number, startFactor = 0.1): Schedule {
  return (e) => (e >= epochs ? inner(e) : inner(e) * (startFactor + (1 - startFactor) * e / epochs));
}

/**
 * One cycle, piecewise linear (Smith & Topin 2017; the DAWNBench CIFAR-10 runs): from
 * startFactor·lr up to lr at `peak`, then down to endFactor·lr at `total` (held after).
 */
export function oneCycleLR(lr: number, total: number, peak: number, startFactor = 0.1, endFactor = 0): Schedule {
  if (!(total > 0) || !(peak >= 0) || !(peak < total)) throw new Error(`oneCycleLR: needs 0 <= peak < total, got peak ${peak}, total ${total}`);
  return (e) => {
    if (e < peak) return lr * (startFactor + (1 - startFactor) * e / peak);
    const t = Math.min(1, (e - peak) / (total - peak));
    return lr * (1 - (1 - endFactor) * t);
  };
}

export function constantLR(lr: number): Schedule {
  return () => lr;
}
