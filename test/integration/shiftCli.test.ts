/**
 * `npm run evaluate -- shift` on runs it cannot evaluate, as a user runs it: a regression run, a
 * LeNet5 run stopped before its first checkpoint, and a folder that is no run each get one
 * sentence saying why (exit 2), and no shift.json is written.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../fixtures/cliProcess';
import { writeRunWithoutCheckpoint } from '../fixtures/lenet5Checkpoint';

let runsDir: string;

beforeAll(async () => {
  runsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-shift-cli-'));
  await writeRunWithoutCheckpoint(runsDir, 'a-sinusoid', 'sinusoid');
  await writeRunWithoutCheckpoint(runsDir, 'lenet5-no-checkpoint', 'lenet5');
});

afterAll(async () => {
  await fs.rm(runsDir, { recursive: true, force: true });
});

const evaluateShift = (id: string) => runCli(['evaluate', 'shift', '--run', path.join(runsDir, id), '--json']);

describe('evaluate shift on runs it cannot evaluate', { timeout: 120_000 }, () => {
  it('says why for a regression run and for a run without a checkpoint, and writes nothing', async () => {
    const regression = await evaluateShift('a-sinusoid');
    expect(regression.code).toBe(2);
    expect(regression.stdout).toBe('');
    expect(regression.stderr).toContain('Error: Run "a-sinusoid" is a sinusoid run; only LeNet5 runs classify images.');
    const noCheckpoint = await evaluateShift('lenet5-no-checkpoint');
    expect(noCheckpoint.code).toBe(2);
    expect(noCheckpoint.stderr).toContain(
      'Error: Run "lenet5-no-checkpoint" was stopped at step 10, before its first checkpoint, so it has no network to classify images with; start a new run.',
    );
    for (const id of ['a-sinusoid', 'lenet5-no-checkpoint'])
      expect(await fs.readdir(path.join(runsDir, id))).not.toContain('shift.json');
  });
});
