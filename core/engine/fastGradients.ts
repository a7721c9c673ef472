/**
 * Gradients of Conv2D and BatchMatMul written as forward kernels, so that training runs (and runs
 * fast) on the wasm backend of tfjs 4.22:
 *
 * - wasm has no `Conv2DBackpropFilter`, so a convnet cannot train there with the stock gradient.
 *   The filter gradient of a stride-1 convolution is itself a forward convolution:
 *     dW[kh,kw,ci,co] = Σ_{b,h,w} x_pad[b, h+kh, w+kw, ci] · dy[b, h, w, co],
 *   i.e. convolve x laid out as [ci, H, W, B] (the batch as input channels) with dy laid out as
 *   [OH, OW, B, co] as the filter, stride 1, with the forward's padding; the [ci, KH, KW, co] result
 *   is reordered to [KH, KW, ci, co].
 * - wasm's `Conv2DBackpropInput` is ~4× slower than a forward convolution. For stride 1,
 *     dx[b,p,q,ci] = Σ_{kh,kw,co} dy[b, p+top−kh, q+left−kw, co] · W[kh,kw,ci,co],
 *   a forward convolution of dy, padded by (KH−1−top) above and (KW−1−left) left, with the kernel
 *   flipped spatially and its in/out channels swapped: W'[kh,kw,co,ci] = W[KH−1−kh, KW−1−kw, ci, co].
 * - A BatchMatMul gradient that uses the transpose flags is ~5× slower on wasm than the same
 *   product after explicit transposes, so the gradient transposes explicitly.
 *
 * Cases the fast path does not cover (strides ≠ 1, dilations, NCHW, broadcast batch dimensions)
 * fall back to the stock gradient functions. Fused ops (tf.fused.*) keep their own gradients.
 */
