/**
 * Settings shared by every experiment's configuration schema. They live apart from
 * ./runConfig.ts because that module builds the union of the registered experiments' schemas,
 * and those schemas are built from these parts (one module holding both would be a cycle).
 */
import { z } from 'zod';

export const backendChoiceSchema = z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']);
export type BackendChoice = z.infer<typeof backendChoiceSchema>;

export const seedSchema = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);

/**
 * Where a classification run's images come from: the bundled 10,000 MNIST digits (9,000 / 1,000
 * reference split), Debian's Fashion-MNIST, or a user's IDX folder (`idx:/path/to/folder`).
 */
export const datasetSpecSchema = z.union([
  z.literal('mnist'),
  z.literal('fashion-mnist'),
  z.string().regex(/^idx:.+/, 'an IDX folder is written idx:/path/to/folder'),
]);
export type DatasetSpec = z.infer<typeof datasetSpecSchema>;
