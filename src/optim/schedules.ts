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

export function constantLR(lr: number): Schedule {
  return () => lr;
}
