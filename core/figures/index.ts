/** Figure specifications: pure functions of run data, drawn by the renderer and by headless hosts alike. */
export type { Canvas2DContext, CanvasFigureSpec, ChartFigureSpec, FigureRun, FigureSpec } from './types';
export {
  applyRunEvent,
  emptyMetricSeries,
  emptyRunData,
  eventAtStep,
  evaluationSteps,
  runDataFromEvents,
  type MetricSeries,
  type RunData,
} from './runData';
export { describeSettings, figureCaption } from './caption';
export { formatMetric, formatPercent } from './format';
export { palette, seriesColour } from './palette';
export { lossFigure, type LossFigureOptions } from './lossFigure';
export { regressionFigure, RegressionSeries } from './regressionFigure';
export { eceFigure, heldoutFigure, refusalFigure, type EvaluationFigureOptions } from './evaluationFigures';
export { reliabilityFigure } from './reliabilityFigure';
export {
  histogramDensity,
  posteriorDensityFigure,
  priorParameterNames,
  priorParametersFigure,
  type PosteriorParameter,
} from './posteriorFigures';
export { predictionsFigure, type PredictionsFigureOptions } from './predictionsFigure';
export {
  canvasExportSize,
  captionLines,
  drawCanvasFigureForExport,
  EXPORT_DENSITIES,
  EXPORT_HEADER_HEIGHT,
  EXPORT_PIXEL_RATIO,
  exportChartConfiguration,
  type ExportDensity,
} from './export';
export { FIGURE_FONT_FAMILY, figureFont } from './fonts';
export { runFigureRows, type FigureRow } from './runFigures';
export {
  drawReportPage,
  drawReportPanel,
  layoutReport,
  REPORT_WIDTH,
  type ReportContext,
  type ReportLayout,
  type ReportPanel,
} from './reportLayout';
export { runReportLayout, type ReportRun, type RunReportOptions } from './runReport';
export { comparisonReportLayout, type ComparisonReportOptions } from './comparisonReport';
export { oodReportRows } from './oodReport';
export { runMetricsCsv } from './metricsCsv';
export {
  availableMetrics,
  comparisonCaption,
  comparisonCsv,
  comparisonMetric,
  comparisonMetricFigure,
  comparisonMetrics,
  configDifferences,
  flattenConfig,
  formatConfigValue,
  lastStep,
  meanAndStd,
  metricValuesAt,
  posteriorOverlayFigure,
  posteriorSteps,
  seedGroups,
  sharedLayerNames,
  smoothSeries,
  valueAtStep,
  type ComparisonFigureOptions,
  type ComparisonMetric,
  type ComparisonRun,
  type ConfigDifference,
  type MetricValueRow,
  type RunGroup,
  type SeedGrouping,
} from './comparison';
