/**
 * What crosses Redis is validated on both ends: a job payload and a stream entry that do not fit
 * the contract are refused with the place of the problem, and good ones pass unchanged.
 */
import { describe, expect, it } from 'vitest';
import {
  REMOTE_JOB_FORMAT,
  remoteEntryBodySchema,
  remoteEntryEnvelopeSchema,
  remoteJobSchema,
} from '../../../core/contract/remoteRun';
import { runConfigSchema } from '../../../core/contract/runConfig';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';

const config = runConfigSchema.parse(sinusoidPresets.find((preset) => preset.name === 'default')!.config);
const job = {
  format: REMOTE_JOB_FORMAT,
  runId: '20261129-150000-sinusoid-abcd',
  config,
  checkpoint: { key: 'bw:run:x:checkpoint' },
  streamKey: 'bw:run:x:events',
  controlKey: 'bw:run:x:control',
  attemptKey: 'bw:run:x:attempt',
};

describe('remote run contract', () => {
  it('accepts a well-formed job and refuses malformed ones at the faulty field', () => {
    expect(remoteJobSchema.parse(job)).toEqual(job);
    const wrongFormat = remoteJobSchema.safeParse({ ...job, format: 'other' });
    expect(wrongFormat.success).toBe(false);
    expect(wrongFormat.error?.issues[0].path).toEqual(['format']);
    const badId = remoteJobSchema.safeParse({ ...job, runId: '../etc/passwd' });
    expect(badId.error?.issues[0].path).toEqual(['runId']);
    const badConfig = remoteJobSchema.safeParse({ ...job, config: { ...config, learningRate: -1 } });
    expect(badConfig.success).toBe(false);
    expect(badConfig.error?.issues[0].path[0]).toBe('config');
  });

  it('validates stream entries: envelope numbers, known kinds, events of the contract', () => {
    expect(remoteEntryEnvelopeSchema.parse({ attempt: '2', seq: '7', body: '{}' })).toEqual({
      attempt: 2,
      seq: 7,
      body: '{}',
    });
    expect(remoteEntryEnvelopeSchema.safeParse({ attempt: '0', seq: '1', body: '' }).success).toBe(false);
    expect(remoteEntryEnvelopeSchema.safeParse({ attempt: '1', seq: 'x', body: '' }).success).toBe(false);
    expect(remoteEntryBodySchema.parse({ kind: 'attempt', worker: 'w', fromStep: 10 })).toEqual({
      kind: 'attempt',
      worker: 'w',
      fromStep: 10,
    });
    const nonsense = remoteEntryBodySchema.safeParse({ kind: 'event', event: { type: 'nonsense' } });
    expect(nonsense.success).toBe(false);
    expect(nonsense.error?.issues[0].path.slice(0, 2)).toEqual(['event', 'type']);
    expect(remoteEntryBodySchema.safeParse({ kind: 'exec', command: 'rm -rf /' }).success).toBe(false);
    const badCheckpoint = remoteEntryBodySchema.safeParse({
      kind: 'checkpoint',
      checkpoint: { manifest: {}, values: 'not base64!' },
    });
    expect(badCheckpoint.success).toBe(false);
  });
});
