/**
 * Bayesian LeNet5 on MNIST-form images (the reference text's second workload), as the host,
 * renderer and CLI see it. The training code is ./trainer.ts.
 */
import { classificationSummarySchema } from '../../contract/runSummary';
import {
  CLASS_COUNT,
  FASHION_MNIST_CLASS_NAMES,
  IMAGE_SIZE,
  KNOWN_TRAIN_IMAGES,
  MNIST_CLASS_NAMES,
} from '../../data/dataset';
import { estimatorSchema } from '../../estimators/index';
import { formatMetric } from '../../figures/format';
import { inferenceFields, runFields } from '../../forms/commonFields';
import { choices, type FormContext, type FormValues } from '../../forms/fieldSpec';
import { methodOfForm } from '../../forms/methodFields';
import { classificationMetrics } from '../../scoring/classification';
import type { ExperimentDescriptor } from '../descriptor';
import { heldOutValidationFraction, lenet5ConfigSchema, type Lenet5Config } from './config';
import { lenet5Budget } from './budget';
import { LENET5_CONV_PADDINGS } from './layout';
import { lenet5Presets } from './presets';

const IDX_PREFIX = 'idx:';

/** What the loss will weigh ΣKL by when the field is blank: klScale / N_train, with N_train where known. */
function klHint(values: FormValues, context: FormContext): string {
  const scale = Number(values.klScale ?? 1) || 1;
  const scaleText = scale === 1 ? '1' : String(scale);
  const count = context.trainImages?.[String(values.dataset)];
  if (count)
    return `blank: klScale / N_train = ${scaleText}/${count.toLocaleString('en-US')} ≈ ${Number((scale / count).toPrecision(3))}`;
  return values.dataset === 'idx'
    ? 'blank: klScale / N_train of the folder (set when the run loads it)'
    : 'blank: klScale / N_train (set when the run loads its dataset)';
}

export const lenet5Descriptor: ExperimentDescriptor<Lenet5Config, typeof lenet5ConfigSchema> = {
  name: 'lenet5',
  title: 'Bayesian LeNet5 (Flipout) on MNIST',
  shortTitle: 'Bayesian LeNet5',
  configSchema: lenet5ConfigSchema,
  presets: lenet5Presets,
  totalSteps: (config) => config.steps,
  lengthField: 'steps',
  task: {
    kind: 'classification',
    input: { imageSize: IMAGE_SIZE, channels: 1 },
    classNames: (config) =>
      (config.dataset === 'fashion-mnist' ? FASHION_MNIST_CLASS_NAMES : MNIST_CLASS_NAMES).slice(0, CLASS_COUNT),
    refusalThreshold: (config) => config.threshold,
    trainImages: KNOWN_TRAIN_IMAGES,
    idxFolder: (config) => (config.dataset.startsWith(IDX_PREFIX) ? config.dataset.slice(IDX_PREFIX.length) : null),
    classifiesDroppedImages: true,
    heldOutValidation: heldOutValidationFraction,
  },
  metrics: classificationMetrics,
  figureRows: [
    ['loss'],
    ['heldout'],
    ['ece', 'reliability'],
    ['refusal'],
    ['posterior-mu', 'posterior-sigma'],
    ['prior-parameters'],
    ['predictions'],
  ],
  estimateResources: lenet5Budget,
  hostPaths: (config) => (config.dataset.startsWith(IDX_PREFIX) ? [config.dataset.slice(IDX_PREFIX.length)] : []),
  formFields: [
    {
      key: 'dataset',
      label: 'Dataset',
      control: 'select',
      options: choices(['mnist', 'fashion-mnist', 'idx'], {
        mnist: 'MNIST (bundled, 9,000 / 1,000)',
        'fashion-mnist': 'Fashion-MNIST (Debian package)',
        idx: 'IDX folder…',
      }),
      // `idx:/path` is two fields: the choice "IDX folder…" and the folder.
      fromConfig: (value): FormValues =>
        typeof value === 'string' && value.startsWith(IDX_PREFIX)
          ? { dataset: 'idx', datasetPath: value.slice(IDX_PREFIX.length) }
          : { dataset: String(value) },
      toConfig: (values) =>
        values.dataset === 'idx' ? `${IDX_PREFIX}${String(values.datasetPath ?? '').trim()}` : values.dataset,
      issueKey: (values) => (values.dataset === 'idx' ? 'datasetPath' : 'dataset'),
    },
    {
      key: 'datasetPath',
      label: 'IDX folder',
      control: 'text',
      placeholder: '/path/to/folder',
      formOnly: true,
      visible: (values) => values.dataset === 'idx',
    },
    {
      key: 'convPadding',
      label: 'Convolution padding',
      control: 'select',
      options: choices([...LENET5_CONV_PADDINGS], {
        classic: 'LeNet-5 (conv2, conv3 unpadded; 61,706 weights)',
        same: 'all SAME, as uncertainty-baselines (545,546 weights)',
      }),
    },
    ...inferenceFields(
      { estimators: estimatorSchema.options, klPlaceholder: 'klScale/N_train', klHint },
      'classification',
    ),
    {
      key: 'klScale',
      label: 'KL scale (× 1/N_train)',
      control: 'number',
      visible: (values) => methodOfForm(values) === 'vi' && String(values.klWeight ?? '').trim() === '',
    },
    {
      key: 'learningRateSchedule',
      label: 'Learning-rate schedule',
      control: 'select',
      options: choices(['constant', 'cosine'], { cosine: 'cosine decay to 0' }),
    },
    { key: 'steps', label: 'Steps', control: 'number' },
    { key: 'batchSize', label: 'Batch size', control: 'number' },
    { key: 'evalEvery', label: 'Evaluate every (steps)', control: 'number' },
    { key: 'evalDraws', label: 'Posterior draws T', control: 'number' },
    { key: 'threshold', label: 'Refusal threshold', control: 'number' },
    ...runFields,
  ],
  klWeightDefault: {
    caption: (config) =>
      config.klScale === 1 ? 'KL weight 1/N_train' : `KL weight ${formatMetric(config.klScale)}/N_train`,
    configValue: 'klScale/N_train (default)',
    help: 'klScale/N_train',
  },
  describeSettings: (config, method) => [
    `LeNet5${config.convPadding === 'same' ? ' (all convolutions SAME-padded)' : ''} on ${config.dataset}`,
    ...(method.estimator ? [method.estimator] : []),
    ...method.training,
    `batch ${config.batchSize}`,
    `${config.steps} steps`,
    // Posterior draws are VI's; a point method's passes are in its own description.
    ...(method.estimator ? [`T = ${config.evalDraws} draws`] : []),
    `seed ${config.seed}`,
  ],
  summarySchema: classificationSummarySchema,
};
