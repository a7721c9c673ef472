/**
 * A metric as every view shows it: the dashboard's figures, the compare view's overlays and
 * tables, a report's final metrics and the CSV export all read these definitions, so a metric is
 * declared once (per task kind: ./regression.ts, ./classification.ts) and appears everywhere.
 * Pure data: where the value comes from is named, not computed (core/figures/metricPoints.ts
 * reads it out of a run's folded events).
 */

/** Which event of the run's stream carries the value, and under which field. */
export type MetricSource =
  | { event: 'metrics'; field: 'loss' | 'nll' | 'kl' | 'klWeight' | 'accuracy' | 'mse' }
  | {
      event: 'heldout';
      field:
        | 'heldoutNats'
        | 'accuracy'
        | 'ece'
        | 'brier'
        | 'aurc'
        | 'digitRefusal'
        | 'noiseRefusal'
        | 'meanMaxProbabilityNoise'
        | 'draws'
        | 'images';
    }
  | { event: 'regression'; field: 'stdRatio' | 'rmseInside' | 'coverageInside' };

/** What a report's row label may quote from the event that holds the value. */
export interface MetricContext {
  step: number;
  draws?: number;
  images?: number;
  threshold?: number;
  /** The run's method: what `draws` counts (posterior draws, members, dropout passes). */
  method?: string;
}

export interface MetricDefinition {
  /** Stable key: compare selections, `metricValuesAt` rows. */
  id: string;
  /** Short name: legends, table headings. */
  label: string;
  /** The y axis title, with its unit. */
  axis: string;
  /** Unit of the raw value ('' for a pure number or a fraction). */
  unit: string;
  /** Which way is better; 'none' for settings recorded beside the metrics (KL weight, draws). */
  direction: 'higher' | 'lower' | 'none';
  /** How a value is written in tables: a number, a percentage (of a fraction), or a KL weight (1/N). */
  format: 'number' | 'percent' | 'klWeight';
  /** Decimals of a percentage. */
  percentDigits?: number;
  source: MetricSource;
  /** Column name in the CSV exports. */
  csvColumn: string;
  /** Drawn on a log axis by default (when every plotted value is positive). */
  logScale: boolean;
  /** Plotted as value × plotScale (fractions are drawn in percent); tables and CSV keep the raw value. */
  plotScale: number;
  /** Overlaid and tabulated by the compare view (and a comparison report). */
  compared: boolean;
  /** The row label in a run report's final metrics; absent: the report leaves the metric out. */
  reportLabel?: (context: MetricContext) => string;
}
