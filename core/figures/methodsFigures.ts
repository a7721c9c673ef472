/**
 * Figures that put methods side by side (issue 11), pure functions of the compared runs:
 * - `reliabilityOverlayFigure`: every classification run's reliability curve (accuracy against
 *   mean confidence per non-empty bin of its last held-out evaluation) over the diagonal;
 * - `riskCoverageOverlayFigure`: every run's risk–coverage curve (selective classification:
 *   error among the most confident fraction of held-out images), its AURC in the legend;
 * - `regressionMethodsFigures`: the predictive band of each regression run — VI, MC dropout, a deep
 *   ensemble, the deterministic net — on the experiment's fixed axes (the sinusoid's classic
 *   figure), titled by method, so the panels compare directly.
 */
import type { ChartConfiguration } from 'chart.js';
import { descriptorOf } from '../experiments/registry';
import { axis, baseOptions, lineDataset } from './chartParts';
import { comparisonCaption } from './comparison';
import { colourIndexOf, type ComparisonRun } from './comparisonData';
import { formatMetric } from './format';
import { methodLabel } from './methodsTable';
import { palette, seriesColour } from './palette';
import { regressionFigure } from './regressionFigure';
import type { ChartFigureSpec } from './types';

const isClassification = (run: ComparisonRun) => descriptorOf(run.config).task.kind === 'classification';

/** Runs whose last held-out evaluation can be drawn, with their colour (their slot, or their index in `runs`). */
function withEvaluations(runs: readonly ComparisonRun[]) {
  return runs.flatMap((run, index) => {
    const evaluation = run.data.evaluations.at(-1);
    return isClassification(run) && evaluation
      ? [{ run, evaluation, colour: seriesColour(colourIndexOf(run, index)) }]
      : [];
  });
}

const legend = { position: 'top', align: 'end', labels: { usePointStyle: true, boxHeight: 7, color: palette.text } };

export function reliabilityOverlayFigure(runs: readonly ComparisonRun[]): ChartFigureSpec {
  const drawn = withEvaluations(runs);
  const datasets = [
    lineDataset(
      'perfect calibration',
      palette.diagonal,
      [
        { x: 0, y: 100 * 0 },
        { x: 1, y: 100 },
      ],
      { borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5, pointStyle: 'line' },
    ),
    ...drawn.map(({ run, evaluation, colour }, i) =>
      lineDataset(
        `${run.name} · ${methodLabel(run)} (ECE ${formatMetric(evaluation.ece)})`,
        colour,
        evaluation.reliability
          .filter((bin) => bin.count > 0)
          .map((bin) => ({ x: bin.meanConfidence, y: 100 * bin.accuracy })),
        { borderWidth: 2, pointRadius: 3, ...(i % 2 === 1 ? { borderDash: [6, 3] } : {}) },
      ),
    ),
  ];
  const chart: ChartConfiguration = {
    type: 'scatter',
    data: { datasets },
    options: {
      ...baseOptions(),
      plugins: { legend },
      scales: {
        x: axis('confidence (mean max-probability in bin)', { min: 0, max: 1 }),
        y: axis('accuracy in bin (%)', { min: 0, max: 100 }),
      },
    },
  } as ChartConfiguration;
  return {
    id: 'compare-reliability',
    kind: 'chart',
    title: 'Reliability of each run (last held-out evaluation, 15 bins; empty bins left out)',
    caption: comparisonCaption(runs),
    width: 900,
    height: 500,
    chart,
  };
}

export function riskCoverageOverlayFigure(runs: readonly ComparisonRun[]): ChartFigureSpec {
  const drawn = withEvaluations(runs).filter(({ evaluation }) => evaluation.riskCoverage);
  const datasets = drawn.map(({ run, evaluation, colour }, i) => {
    const curve = evaluation.riskCoverage!;
    const aurc = evaluation.aurc === undefined ? '' : ` (AURC ${formatMetric(evaluation.aurc)})`;
    return lineDataset(
      `${run.name} · ${methodLabel(run)}${aurc}`,
      colour,
      curve.coverage.map((x, k) => ({ x, y: 100 * curve.risk[k] })),
      { borderWidth: 2, pointRadius: 0, ...(i % 2 === 1 ? { borderDash: [6, 3] } : {}) },
    );
  });
  const chart: ChartConfiguration = {
    type: 'scatter',
    data: { datasets },
    options: {
      ...baseOptions(),
      plugins: { legend },
      scales: {
        x: axis('coverage (share kept, most confident first)', { min: 0, max: 1 }),
        y: axis('risk: error among those kept (%)', { min: 0 }),
      },
    },
  } as ChartConfiguration;
  return {
    id: 'compare-risk-coverage',
    kind: 'chart',
    title: 'Risk–coverage of each run (last held-out evaluation; lower is better)',
    caption: comparisonCaption(runs),
    width: 900,
    height: 500,
    chart,
  };
}

/** Whether the overlays have something to draw (a classification run with an evaluation; with a curve). */
export function hasClassificationEvaluations(runs: readonly ComparisonRun[]): boolean {
  return withEvaluations(runs).length > 0;
}
export function hasRiskCoverage(runs: readonly ComparisonRun[]): boolean {
  return withEvaluations(runs).some(({ evaluation }) => evaluation.riskCoverage);
}

/**
 * The band of every regression run with a snapshot, one panel each, on its experiment's fixed axes
 * (all runs of one experiment share them), titled by method so the panels read as the classic figure.
 */
export function regressionMethodsFigures(runs: readonly ComparisonRun[]): ChartFigureSpec[] {
  return runs.flatMap((run, index) => {
    if (isClassification(run) || !run.data.regression) return [];
    const spec = regressionFigure(run.data, run);
    const band = run.data.regression;
    const ratio = band.stdRatio === null ? 'no band' : `stdRatio ${formatMetric(band.stdRatio)}`;
    return [
      {
        ...spec,
        id: `compare-predictive-${index + 1}`,
        title: `${methodLabel(run)}: ${run.name} (${ratio}, rmse ${formatMetric(band.rmseInside)}, coverage ${formatMetric(band.coverageInside)})`,
      },
    ];
  });
}
