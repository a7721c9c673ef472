/**
 * A run's training state, taken after every evaluation and at a stop, from which a later process
 * continues the run: every trainable variable by a name that is stable across processes, Adam's
 * moments and step count, the positions of the run's seed streams and the training batches drawn.
 *
 * Stored as a small JSON manifest plus one binary of little-endian float32 values (every tensor's
 * values, one after the other, where the manifest says), so a LeNet5 state (~1.5 MB) is not
 * blown up into JSON text. The manifest carries a checksum of the binary.
 */
import { z } from 'zod';

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export const CHECKPOINT_FORMAT = 'bayesian-workbench/checkpoint@1';

const tensorNameSchema = z.string().min(1).max(256);
const shapeSchema = z.array(z.number().int().nonnegative()).max(8);
const elementCount = (shape: number[]) => shape.reduce((product, size) => product * size, 1);

/** One tensor's values in memory. */
export const namedValuesSchema = z
  .object({ name: tensorNameSchema, shape: shapeSchema, values: z.instanceof(Float32Array) })
  .refine((entry) => entry.values.length === elementCount(entry.shape), {
    message: 'the number of values does not match the shape',
  });
export type NamedValues = z.infer<typeof namedValuesSchema>;

const adamStateFields = {
  kind: z.literal('adam'),
  /** Optimizer steps applied (tfjs's `iterations`). */
  iterations: z.number().int().nonnegative(),
  /**
   * β1^(t+1) and β2^(t+1) as the optimizer accumulated them by repeated multiplication; tfjs's
   * setWeights recomputes them with pow(), which differs in the last bits, so they are kept.
   */
  accBeta1: z.number().optional(),
  accBeta2: z.number().optional(),
};

const checkpointFields = {
  experiment: z.string().min(1).max(64),
  /** Optimizer steps done; a resumed run continues with step + 1. */
  step: z.number().int().nonnegative(),
  /** Positions (seeds handed out) of the run's named seed streams. */
  seedStreams: z.record(z.string().max(64), z.number().int().nonnegative()),
  /** Training batches drawn so far: the data order continues from here. */
  batchesDrawn: z.number().int().nonnegative(),
};

export const trainingCheckpointSchema = z.object({
  ...checkpointFields,
  /** Every trainable variable by stable name (`dense1/kernel/loc`, `prior/pi_logit`). */
  variables: z.array(namedValuesSchema),
  /** Adam's first and second moments by the stable name of their variable, in the optimizer's order. */
  optimizer: z.object({
    ...adamStateFields,
    firstMoments: z.array(namedValuesSchema),
    secondMoments: z.array(namedValuesSchema),
  }),
});
export type TrainingCheckpoint = z.infer<typeof trainingCheckpointSchema>;

/** Where one tensor's values sit in the binary, in float32 elements. */
const tensorEntrySchema = z.object({
  name: tensorNameSchema,
  shape: shapeSchema,
  offset: z.number().int().nonnegative(),
});

export const checkpointManifestSchema = z.object({
  format: z.literal(CHECKPOINT_FORMAT),
  ...checkpointFields,
  variables: z.array(tensorEntrySchema),
  optimizer: z.object({
    ...adamStateFields,
    firstMoments: z.array(tensorEntrySchema),
    secondMoments: z.array(tensorEntrySchema),
  }),
  /** Length of the binary in bytes and its FNV-1a 32-bit checksum (hex). */
  valueBytes: z.number().int().nonnegative(),
  valueChecksum: z.string().regex(/^[0-9a-f]{8}$/),
  /** The binary's file name beside the manifest, set by whoever stores the checkpoint. */
  valuesFile: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .optional(),
});
export type CheckpointManifest = z.infer<typeof checkpointManifestSchema>;

export interface SerializedCheckpoint {
  manifest: CheckpointManifest;
  /** Little-endian float32 values of every tensor of the manifest. */
  values: Uint8Array<ArrayBuffer>;
}

/** Turns a checkpoint into a manifest and one binary. */
export function serializeCheckpoint(checkpoint: TrainingCheckpoint): SerializedCheckpoint {
  const valid = trainingCheckpointSchema.parse(checkpoint);
  const tensors = [...valid.variables, ...valid.optimizer.firstMoments, ...valid.optimizer.secondMoments];
  const total = tensors.reduce((sum, tensor) => sum + tensor.values.length, 0);
  const values = new Uint8Array(total * 4);
  const view = new DataView(values.buffer);
  let offset = 0;
  const place = (tensor: NamedValues) => {
    const entry = { name: tensor.name, shape: tensor.shape, offset };
    for (let i = 0; i < tensor.values.length; i += 1) view.setFloat32((offset + i) * 4, tensor.values[i], true);
    offset += tensor.values.length;
    return entry;
  };
  const { variables, optimizer, ...fields } = valid;
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    ...fields,
    variables: variables.map(place),
    optimizer: {
      ...optimizer,
      firstMoments: optimizer.firstMoments.map(place),
      secondMoments: optimizer.secondMoments.map(place),
    },
    valueBytes: values.byteLength,
    valueChecksum: fnv1a32(values),
  };
  return { manifest, values };
}

/** Validates a manifest (parsed JSON) and its binary and rebuilds the checkpoint; throws CheckpointError. */
export function deserializeCheckpoint(manifestJson: unknown, values: Uint8Array): TrainingCheckpoint {
  const manifest = parseCheckpointManifest(manifestJson);
  if (values.byteLength !== manifest.valueBytes) {
    throw new CheckpointError(
      `The checkpoint's values are ${values.byteLength} bytes; its manifest says ${manifest.valueBytes}. The checkpoint is incomplete or mismatched.`,
    );
  }
  const checksum = fnv1a32(values);
  if (checksum !== manifest.valueChecksum) {
    throw new CheckpointError(
      `The checkpoint's values have checksum ${checksum}; its manifest says ${manifest.valueChecksum}. The checkpoint is damaged.`,
    );
  }
  const view = new DataView(values.buffer, values.byteOffset, values.byteLength);
  const elements = values.byteLength / 4;
  const read = (entry: z.infer<typeof tensorEntrySchema>): NamedValues => {
    const count = elementCount(entry.shape);
    if (entry.offset + count > elements) {
      throw new CheckpointError(
        `Tensor "${entry.name}" of the checkpoint ends at value ${entry.offset + count}, past the ${elements} values stored.`,
      );
    }
    const tensorValues = new Float32Array(count);
    for (let i = 0; i < count; i += 1) tensorValues[i] = view.getFloat32((entry.offset + i) * 4, true);
    return { name: entry.name, shape: entry.shape, values: tensorValues };
  };
  const {
    format: _format,
    valueBytes: _bytes,
    valueChecksum: _checksum,
    valuesFile: _file,
    variables,
    optimizer,
    ...fields
  } = manifest;
  return {
    ...fields,
    variables: variables.map(read),
    optimizer: {
      ...optimizer,
      firstMoments: optimizer.firstMoments.map(read),
      secondMoments: optimizer.secondMoments.map(read),
    },
  };
}

export function parseCheckpointManifest(json: unknown): CheckpointManifest {
  const parsed = checkpointManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.map(String).join('.')}: ` : '';
    throw new CheckpointError(`The checkpoint manifest is not valid (${where}${issue?.message}).`);
  }
  return parsed.data;
}

/** FNV-1a, 32 bits: cheap, and enough to tell a damaged binary from the one the manifest describes. */
export function fnv1a32(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i += 1) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}
