/**
 * What the GPU window's Web Worker says besides the training worker's own messages
 * (electron/worker/messages.ts, unchanged): a Web Worker cannot read files, so it asks the host for
 * a run's dataset and the host answers with its images and labels, read the way the Node worker
 * reads them (electron/worker/datasetFiles.ts); and the host asks it which WebGPU adapter Chromium
 * offers, to decide where an `auto` run trains (electron/host/desktopRunRoute.ts). Validated on both
 * sides, like every other message.
 */
import { z } from 'zod';
import { datasetSpecSchema } from '../../core/contract/runConfig';
import { webGpuAdapterSchema } from '../../core/contract/runEvent';
import { CLASS_COUNT, IMAGE_SIZE, PIXELS_PER_IMAGE, type Dataset } from '../../core/data/dataset';

const requestId = z.number().int().nonnegative();

/** Worker → host: the dataset `spec` of the run it is starting. */
export const datasetRequestMessageSchema = z.object({
  type: z.literal('datasetRequest'),
  requestId,
  spec: datasetSpecSchema,
});
export type DatasetRequestMessage = z.infer<typeof datasetRequestMessageSchema>;

const labelledImagesSchema = z
  .object({
    images: z.instanceof(Float32Array),
    labels: z.instanceof(Uint8Array),
    count: z.number().int().nonnegative(),
  })
  .refine((part) => part.images.length === part.count * PIXELS_PER_IMAGE && part.labels.length === part.count, {
    message: `images must hold count × ${PIXELS_PER_IMAGE} pixels and labels count labels`,
  });

/** Host → worker: the dataset asked for, or why it could not be read. */
export const datasetReplyMessageSchema = z.object({
  type: z.literal('dataset'),
  requestId,
  ok: z.boolean(),
  error: z.string().optional(),
  dataset: z
    .object({
      name: z.string(),
      imageSize: z.literal(IMAGE_SIZE),
      classes: z.literal(CLASS_COUNT),
      classNames: z.array(z.string()).length(CLASS_COUNT),
      train: labelledImagesSchema,
      heldout: labelledImagesSchema,
    })
    .optional(),
});
export type DatasetReplyMessage = z.infer<typeof datasetReplyMessageSchema>;

/** The reply to `request` carrying `dataset` (typed arrays are copied by the port, not shared). */
export function datasetReply(request: DatasetRequestMessage, dataset: Dataset): DatasetReplyMessage {
  const { name, imageSize, classes, classNames, train, heldout } = dataset;
  // The schema's typed arrays are over ArrayBuffer; a Dataset's may be over any buffer, and the port copies them.
  type Part = NonNullable<DatasetReplyMessage['dataset']>['train'];
  return {
    type: 'dataset',
    requestId: request.requestId,
    ok: true,
    dataset: { name, imageSize, classes, classNames: [...classNames], train: train as Part, heldout: heldout as Part },
  };
}

/** Host → worker: which WebGPU adapter does Chromium offer here? */
export const adapterProbeMessageSchema = z.object({ type: z.literal('adapterProbe'), requestId });
export type AdapterProbeMessage = z.infer<typeof adapterProbeMessageSchema>;

/** Chromium's WebGPU adapter as the window's worker found it, or why there is none. */
export const chromiumAdapterReportSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), adapter: webGpuAdapterSchema }),
  z.object({ ok: z.literal(false), reason: z.string().max(2000) }),
]);
export type ChromiumAdapterReport = z.infer<typeof chromiumAdapterReportSchema>;

/** Worker → host: the answer to an `adapterProbe`. */
export const adapterReportMessageSchema = z.object({
  type: z.literal('adapterReport'),
  requestId,
  report: chromiumAdapterReportSchema,
});
export type AdapterReportMessage = z.infer<typeof adapterReportMessageSchema>;
