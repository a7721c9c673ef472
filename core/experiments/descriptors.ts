/**
 * The experiments this build knows, as descriptors (pure: no tfjs), one line per plug-in. The
 * contract's run-config union, the host, the renderer, the CLI, figures and reports read this;
 * the worker's trainers are registered in ./trainers.ts.
 */
import { cubicDescriptor } from './cubic/descriptor';
import { lenet5Descriptor } from './lenet5/descriptor';
import { sinusoidDescriptor } from './sinusoid/descriptor';

export const experimentDescriptors = [sinusoidDescriptor, lenet5Descriptor, cubicDescriptor] as const;

export type RegisteredDescriptor = (typeof experimentDescriptors)[number];
