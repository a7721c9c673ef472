/**
 * Published numbers to draw beside a run's shift curves (as dashed reference lines, when the user
 * turns them on), typed in from their source; nothing is downloaded. Only methods this workbench
 * also trains are listed (mean-field VI, deterministic, deep ensemble) and only numbers printed as
 * text: a value read off a plot would carry the plot's reading error.
 *
 * What exists and what does not:
 * - google/uncertainty-baselines, `baselines/mnist/README.md` (commit 62d8d927a935d0a56c14f57334fc25394a4a8c3c),
 *   "LeNet5 on (Fashion) MNIST": test NLL, accuracy and calibration error of LeNet5 on the full,
 *   **unshifted** MNIST and Fashion-MNIST test sets. Copied below exactly; "-" in that table (no
 *   calibration error for the deterministic net) stays absent here.
 * - Ovadia et al. 2019 ("Can you trust your model's uncertainty?", NeurIPS; code:
 *   google-research/google-research `uq_benchmark_2019`) report rotated and translated MNIST only
 *   as figures (figure 1 and the appendix figures: accuracy and Brier score against the shift);
 *   the paper prints no table of them, and its repository ships no result files (its README points
 *   to model predictions in the GCS bucket `uq-benchmark-2019`, HDF5, not reachable here). None of
 *   its rotation or translation curves is therefore typed in: there is no printed number to copy.
 *
 * So a reference is, today, one unshifted value per method and score, drawn as a dashed horizontal
 * line across the shift axis and labelled "unshifted": it says where the published network starts,
 * not how it degrades. Those networks trained on 60,000 images; the bundled split trains on 9,000
 * and scores 1,000, so expect this workbench's unshifted numbers to be somewhat worse.
 */
import type { MethodId } from '../methods/method';
import type { ShiftKindName } from '../contract/shift';

/** Scores a reference may give (the names of shift.json's level scores); accuracy as a fraction. */
export type ReferenceMetric = 'accuracy' | 'nll' | 'ece' | 'brier';

export interface ShiftReferencePoint {
  /** Shift level (degrees or pixels); 0 is the unshifted test set. */
  level: number;
  values: Partial<Record<ReferenceMetric, number>>;
}

export interface ShiftReferenceCurve {
  id: string;
  method: MethodId;
  /** The dataset the published network was trained and tested on (a run's `dataset`). */
  dataset: 'mnist' | 'fashion-mnist';
  /** Legend label. */
  label: string;
  /** Where the numbers are printed, exactly. */
  source: string;
  /** The shift kinds the points belong to; unshifted-only references hold for every kind. */
  kinds: readonly ShiftKindName[];
  points: readonly ShiftReferencePoint[];
}

const UB_MNIST_README =
  'google/uncertainty-baselines, baselines/mnist/README.md (commit 62d8d927a935d0a56c14f57334fc25394a4a8c3c), table "MNIST"';
const UB_FASHION_README =
  'google/uncertainty-baselines, baselines/mnist/README.md (commit 62d8d927a935d0a56c14f57334fc25394a4a8c3c), table "Fashion MNIST"';
const ALL_KINDS: readonly ShiftKindName[] = ['rotation', 'roll', 'translation'];

export const SHIFT_REFERENCE_CURVES: readonly ShiftReferenceCurve[] = [
  {
    id: 'ub-mnist-vi',
    method: 'vi',
    dataset: 'mnist',
    label: 'uncertainty-baselines VI (LeNet5, unshifted)',
    source: `${UB_MNIST_README}, row "Variational Inference": NLL 0.048, accuracy 98.5%, calibration error 0.010`,
    kinds: ALL_KINDS,
    points: [{ level: 0, values: { nll: 0.048, accuracy: 0.985, ece: 0.01 } }],
  },
  {
    id: 'ub-mnist-deterministic',
    method: 'deterministic',
    dataset: 'mnist',
    label: 'uncertainty-baselines deterministic (LeNet5, unshifted)',
    source: `${UB_MNIST_README}, row "Deterministic": NLL 0.037, accuracy 99.1%, calibration error "-"`,
    kinds: ALL_KINDS,
    points: [{ level: 0, values: { nll: 0.037, accuracy: 0.991 } }],
  },
  {
    id: 'ub-mnist-ensemble',
    method: 'ensemble',
    dataset: 'mnist',
    label: 'uncertainty-baselines ensemble of 10 (LeNet5, unshifted)',
    source: `${UB_MNIST_README}, row "Ensemble (size=10)": NLL 0.016, accuracy 99.4%, calibration error 0.005`,
    kinds: ALL_KINDS,
    points: [{ level: 0, values: { nll: 0.016, accuracy: 0.994, ece: 0.005 } }],
  },
  {
    id: 'ub-fashion-vi',
    method: 'vi',
    dataset: 'fashion-mnist',
    label: 'uncertainty-baselines VI (LeNet5, unshifted)',
    source: `${UB_FASHION_README}, row "Variational Inference": NLL 0.292, accuracy 89.5%, calibration error 0.011`,
    kinds: ALL_KINDS,
    points: [{ level: 0, values: { nll: 0.292, accuracy: 0.895, ece: 0.011 } }],
  },
  {
    id: 'ub-fashion-deterministic',
    method: 'deterministic',
    dataset: 'fashion-mnist',
    label: 'uncertainty-baselines deterministic (LeNet5, unshifted)',
    source: `${UB_FASHION_README}, row "Deterministic": NLL 0.321, accuracy 91.0%, calibration error "-"`,
    kinds: ALL_KINDS,
    points: [{ level: 0, values: { nll: 0.321, accuracy: 0.91 } }],
  },
  {
    id: 'ub-fashion-ensemble',
    method: 'ensemble',
    dataset: 'fashion-mnist',
    label: 'uncertainty-baselines ensemble of 10 (LeNet5, unshifted)',
    source: `${UB_FASHION_README}, row "Ensemble (size=10)": NLL 0.200, accuracy 93.2%, calibration error 0.010`,
    kinds: ALL_KINDS,
    points: [{ level: 0, values: { nll: 0.2, accuracy: 0.932, ece: 0.01 } }],
  },
];

/** The references for runs on `dataset` under `kind` that give `metric`. */
export function referenceCurvesFor(
  dataset: string,
  kind: ShiftKindName,
  metric: string,
): readonly ShiftReferenceCurve[] {
  return SHIFT_REFERENCE_CURVES.filter(
    (curve) =>
      curve.dataset === dataset &&
      curve.kinds.includes(kind) &&
      curve.points.some((point) => (point.values as Record<string, number | undefined>)[metric] !== undefined),
  );
}
