/** Figure specifications: pure functions of run data, drawn by the renderer and by headless hosts alike. */
export type { Canvas2DContext, CanvasFigureSpec, ChartFigureSpec, FigureRun, FigureSpec } from './types';
export { applyRunEvent, emptyMetricSeries, emptyRunData, eventAtStep, evaluationSteps, runDataFromEvents, type MetricSeries, type RunData } from './runData';
export { describeSettings, figureCaption } from './caption';
export { formatMetric, formatPercent } from './format';
export { palette, seriesColour } from './palette';
export { lossFigure, type LossFigureOptions } from './lossFigure';
export { regressionFigure, RegressionSeries } from './regressionFigure';
export { eceFigure, heldoutFigure, refusalFigure, type EvaluationFigureOptions } from './evaluationFigures';
export { reliabilityFigure } from './reliabilityFigure';
export { histogramDensity, posteriorDensityFigure, priorParameterNames, priorParametersFigure, type PosteriorParameter } from './posteriorFigures';
export { predictionsFigure, type PredictionsFigureOptions } from './predictionsFigure';
export { canvasExportSize, drawCanvasFigureForExport, EXPORT_HEADER_HEIGHT, EXPORT_PIXEL_RATIO, exportChartConfiguration } from './export';