import * as tf from '@tensorflow/tfjs-core';
import type {
  GradConfig,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  Tensor,
  Tensor4D,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import './gradients';

/** A gradient registration problem (e.g. tfjs-core without a stock gradient to fall back to). */
export class FastGradientError extends Error {
  override name = 'FastGradientError';
}

type Shape4D = [number, number, number, number];
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

interface Conv2DAttrsLike {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const allOnes = (value: number | number[]): boolean =>
  Array.isArray(value) ? value.every((entry) => entry === 1) : value === 1;

/** Padding of the forward convolution, as computed by tfjs for these shapes and attributes. */
function forwardPadding(xShape: number[], filterShape: number[], attrs: Conv2DAttrsLike) {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    1,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  return { ...info.padInfo, outHeight: info.outHeight, outWidth: info.outWidth };
}

function convolve(
  input: Tensor4D,
  filter: Tensor4D,
  top: number,
  bottom: number,
  left: number,
  right: number,
): Tensor4D {
  const pad: 'valid' | ExplicitPadding =
    top === 0 && bottom === 0 && left === 0 && right === 0
      ? 'valid'
      : [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ];
  return tf.conv2d(input, filter, 1, pad);
}

/**
 * A convolution whose kernel covers the whole unpadded input (one output position, as LeNet5's
 * conv3: 5×5×16 → 1×1×120) is a dense layer on the flattened input; its gradients are matMuls,
 * ~15× faster on wasm than the fully padded convolution the general input gradient needs.
 */
function isDenseLike(
  xShape: number[],
  filterShape: number[],
  padding: { top: number; bottom: number; left: number; right: number },
) {
  return (
    xShape[1] === filterShape[0] &&
    xShape[2] === filterShape[1] &&
    padding.top + padding.bottom + padding.left + padding.right === 0
  );
}

/**
 * dW of a stride-1, NHWC, undilated convolution as a forward convolution (see the module comment).
 * `x` is [B, H, W, ci], `dy` is [B, OH, OW, co]; returns [KH, KW, ci, co].
 */
export function conv2dFilterGradient(
  x: Tensor4D,
  dy: Tensor4D,
  filterShape: number[],
  attrs: Conv2DAttrsLike,
): Tensor4D {
  return tf.tidy(() => {
    const padding = forwardPadding(x.shape, filterShape, attrs);
    if (isDenseLike(x.shape, filterShape, padding)) {
      const [batch] = x.shape;
      const flatInput = tf.reshape(x, [batch, -1]);
      const flatDy = tf.reshape(dy, [batch, filterShape[3]]);
      return tf.reshape(tf.matMul(tf.transpose(flatInput), flatDy), filterShape as Shape4D);
    }
    const batchAsChannels = tf.transpose(x, [3, 1, 2, 0]); // [ci, H, W, B]
    const dyAsFilter = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, B, co]
    const perInputChannel = convolve(
      batchAsChannels,
      dyAsFilter,
      padding.top,
      padding.bottom,
      padding.left,
      padding.right,
    );
    return tf.transpose(perInputChannel, [1, 2, 0, 3]); // [ci, KH, KW, co] → [KH, KW, ci, co]
  });
}

/**
 * dx of a stride-1, NHWC, undilated convolution as a forward convolution of dy with the flipped,
 * channel-swapped kernel; null when the required padding would be negative (not a case tfjs makes).
 */
export function conv2dInputGradient(
  xShape: number[],
  dy: Tensor4D,
  filter: Tensor4D,
  attrs: Conv2DAttrsLike,
): Tensor4D | null {
  const [, height, width] = xShape;
  const [kernelHeight, kernelWidth] = filter.shape;
  const padding = forwardPadding(xShape, filter.shape, attrs);
  const top = kernelHeight - 1 - padding.top;
  const left = kernelWidth - 1 - padding.left;
  const bottom = height + kernelHeight - 1 - padding.outHeight - top;
  const right = width + kernelWidth - 1 - padding.outWidth - left;
  if (Math.min(top, left, bottom, right) < 0) return null;
  if (isDenseLike(xShape, filter.shape, padding)) {
    return tf.tidy((): Tensor4D => {
      const [batch] = xShape;
      const outChannels = filter.shape[3];
      const flatFilter = tf.reshape(filter, [-1, outChannels]); // [KH·KW·ci, co]
      const flatDx = tf.matMul(tf.reshape(dy, [batch, outChannels]), tf.transpose(flatFilter));
      return tf.reshape(flatDx, xShape as Shape4D);
    });
  }
  return tf.tidy(() => {
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [KH, KW, co, ci]
    return convolve(dy, flipped as Tensor4D, top, bottom, left, right);
  });
}

function isFastConvolution(attrs: Conv2DAttrsLike): boolean {
  return attrs.dataFormat !== 'NCHW' && allOnes(attrs.strides) && allOnes(attrs.dilations);
}

function fastConv2DGradConfig(stock: GradConfig): GradConfig {
  return {
    kernelName: tf.Conv2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const convAttrs = attrs as unknown as Conv2DAttrsLike;
      const [x, filter] = saved as [Tensor4D, Tensor4D];
      if (!isFastConvolution(convAttrs) || x.rank !== 4) return stock.gradFunc(dy, saved, attrs);
      const dy4 = dy as Tensor4D;
      const stockGradients = stock.gradFunc(dy, saved, attrs);
      return {
        x: () => conv2dInputGradient(x.shape, dy4, filter, convAttrs) ?? stockGradients.x(),
        filter: () => conv2dFilterGradient(x, dy4, filter.shape, convAttrs),
      };
    },
  };
}

/** Swaps the last two axes. */
function transposeLastTwo(tensor: Tensor): Tensor {
  const perm = tensor.shape.map((_, axis) => axis);
  const last = perm.length - 1;
  [perm[last - 1], perm[last]] = [perm[last], perm[last - 1]];
  return tf.transpose(tensor, perm);
}

