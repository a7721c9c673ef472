/**
 * LeNet5's two layouts, shared by the variational network (network.ts), the point-weight one
 * (models/pointNetworks.ts) and the resource budget (budget.ts):
 *
 * - `classic` — LeNet-5's own: conv1 SAME-padded, conv2 and conv3 unpadded, so conv3 sees a 5×5
 *   map and gives 120 features (61,706 weights). The default, and every number in the README
 *   before stop 13.
 * - `same` — every convolution SAME-padded, as uncertainty-baselines' `baselines/mnist`
 *   (deterministic.py: conv 6, 16 and 120 filters of 5×5, padding 'SAME'; max-pooling 'SAME') and
 *   TFP's Bayesian LeNet5 example build it: conv3 keeps the 7×7 map, so dense1 takes 5,880
 *   features (545,546 weights, nine times the classic net; uncertainty-baselines' table says 60K).
 *   The published Fashion-MNIST rows (issue 11) were measured on this net.
 */
export const LENET5_CONV_PADDINGS = ['classic', 'same'] as const;
export type Lenet5ConvPadding = (typeof LENET5_CONV_PADDINGS)[number];

export interface Lenet5Layout {
  conv2Padding: 'same' | 'valid';
  conv3Padding: 'same' | 'valid';
  /** Features conv3 hands to dense1 after flattening. */
  dense1Inputs: number;
  /** Values per image of every layer's output (conv1, pool1, conv2, pool2, conv3, dense1, dense2). */
  activationsPerImage: number;
  /** Weights and biases of the point-weight net (a variational one has two numbers per weight). */
  parameterCount: number;
}

export function lenet5Layout(padding: Lenet5ConvPadding): Lenet5Layout {
  const same = padding === 'same';
  // 28×28 input: conv1 (SAME) 28×28×6 → pool 14×14×6 → conv2 14×14 or 10×10 ×16 → pool 7×7 or 5×5 ×16.
  const conv2Side = same ? 14 : 10;
  const pool2Side = conv2Side / 2;
  const conv3Side = same ? pool2Side : 1;
  const dense1Inputs = conv3Side * conv3Side * 120;
  const activationsPerImage =
    28 * 28 * 6 + 14 * 14 * 6 + conv2Side * conv2Side * 16 + pool2Side * pool2Side * 16 + dense1Inputs + 84 + 10;
  const parameterCount =
    5 * 5 * 1 * 6 + 6 + 5 * 5 * 6 * 16 + 16 + 5 * 5 * 16 * 120 + 120 + dense1Inputs * 84 + 84 + 84 * 10 + 10;
  return {
    conv2Padding: same ? 'same' : 'valid',
    conv3Padding: same ? 'same' : 'valid',
    dense1Inputs,
    activationsPerImage,
    parameterCount,
  };
}
