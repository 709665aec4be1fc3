/** Detection reports at both operating points (τ accepting 95 % and 99 % of the clean scores). */
import { describe, expect, it } from 'vitest';
import { detectionReport, detectionReportsAtTprs, thresholdAtTpr } from '../../src/detect/index.js';

describe('detectionReportsAtTprs', () => {
  it('reports at τ(95 %) and τ(99 %), each equal to detectionReport at that τ', () => {
    const clean = Array.from({ length: 100 }, (_, i) => i / 100);
    const outcomes = [{ name: 'a', misclassified: [1, 1, 0, 1], scores: [0.5, 0.97, 0.2, 2] }];
    const reports = detectionReportsAtTprs(clean, outcomes);
    expect(reports.map((r) => r.tpr)).toEqual([0.95, 0.99]);
    expect(reports[0]!.tau).toBe(thresholdAtTpr(clean, 0.95));
    expect(reports[1]!.tau).toBe(0.98);
    for (const r of reports) expect(r).toEqual({ tpr: r.tpr, ...detectionReport(clean, r.tau, outcomes) });
    // the stricter τ (95 %) flags 0.97, the looser one (99 %) accepts it
    expect(reports[0]!.worstCase.robustError).toBe(0.25);
    expect(reports[1]!.worstCase.robustError).toBe(0.5);
  });
});
