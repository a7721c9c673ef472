import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastJsonLine, runCli } from '../fixtures/cliProcess';

let runsDir: string;

beforeAll(async () => {
  runsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-cli-'));
});
afterAll(async () => {
  await fs.rm(runsDir, { recursive: true, force: true });
});

const train = (args: string[]) => runCli(['train', ...args]);

describe('npm run train', { timeout: 120_000 }, () => {
  it('trains, writes the run folder and ends stdout with one JSON line of results', async () => {
    const { code, stdout, stderr } = await train([
      '--experiment',
      'sinusoid',
      '--epochs',
      '20',
      '--seed',
      '3',
      '--runs-dir',
      runsDir,
      '--json',
    ]);
    expect(code, stderr).toBe(0);
    const result = lastJsonLine(stdout);
    expect(result).toMatchObject({
      experiment: 'sinusoid',
      preset: 'default',
      seed: 3,
      epochs: 20,
      state: 'completed',
    });
    expect(result.backend).toMatch(/^(tensorflow|wasm|cpu)$/);
    for (const key of ['stdRatio', 'rmseInside', 'coverageInside', 'wallSeconds'])
      expect(typeof result[key]).toBe('number');
    expect(path.dirname(result.runDir)).toBe(runsDir);
    expect(JSON.parse(await fs.readFile(path.join(result.runDir, 'run.json'), 'utf8'))).toMatchObject({
      state: 'completed',
      step: 20,
    });
    expect(stderr).toMatch(/100% 20\/20/); // not a TTY: a progress line per 10 %
  });

  it('trains LeNet5 with --workers 2 and records the workers in the summary and run.json', async () => {
    const options = '--experiment lenet5 --steps 6 --batch-size 16 --eval-draws 2 --workers 2 --backend wasm';
    const { code, stdout, stderr } = await train([...options.split(' '), '--runs-dir', runsDir, '--json']);
    expect(code, stderr).toBe(0);
    const result = lastJsonLine(stdout);
    expect(result).toMatchObject({ experiment: 'lenet5', steps: 6, workers: 2, state: 'completed' });
    expect(result.stepsPerSecond).toBeGreaterThan(0);
    const record = JSON.parse(await fs.readFile(path.join(result.runDir, 'run.json'), 'utf8'));
    expect(record.config.workers).toBe(2);
    expect(record.summary.workers).toBe(2);
  });

  it('fails with a clear message and a non-zero exit for an unknown preset or a malformed number', async () => {
    const unknownPreset = await train(['--experiment', 'sinusoid', '--preset', 'nope', '--runs-dir', runsDir]);
    expect(unknownPreset.code).toBe(2);
    expect(unknownPreset.stderr).toContain('Experiment "sinusoid" has no preset "nope"; choose one of default');
    const badEpochs = await train(['--experiment', 'sinusoid', '--epochs', 'ten']);
    expect(badEpochs.code).not.toBe(0);
    expect(badEpochs.stderr).toContain('"ten" is not a whole number');
    // A LeNet5 option on the sinusoid is named, not ignored; an unknown layout lists the two there are.
    const misplaced = await train(['--experiment', 'sinusoid', '--conv-padding', 'same', '--runs-dir', runsDir]);
    expect(misplaced.code).not.toBe(0);
    expect(misplaced.stderr).toContain(
      'Experiment "sinusoid" has no convPadding, so --conv-padding does not apply to it.',
    );
    const unknownLayout = await train(['--experiment', 'lenet5', '--conv-padding', 'wide', '--runs-dir', runsDir]);
    expect(unknownLayout.code).not.toBe(0);
    expect(unknownLayout.stderr).toMatch(/--conv-padding.*classic, same/);
  });
});
