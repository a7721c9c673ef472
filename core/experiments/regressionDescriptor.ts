/**
 * What every full-batch 1-D regression descriptor shares (core/contract/regressionConfig.ts,
 * core/training/regressionTrainer.ts): its length in epochs, the regression metrics and summary,
 * the form, the KL-weight default 1/batches, and a caption around the experiment's own label.
 */
import { regressionConfigFields } from '../contract/regressionConfig';
import { regressionSummarySchema } from '../contract/runSummary';
import { regressionFormFields } from '../forms/commonFields';
import { regressionMetrics } from '../scoring/regression';
import type { ExperimentDescriptor } from './descriptor';

interface RegressionConfigLike {
  experiment: string;
  preset: string;
  seed: number;
  epochs: number;
  estimator: string;
  samplesPerStep: number;
}

type SharedPart =
  'totalSteps' | 'lengthField' | 'metrics' | 'formFields' | 'klWeightDefault' | 'describeSettings' | 'summarySchema';

/** The shared part of a regression descriptor; `label` opens its caption ("sinusoid"). */
export function regressionDescriptorParts<C extends RegressionConfigLike>(
  label: (config: C) => string,
): Pick<ExperimentDescriptor<C>, SharedPart> {
  return {
    totalSteps: (config) => config.epochs,
    lengthField: 'epochs',
    metrics: regressionMetrics,
    formFields: regressionFormFields(regressionConfigFields.estimator.unwrap().options),
    klWeightDefault: {
      caption: () => 'KL weight 1/batches',
      configValue: '1/batches (default)',
      help: '1/batches per epoch',
    },
    describeSettings: (config, method) => [
      label(config),
      ...(method.estimator ? [method.estimator] : []),
      ...method.training,
      // Weight samples per step are VI's (MC dropout draws one mask per step).
      ...(method.estimator ? [`${config.samplesPerStep} sample${config.samplesPerStep === 1 ? '' : 's'}/step`] : []),
      `${config.epochs} epochs`,
      `seed ${config.seed}`,
    ],
    summarySchema: regressionSummarySchema,
  };
}
