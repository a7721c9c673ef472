import { describe, expect, it } from 'vitest';
import { drawProbabilitiesFromNested, summarizeDraws } from '../../../core/metrics/predictive';
import {
  calibrateRefusalThreshold,
  evaluateOodSets,
  histogram,
  isRefused,
  refusedFraction,
  verdictsFromDraws,
} from '../../../core/ood/verdict';

const ln = Math.log;

describe('verdict of T posterior draws', () => {
  it('computes mean, prediction, entropies and mutual information by hand for two draws that disagree', () => {
    // Two classes. Draw 1: (1, 0); draw 2: (0, 1). p̄ = (½, ½): H[p̄] = ln 2, E H[p_t] = 0, MI = ln 2.
    const [disagree] = verdictsFromDraws(drawProbabilitiesFromNested([[[1, 0]], [[0, 1]]]), 0.6);
    expect(disagree.meanProbabilities).toEqual([0.5, 0.5]);
    expect(disagree.predictedClass).toBe(0);
    expect(disagree.maxProbability).toBe(0.5);
    expect(disagree.predictiveEntropy).toBeCloseTo(ln(2), 12);
    expect(disagree.expectedEntropy).toBe(0);
    expect(disagree.mutualInformation).toBeCloseTo(ln(2), 12);
    expect(disagree.refused).toBe(true);
  });

  it('separates aleatoric from epistemic: draws that agree on (½, ½) have MI 0', () => {
    const [agree] = verdictsFromDraws(drawProbabilitiesFromNested([[[0.5, 0.5]], [[0.5, 0.5]]]), 0.2);
    expect(agree.predictiveEntropy).toBeCloseTo(ln(2), 12);
    expect(agree.expectedEntropy).toBeCloseTo(ln(2), 12);
    expect(agree.mutualInformation).toBeCloseTo(0, 12);
    expect(agree.refused).toBe(false);
  });

  it('handles three classes and several images: p̄ = (0.6, 0.3, 0.1) from (0.8, 0.2, 0) and (0.4, 0.4, 0.2)', () => {
    const draws = drawProbabilitiesFromNested([
      [
        [0.8, 0.2, 0],
        [0, 0, 1],
      ],
      [
        [0.4, 0.4, 0.2],
        [0, 0, 1],
      ],
    ]);
    const [first, second] = verdictsFromDraws(draws, 0.2);
    expect(first.meanProbabilities.map((p) => Number(p.toFixed(12)))).toEqual([0.6, 0.3, 0.1]);
    const h = (ps: number[]) => -ps.filter((p) => p > 0).reduce((s, p) => s + p * ln(p), 0);
    expect(first.predictiveEntropy).toBeCloseTo(h([0.6, 0.3, 0.1]), 12);
    expect(first.expectedEntropy).toBeCloseTo((h([0.8, 0.2]) + h([0.4, 0.4, 0.2])) / 2, 12);
    expect(first.mutualInformation).toBeCloseTo(first.predictiveEntropy - first.expectedEntropy, 12);
    expect(second).toMatchObject({
      predictedClass: 2,
      maxProbability: 1,
      predictiveEntropy: 0,
      mutualInformation: 0,
      refused: false,
    });
  });

  it('refuses when no mean probability reaches the threshold (ties at the threshold are accepted)', () => {
    expect(isRefused([0.2, 0.1], 0.2)).toBe(false);
    expect(isRefused([0.19, 0.1], 0.2)).toBe(true);
    expect(() => isRefused([0.5], 1.5)).toThrow('A refusal threshold must be a probability in [0, 1], found 1.5.');
  });
});

describe('threshold calibration and OOD evaluation', () => {
  it('picks the threshold that accepts 95 % of held-out max-probabilities', () => {
    // 20 values 0.05, 0.10, …, 1.00: accepting 19 of them (95 %) means τ = 0.10.
    const values = Array.from({ length: 20 }, (_, i) => (i + 1) * 0.05);
    const tau = calibrateRefusalThreshold(values);
    expect(tau).toBeCloseTo(0.1, 12);
    expect(refusedFraction(values, tau)).toBeCloseTo(0.05, 12);
    expect(() => calibrateRefusalThreshold([])).toThrow('calibration needs at least one');
  });

  it('bins scores with fixed edges, the last bin taking the maximum', () => {
    expect(histogram([0, 0.25, 0.5, 1, 1.2], [0, 1], 4)).toEqual({
      edges: [0, 0.25, 0.5, 0.75, 1],
      counts: [1, 1, 1, 2],
    });
  });

  it('gives AUROC 1 and FPR 0 for a set fully separated from the digits, and 0.5-ish for the same set', () => {
    // In-distribution: confident; OOD: flat. One class per image, 2 draws, 4 classes.
    const confident = Array.from({ length: 20 }, (_, i) => [0.97 - i * 0.001, 0.01, 0.01, 0.01 + i * 0.001]);
    const flat = Array.from({ length: 10 }, () => [0.25, 0.25, 0.25, 0.25]);
    const inSummary = summarizeDraws(drawProbabilitiesFromNested([confident, confident]));
    const outSummary = summarizeDraws(drawProbabilitiesFromNested([flat, flat]));
    const evaluation = evaluateOodSets(
      { name: 'digits', summary: inSummary },
      [
        { name: 'flat', summary: outSummary },
        { name: 'same', summary: inSummary },
      ],
      0.3,
    );
    const [flatSet, sameSet] = evaluation.outOfDistribution;
    expect(flatSet.scores!.maxProbability).toEqual({ auroc: 1, fprAt95Tpr: 0 });
    expect(flatSet.scores!.predictiveEntropy).toEqual({ auroc: 1, fprAt95Tpr: 0 });
    // MI is 0 everywhere (the draws agree): ties count half.
    expect(flatSet.scores!.mutualInformation!.auroc).toBe(0.5);
    expect(flatSet.refusedAtThreshold).toBe(1);
    expect(flatSet.refusedAtCalibrated).toBe(1);
    expect(sameSet.scores!.maxProbability!.auroc).toBe(0.5);
    expect(evaluation.inDistribution.refusedAtCalibrated).toBeCloseTo(0.05, 12);
    expect(evaluation.inDistribution.scores).toBeUndefined();
    expect(flatSet.histograms.maxProbability.counts[5]).toBe(10); // 0.25 falls in [0.25, 0.30)
  });

  it('leaves mutual information out, with the reason, when the predictive has no epistemic part', () => {
    const confident = Array.from({ length: 10 }, () => [0.97, 0.01, 0.01, 0.01]);
    const flat = Array.from({ length: 10 }, () => [0.25, 0.25, 0.25, 0.25]);
    const evaluation = evaluateOodSets(
      { name: 'digits', summary: summarizeDraws(drawProbabilitiesFromNested([confident])) },
      [{ name: 'flat', summary: summarizeDraws(drawProbabilitiesFromNested([flat])) }],
      0.3,
      { available: false, reason: 'not applicable: one set of point weights' },
    );
    const scores = evaluation.outOfDistribution[0].scores!;
    expect(scores.mutualInformation).toBeUndefined();
    expect(scores.predictiveEntropy).toEqual({ auroc: 1, fprAt95Tpr: 0 });
    expect(evaluation.notApplicable).toEqual({ mutualInformation: 'not applicable: one set of point weights' });
  });
});
