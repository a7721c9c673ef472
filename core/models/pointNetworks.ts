/**
 * The two workloads' networks with point weights, for the deterministic, MC-dropout and
 * deep-ensemble methods — the same layer lists as the variational ones
 * (core/experiments/lenet5/network.ts, core/experiments/sinusoid/network.ts), so a comparison of
 * methods compares inference, not architecture. With `dropoutRate` set (MC dropout, Gal &
 * Ghahramani 2016), an McDropout stage goes before each weight layer; without it there is none
 * (not even a rate-0 stage), so the deterministic net does no masking work. `namePrefix` keeps the
 * variable names of ensemble members apart (`member2/conv1/kernel`): checkpoints key variables by
 * their stable names.
 */
import * as tf from '@tensorflow/tfjs-core';
import { lenet5Layout, type Lenet5ConvPadding } from '../experiments/lenet5/layout';
import { Conv2DDeterministic, DenseDeterministic } from '../layers/deterministic';
import { McDropout } from '../layers/dropout';
import type { SeedStream } from '../random/seedStream';
import { PointSequential, type PointStage } from './pointSequential';
import type { DeterministicStage } from './variationalSequential';

const maxPool: DeterministicStage = { name: 'maxPool', apply: (x) => tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid') };
const flatten: DeterministicStage = { name: 'flatten', apply: (x) => tf.reshape(x, [x.shape[0], -1]) };

/** Puts an McDropout stage before every weight layer when a rate is given. */
function withDropout(stages: PointStage[], dropoutRate: number | undefined): PointStage[] {
  if (dropoutRate === undefined) return stages;
  return stages.flatMap((stage) =>
    stage instanceof DenseDeterministic || stage instanceof Conv2DDeterministic
      ? [new McDropout({ name: `${stage.name}/dropout`, rate: dropoutRate }), stage]
      : [stage],
  );
}

/**
 * LeNet5 with the variational one's layout (classic padding by default): Conv(6, 5×5, SAME, relu)
 * → MaxPool → Conv(16, 5×5, VALID, relu) → MaxPool → Conv(120, 5×5, VALID, relu) → Flatten →
 * Dense(84, relu) → Dense(10) logits; 61,706 parameters (545,546 with `convPadding: 'same'`,
 * core/experiments/lenet5/layout.ts).
 */
export function pointLenet5Network(
  options: { dropoutRate?: number; namePrefix?: string; convPadding?: Lenet5ConvPadding },
  seeds: SeedStream,
): PointSequential {
  const name = (layer: string) => `${options.namePrefix ?? ''}${layer}`;
  const layout = lenet5Layout(options.convPadding ?? 'classic');
  return new PointSequential(
    withDropout(
      [
        new Conv2DDeterministic({ name: name('conv1'), filters: 6, padding: 'same', activation: 'relu' }).buildFor(
          1,
          seeds.next(),
        ),
        maxPool,
        new Conv2DDeterministic({
          name: name('conv2'),
          filters: 16,
          padding: layout.conv2Padding,
          activation: 'relu',
        }).buildFor(6, seeds.next()),
        maxPool,
        new Conv2DDeterministic({
          name: name('conv3'),
          filters: 120,
          padding: layout.conv3Padding,
          activation: 'relu',
        }).buildFor(16, seeds.next()),
        flatten,
        new DenseDeterministic({ name: name('dense1'), units: 84, activation: 'relu' }).buildFor(
          layout.dense1Inputs,
          seeds.next(),
        ),
        new DenseDeterministic({ name: name('dense2'), units: 10 }).buildFor(84, seeds.next()),
      ],
      options.dropoutRate,
    ),
  );
}

/**
 * The sinusoid's MLP: Dense(h, relu) for each hidden width, then Dense(outputs) — 1 output for the
 * deterministic and dropout nets, 2 (mean, raw variance) for a deep-ensemble member.
 */
export function pointMlpNetwork(
  options: { inputUnits: number; hiddenUnits: number[]; outputs: number; dropoutRate?: number; namePrefix?: string },
  seeds: SeedStream,
): PointSequential {
  const widths = [...options.hiddenUnits, options.outputs];
  let inputUnits = options.inputUnits;
  const layers = widths.map((units, index) => {
    const layer = new DenseDeterministic({
      name: `${options.namePrefix ?? ''}dense${index + 1}`,
      units,
      activation: index < widths.length - 1 ? 'relu' : 'linear',
    }).buildFor(inputUnits, seeds.next());
    inputUnits = units;
    return layer;
  });
  return new PointSequential(withDropout(layers, options.dropoutRate));
}