function fastBatchMatMulGradConfig(stock: GradConfig): GradConfig {
  return {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [a, b] = saved;
      const output = dy as Tensor;
      const sameBatch = a.rank === b.rank && a.shape.slice(0, -2).every((size, axis) => size === b.shape[axis]);
      if (!sameBatch) return stock.gradFunc(dy, saved, attrs);
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const T = transposeLastTwo;
      // Forward y = op(a)·op(b); each line is the stock formula with the flags made explicit.
      if (!transposeA && !transposeB) {
        return { a: () => tf.matMul(output, T(b)), b: () => tf.matMul(T(a), output) };
      }
      if (!transposeA && transposeB) {
        return { a: () => tf.matMul(output, b), b: () => tf.matMul(T(output), a) };
      }
      if (transposeA && !transposeB) {
        return { a: () => tf.matMul(b, T(output)), b: () => tf.matMul(a, output) };
      }
      return { a: () => tf.matMul(T(b), T(output)), b: () => tf.matMul(T(output), T(a)) };
    },
  };
}

interface RefCountingBackend {
  incRef(dataId: object): void;
}

/** wasm's own (copying) Identity, kept to restore it and for string tensors. */
let stockWasmIdentity: KernelConfig | null = null;

/** Installs the sharing Identity for the wasm backend once its kernels are registered (a no-op before that, and when installed). */
export function shareWasmIdentity(): void {
  const current = tf.getKernel(tf.Identity, 'wasm');
  if (!current || current.kernelFunc === sharedIdentity) return;
  stockWasmIdentity = current;
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel({ kernelName: tf.Identity, backendName: 'wasm', kernelFunc: sharedIdentity });
}

/** Puts wasm's copying Identity back (for comparisons in tests and benchmarks). */
export function restoreWasmIdentity(): void {
  if (!stockWasmIdentity || tf.getKernel(tf.Identity, 'wasm')?.kernelFunc !== sharedIdentity) return;
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel(stockWasmIdentity);
}

/**
 * tfjs clones every tensor an op saves for its gradient (an `Identity` kernel, ≈ 200 per Flipout
 * LeNet5 step), and wasm's Identity copies the data where the cpu backend's shares it. Shared, as
 * the cpu backend and wasm's own Reshape do: the output is the input's data with one more reference
 * (no kernel writes into its inputs, so nothing can tell the two apart but the time).
 */
function sharedIdentity(args: Parameters<KernelFunc>[0]): ReturnType<KernelFunc> {
  const { x } = args.inputs as unknown as { x: TensorInfo };
  if (x.dtype === 'string' && stockWasmIdentity) return stockWasmIdentity.kernelFunc(args);
  (args.backend as unknown as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

let stockConfigs: { conv2D: GradConfig; batchMatMul: GradConfig } | null = null;
let fastInstalled = false;

/**
 * Replaces the gradients of Conv2D and BatchMatMul with the forward-kernel versions above. Safe to
 * call more than once; affects every backend (the formulas are exact, not wasm-specific). Also
 * installs wasm's sharing Identity (`shareWasmIdentity`) once the wasm backend is loaded.
 */
export function registerFastGradients(): void {
  shareWasmIdentity();
  if (fastInstalled) return;
  if (!stockConfigs) {
    const conv2D = tf.getGradient(tf.Conv2D);
    const batchMatMul = tf.getGradient(tf.BatchMatMul);
    if (!conv2D || !batchMatMul) {
      throw new FastGradientError(
        'tfjs-core has no stock gradient for Conv2D or BatchMatMul to fall back to; import @tensorflow/tfjs-core before the engine.',
      );
    }
    stockConfigs = { conv2D, batchMatMul };
  }
  tf.registerGradient(fastConv2DGradConfig(stockConfigs.conv2D));
  tf.registerGradient(fastBatchMatMulGradConfig(stockConfigs.batchMatMul));
  fastInstalled = true;
}

/** Puts the stock gradients back (for comparisons in tests and benchmarks). */
export function restoreStockGradients(): void {
  if (!fastInstalled || !stockConfigs) return;
  tf.registerGradient(stockConfigs.conv2D);
  tf.registerGradient(stockConfigs.batchMatMul);
  fastInstalled = false;
}

export function fastGradientsRegistered(): boolean {
  return fastInstalled;
}
