/**
 * The methods' CLI contract (issue 11): `train --method …` ends stdout with a summary that names
 * the method (and, for classification, Brier, ECE and AURC beside held-out nats and accuracy);
 * `evaluate temperature|laplace --run RUNDIR --json` prints the scores before and after with the
 * fitted temperature or prior precision, leaves the accuracy alone (temperature), and refuses
 * nonsense (Laplace on a VI run, temperature scaling of a regression run, an ensemble of 1, a
 * dropout rate outside [0, 1), also through RunManager.startRun) with what would work, before
 * anything runs; `evaluate ensemble --runs …` combines deterministic seeds into an ensemble run;
 * `evaluate laplace` on a deterministic sinusoid run gives its band before and after.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totalStepsOf } from '../../core/experiments/registry';
import { RunManager } from '../../electron/host/runManager';
import { RunStore } from '../../electron/host/runStore';
import { lastJsonLine, runCli } from '../fixtures/cliProcess';

let runsDir: string;

beforeAll(async () => {
  runsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-methods-cli-'));
});
afterAll(async () => {
  await fs.rm(runsDir, { recursive: true, force: true });
});

const train = (args: string[]) => runCli(['train', ...args, '--runs-dir', runsDir, '--json']);

describe('methods on the command line', { timeout: 300_000 }, () => {
  it('trains the sinusoid with each method and names it in the summary', async () => {
    for (const method of ['vi', 'deterministic', 'mc-dropout', 'ensemble']) {
      const { code, stdout, stderr } = await train([
        '--experiment',
        'sinusoid',
        '--method',
        method,
        '--members',
        '3',
        '--epochs',
        '200',
      ]);
      expect(code, stderr).toBe(0);
      const result = lastJsonLine(stdout);
      expect(result.method).toBe(method === 'mc-dropout' ? 'mcDropout' : method);
      expect(result.epochs).toBe(200);
      expect(typeof result.rmseInside).toBe('number');
      expect(typeof result.coverageInside).toBe('number');
      // The deterministic net has no epistemic band, so no ratio (null, not a made-up number).
      if (method === 'deterministic') expect(result.stdRatio).toBeNull();
      else expect(typeof result.stdRatio).toBe('number');
      if (method === 'ensemble') expect(result.members).toBe(3);
    }
  });

  it('trains a deterministic LeNet5, then temperature-scales it without changing its accuracy', async () => {
    const trained = await train(['--experiment', 'lenet5', '--method', 'deterministic', '--steps', '50']);
    expect(trained.code, trained.stderr).toBe(0);
    const summary = lastJsonLine(trained.stdout);
    expect(summary).toMatchObject({
      method: 'deterministic',
      validationFraction: 0.1,
      trainImages: 8100,
      evalDraws: 1,
    });
    for (const key of ['heldoutNats', 'heldoutAccuracy', 'brier', 'ece', 'aurc'])
      expect(typeof summary[key]).toBe('number');

    const scaled = await runCli(['evaluate', 'temperature', '--run', summary.runDir, '--json']);
    expect(scaled.code, scaled.stderr).toBe(0);
    const result = lastJsonLine(scaled.stdout);
    expect(result).toMatchObject({
      method: 'temperature',
      baseMethod: 'deterministic',
      validationImages: 900,
      draws: 1,
    });
    expect(result.temperature).toBeGreaterThan(0);
    const before = result.before as Record<string, number>;
    const after = result.after as Record<string, number>;
    for (const scores of [before, after])
      expect(Object.keys(scores).sort()).toEqual(['accuracy', 'aurc', 'brier', 'ece', 'heldoutNats']);
    expect(after.accuracy).toBe(before.accuracy);
    expect(before.heldoutNats).toBeCloseTo(summary.heldoutNats as number, 6);
    // T minimises the validation NLL, so it cannot raise it.
    expect(result.validationNllAfter as number).toBeLessThanOrEqual(result.validationNllBefore as number);

    const laplace = await runCli(['evaluate', 'laplace', '--run', summary.runDir, '--json']);
    expect(laplace.code, laplace.stderr).toBe(0);
    const fitted = lastJsonLine(laplace.stdout);
    expect(fitted.priorPrecision).toBeGreaterThan(0);
    expect(typeof (fitted.after as Record<string, number>).ece).toBe('number');
  });

  it('combines three deterministic seeds into an ensemble whose mixture scores at least the mean member NLL', async () => {
    const dirs: string[] = [];
    for (const seed of [0, 1, 2]) {
      const trained = await train([
        '--experiment',
        'lenet5',
        '--method',
        'deterministic',
        '--steps',
        '40',
        '--seed',
        String(seed),
      ]);
      expect(trained.code, trained.stderr).toBe(0);
      dirs.push(lastJsonLine(trained.stdout).runDir as string);
    }
    const combined = await runCli(['evaluate', 'ensemble', '--runs', ...dirs, '--json']);
    expect(combined.code, combined.stderr).toBe(0);
    const result = lastJsonLine(combined.stdout);
    const members = result.memberScores as { heldoutNats: number; heldoutAccuracy: number }[];
    const ensemble = result.ensemble as { heldoutNats: number; heldoutAccuracy: number };
    expect(members).toHaveLength(3);
    // Same 1,000 held-out digits: log of the mean probability ≥ the mean of the logs (Jensen), per digit.
    const meanMemberNats = members.reduce((sum, member) => sum + member.heldoutNats, 0) / 3;
    expect(ensemble.heldoutNats).toBeGreaterThanOrEqual(meanMemberNats);
    // The new run folder is an ensemble run naming its members, with the held-out event and a checkpoint.
    const record = JSON.parse(await fs.readFile(path.join(result.runDir as string, 'run.json'), 'utf8'));
    expect(record).toMatchObject({ state: 'completed', combinedFrom: dirs.map((dir) => path.basename(dir)) });
    expect(record.config).toMatchObject({ method: 'ensemble', members: 3 });
    expect(record.summary).toMatchObject({ method: 'ensemble', members: 3, evalDraws: 3 });
    const events = (await fs.readFile(path.join(result.runDir as string, 'events.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.find((event) => event.type === 'heldout')).toMatchObject({ draws: 3, images: 1000 });
    // Its OOD evaluation says what it averaged: the members, not posterior draws.
    const ood = await runCli(['evaluate-ood', '--run', result.runDir as string]);
    expect(ood.code, ood.stderr).toBe(0);
    expect(ood.stdout).toContain(', M = 3 members, ');

    const ofOne = await runCli(['evaluate', 'ensemble', '--runs', dirs[0], '--json']);
    expect(ofOne.code).toBe(2);
    expect(ofOne.stderr).toMatch(/at least 2 member runs \(found 1\)/);
  });

  it('fits last-layer Laplace to a deterministic sinusoid run and scores its band before and after', async () => {
    const trained = await train(['--experiment', 'sinusoid', '--method', 'deterministic', '--epochs', '300']);
    expect(trained.code, trained.stderr).toBe(0);
    const fitted = await runCli([
      'evaluate',
      'laplace',
      '--run',
      lastJsonLine(trained.stdout).runDir as string,
      '--json',
    ]);
    expect(fitted.code, fitted.stderr).toBe(0);
    const result = lastJsonLine(fitted.stdout);
    expect(result).toMatchObject({ method: 'laplace', baseMethod: 'deterministic', trainingPoints: 32 });
    expect(result.priorPrecision).toBeGreaterThan(0);
    const before = result.before as Record<string, number | null>;
    const after = result.after as Record<string, number | null>;
    expect(Object.keys(after).sort()).toEqual(['coverageInside', 'rmseInside', 'stdRatio']);
    expect(before.stdRatio).toBeNull();
    expect(after.stdRatio).toBeGreaterThan(1);
    expect(after.rmseInside).toBe(before.rmseInside);
  });

  it('refuses nonsense combinations before anything runs, saying what would work', async () => {
    const vi = await train(['--experiment', 'lenet5', '--steps', '2', '--eval-draws', '2']);
    expect(vi.code, vi.stderr).toBe(0);
    const laplaceOnVi = await runCli(['evaluate', 'laplace', '--run', lastJsonLine(vi.stdout).runDir, '--json']);
    expect(laplaceOnVi.code).toBe(2);
    expect(laplaceOnVi.stderr).toMatch(/Last-layer Laplace cannot be applied to a Mean-field VI run.*deterministic/);

    const sinusoid = await train(['--experiment', 'sinusoid', '--epochs', '5']);
    const temperatureOnRegression = await runCli([
      'evaluate',
      'temperature',
      '--run',
      lastJsonLine(sinusoid.stdout).runDir,
    ]);
    expect(temperatureOnRegression.code).toBe(2);
    expect(temperatureOnRegression.stderr).toMatch(/cannot be used on a regression run.*For regression, use one of/);

    const before = (await fs.readdir(runsDir)).length;
    const ensembleOfOne = await train(['--experiment', 'sinusoid', '--method', 'ensemble', '--members', '1']);
    expect(ensembleOfOne.code).toBe(2);
    expect(ensembleOfOne.stderr).toMatch(/at least 2 members/);
    for (const rate of ['1', '1.5', '-0.1']) {
      const dropout = await train(['--experiment', 'sinusoid', '--method', 'mc-dropout', '--dropout', rate]);
      expect(dropout.code).toBe(2);
      // The method's own rule answers (not the option parser): what the rate means and which values are usual.
      expect(dropout.stderr).toMatch(/dropout rate must be in \[0, 1\) \(found -?[\d.]+\).*0\.05–0\.5 are usual\.$/m);
    }
    const laplaceOnViSinusoid = await runCli(['evaluate', 'laplace', '--run', lastJsonLine(sinusoid.stdout).runDir]);
    expect(laplaceOnViSinusoid.code).toBe(2);
    expect(laplaceOnViSinusoid.stderr).toMatch(/Last-layer Laplace cannot be applied to a Mean-field VI run/);
    const unknown = await train(['--experiment', 'sinusoid', '--method', 'bayes']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no method called "bayes"/);
    expect((await fs.readdir(runsDir)).length).toBe(before);

    const manager = new RunManager({ store: new RunStore(runsDir, { flushIntervalMs: 50 }), totalSteps: totalStepsOf });
    try {
      await expect(
        manager.startRun({ config: { experiment: 'lenet5', method: 'mcDropout', dropout: 1.5 } as never }),
      ).rejects.toThrow(/The dropout rate must be in \[0, 1\)/);
      await expect(
        manager.startRun({ config: { experiment: 'lenet5', method: 'temperatureScaling' } as never }),
      ).rejects.toThrow(/Temperature scaling is applied to a stored run after training/);
      expect((await fs.readdir(runsDir)).length).toBe(before);
    } finally {
      await manager.close();
    }
  });
});
