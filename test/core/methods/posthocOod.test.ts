/**
 * The post-hoc evaluation's OOD scores (core/methods/posthoc): each OOD set is separated from the
 * held-out set by the predictive before and after temperature scaling, with the same scoring as
 * `evaluate-ood` (core/ood/verdict evaluateOodSets) applied to softmax(z) and softmax(z / T), and
 * mutual information reported only where the predictive has draws to take it over.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LabelledImages } from '../../../core/data/dataset';
import type { DrawNetwork } from '../../../core/evaluation/monteCarlo';
import { drawProbabilitiesFromFlat, summarizeDraws } from '../../../core/metrics/predictive';
import { evaluateTemperatureScaling } from '../../../core/methods/posthoc';
import { applyTemperature } from '../../../core/methods/temperatureScaling';
import { evaluateOodSets } from '../../../core/ood/verdict';
import { SeedStream } from '../../../core/random/seedStream';
import { useCpuBackend } from '../../fixtures/testBackend';

const PIXELS = 28 * 28;
const CLASSES = 10;

beforeAll(useCpuBackend);

/** Logits = 4 × the first 10 pixels (+ a draw-dependent shift of the first logit when `draws` > 1). */
function pixelNetwork(draws: number | undefined): DrawNetwork {
  return {
    fixedDraws: draws,
    drawOutput: (input, draw) =>
      tf.tidy(() => {
        const logits = tf.mul(tf.slice(tf.reshape(input, [-1, PIXELS]), [0, 0], [-1, CLASSES]), 4);
        return tf.add(logits, tf.mul(tf.oneHot([0], CLASSES), 0.3 * draw));
      }),
  };
}

/** Digits: the label's pixel bright, the other nine dim noise; OOD: all ten dim noise. */
function images(count: number, seed: number, inDistribution: boolean): LabelledImages {
  const stream = new SeedStream(seed);
  const values = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n += 1) {
    labels[n] = Math.floor(stream.uniform() * CLASSES);
    for (let k = 0; k < CLASSES; k += 1) values[n * PIXELS + k] = 0.6 * stream.uniform();
    if (inDistribution) values[n * PIXELS + labels[n]] += 0.3 + stream.uniform();
  }
  return { images: values, labels, count };
}

/** What evaluate-ood would report for softmax(logits / T) of the same network on the same images. */
function expectedSeparation(network: DrawNetwork, heldout: LabelledImages, ood: LabelledImages, temperature: number) {
  const probabilities = (set: LabelledImages) => {
    const logits = tf.tidy(() => network.drawOutput(tf.tensor4d(set.images, [set.count, 28, 28, 1]), 0, 0));
    const values = logits.dataSync();
    logits.dispose();
    return summarizeDraws(
      drawProbabilitiesFromFlat(applyTemperature(values, CLASSES, temperature), [1, set.count, CLASSES]),
    );
  };
  return evaluateOodSets({ name: 'held-out', summary: probabilities(heldout) }, [
    { name: 'Noise', summary: probabilities(ood) },
  ]).outOfDistribution[0].scores!;
}

describe('post-hoc OOD scores', () => {
  const validation = images(200, 1, true);
  const heldout = images(150, 2, true);
  const ood = images(120, 3, false);
  const oodSets = [{ name: 'Noise', count: ood.count, images: ood.images }];

  it('separate each OOD set by softmax(z) before and softmax(z / T) after, as evaluate-ood scores them', async () => {
    const network = pixelNetwork(1);
    const result = await evaluateTemperatureScaling({
      network,
      validation,
      heldout,
      draws: 1,
      seed: 0,
      hasEpistemicPart: false,
      oodSets,
    });
    expect(result.temperature).not.toBeCloseTo(1, 2);
    const [set] = result.ood!.sets;
    expect(set.name).toBe('Noise');
    for (const [moment, temperature] of [
      ['before', 1],
      ['after', result.temperature],
    ] as const) {
      const expected = expectedSeparation(network, heldout, ood, temperature);
      for (const kind of ['maxProbability', 'predictiveEntropy'] as const) {
        expect(set[moment][kind]!.auroc).toBeCloseTo(expected[kind]!.auroc, 6);
        expect(set[moment][kind]!.fprAt95Tpr).toBeCloseTo(expected[kind]!.fprAt95Tpr, 6);
      }
      // One set of point weights: no mutual information, and the reason instead of a number.
      expect(set[moment].mutualInformation).toBeUndefined();
      expect(result.ood!.notApplicable[moment]?.mutualInformation).toMatch(/no epistemic part/);
    }
    // The bright pixel makes digits confident and the noise not: a separation well above chance.
    expect(set.before.predictiveEntropy!.auroc).toBeGreaterThan(0.8);
  });

  it('reports mutual information when the predictive averages several draws', async () => {
    const result = await evaluateTemperatureScaling({
      network: pixelNetwork(3),
      validation,
      heldout,
      draws: 3,
      seed: 0,
      hasEpistemicPart: true,
      oodSets,
    });
    const [set] = result.ood!.sets;
    expect(set.before.mutualInformation!.auroc).toBeGreaterThanOrEqual(0);
    expect(set.after.mutualInformation!.auroc).toBeLessThanOrEqual(1);
    expect(result.ood!.notApplicable).toEqual({});
  });

  it('adds no OOD part when no sets are given', async () => {
    const result = await evaluateTemperatureScaling({
      network: pixelNetwork(1),
      validation,
      heldout,
      draws: 1,
      seed: 0,
      hasEpistemicPart: false,
    });
    expect(result.ood).toBeUndefined();
  });
});
