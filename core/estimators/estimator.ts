/**
 * A gradient estimator of the variational layers: how a weight sample enters the forward pass.
 * Pure data (name, label, capabilities); the layers of core/layers implement each one.
 */
export interface EstimatorSpec<N extends string = string> {
  name: N;
  /** The choice in the run form and the CLI's help. */
  label: string;
  /** One sentence with the paper it comes from. */
  description: string;
  /**
   * Whether examples of a batch see decorrelated weight noise (lower gradient variance than one
   * shared draw per batch). Shown to the user; no code branches on it.
   */
  decorrelatesExamples: boolean;
}
