/**
 * The out-of-distribution part of a run's report, from the run's stored OOD evaluation
 * (`runs/<id>/ood.json`, core/contract/ood.ts): a table of every image set (how many images, mean
 * max probability, refused at the run's and at the calibrated threshold, how well each score
 * separates the set from held-out digits), then the score histograms of ./oodFigures.
 */
import type { OodEvaluation, OodScoreKindName } from '../contract/ood';
import { describePasses } from '../methods/index';
import { formatMetric, formatPercent } from './format';
import { oodHistogramFigure } from './oodFigures';
import { tableFigure, type TextTable } from './reportTables';
import type { FigureRow } from './runFigures';
import { figureCaption } from './caption';
import type { CanvasFigureSpec, FigureRun } from './types';

const scoreKinds: OodScoreKindName[] = ['maxProbability', 'predictiveEntropy', 'mutualInformation'];

/** `method`: the run's, which says what the predictive averaged (`T = 5 draws`, `M = 5 members`). */
export function oodSummaryTable(evaluation: OodEvaluation, method?: string): TextTable {
  const sets = [evaluation.inDistribution, ...evaluation.outOfDistribution];
  const auroc = (set: (typeof sets)[number], kind: OodScoreKindName) => {
    const score = set.scores?.[kind];
    if (score) return formatMetric(score.auroc);
    return set !== evaluation.inDistribution && evaluation.notApplicable?.[kind] ? 'n/a' : '—';
  };
  return {
    heading:
      `Image sets (${describePasses(method, evaluation.draws)}; thresholds ${formatMetric(evaluation.threshold)} and calibrated ${formatMetric(evaluation.calibratedThreshold)})` +
      (evaluation.notApplicable?.mutualInformation ? '; MI n/a: the method has no epistemic part' : ''),
    columns: [
      'set',
      'images',
      'mean max p',
      `refused at ${formatMetric(evaluation.threshold)}`,
      'refused at calibrated',
      'AUROC max p',
      'AUROC entropy',
      'AUROC MI',
    ],
    columnShares: [0.22, 0.08, 0.1, 0.12, 0.16, 0.11, 0.11, 0.1],
    rows: sets.map((set) => [
      set.name,
      String(set.count),
      formatMetric(set.meanMaxProbability),
      formatPercent(set.refusedAtThreshold),
      formatPercent(set.refusedAtCalibrated),
      ...scoreKinds.map((kind) => auroc(set, kind)),
    ]),
  };
}

export function oodSummaryFigure(evaluation: OodEvaluation, run: FigureRun): CanvasFigureSpec {
  return tableFigure(
    'ood-summary',
    `Out-of-distribution images at checkpoint step ${evaluation.checkpointStep} (held-out accuracy ${formatPercent(evaluation.heldoutAccuracy)})`,
    figureCaption(run),
    oodSummaryTable(evaluation, run.config.method),
  );
}

/** Rows to append to a run's report (RunReportOptions.extraRows) for its OOD evaluation. */
export function oodReportRows(evaluation: OodEvaluation, run: FigureRun): FigureRow[] {
  return [
    [oodSummaryFigure(evaluation, run)],
    [oodHistogramFigure(evaluation, 'maxProbability', run), oodHistogramFigure(evaluation, 'predictiveEntropy', run)],
    [oodHistogramFigure(evaluation, 'mutualInformation', run)],
  ];
}
