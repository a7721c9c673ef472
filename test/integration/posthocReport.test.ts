/**
 * Post-hoc fits through the CLI as a user runs them: two short deterministic LeNet5 seeds, `evaluate
 * temperature` on both and `evaluate laplace` on one store their fits with the runs
 * (posthoc-<method>.json), and `report --run … --compare … --methods-csv` writes the methods table
 * with a "+ temperature scaling" row averaging both fits and a "+ last-layer Laplace" row of one,
 * their numbers the `after` scores the evaluations printed. A fit whose file is then damaged is left
 * out of the report with a warning naming it, and the file stays as it was; a linked ood.json is not
 * followed.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastJsonLine, runCli as cli } from '../fixtures/cliProcess';

let workDir: string;
const runsDir = () => path.join(workDir, 'runs');

beforeAll(async () => {
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'workbench-posthoc-report-'));
});
afterAll(async () => {
  await fs.rm(workDir, { recursive: true, force: true });
});

async function train(seed: number): Promise<string> {
  const { code, stdout, stderr } = await cli([
    'train',
    '--experiment',
    'lenet5',
    '--method',
    'deterministic',
    '--steps',
    '20',
    '--seed',
    String(seed),
    '--backend',
    'wasm',
    '--runs-dir',
    runsDir(),
    '--json',
  ]);
  expect(code, stderr).toBe(0);
  return lastJsonLine(stdout).runDir as string;
}

async function evaluate(method: string, runDir: string): Promise<Record<string, any>> {
  const { code, stdout, stderr } = await cli(['evaluate', method, '--run', runDir, '--json']);
  expect(code, stderr).toBe(0);
  return lastJsonLine(stdout);
}

function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trim().split('\n');
  const names = header.split(',');
  // The row labels and methods here hold no commas or quotes.
  return lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [names[i], value])));
}

describe('post-hoc fits in the methods table of the CLI report', { timeout: 600_000 }, () => {
  it('stores each fit with its run and reports a row per post-hoc method with the after scores', async () => {
    const seeds = [await train(0), await train(1)];
    const temperature = [await evaluate('temperature', seeds[0]), await evaluate('temperature', seeds[1])];
    const laplace = await evaluate('laplace', seeds[1]);
    for (const dir of seeds)
      expect(await fs.readdir(dir)).toEqual(expect.arrayContaining(['posthoc-temperatureScaling.json']));
    expect(await fs.readdir(seeds[0])).not.toContain('posthoc-laplace.json');
    const stored = JSON.parse(await fs.readFile(path.join(seeds[1], 'posthoc-laplace.json'), 'utf8'));
    expect(stored).toMatchObject({
      method: 'laplace',
      baseMethod: 'deterministic',
      priorPrecision: laplace.priorPrecision,
      hessian: laplace.hessian,
      validationImages: 900,
      after: laplace.after,
    });
    expect(Date.parse(stored.createdAt)).not.toBeNaN();

    const csvFile = path.join(workDir, 'methods.csv');
    const report = await cli([
      'report',
      '--run',
      seeds[0],
      '--compare',
      seeds[1],
      '--out',
      path.join(workDir, 'comparison.png'),
      '--methods-csv',
      csvFile,
      '--methods-md',
      path.join(workDir, 'methods.md'),
    ]);
    expect(report.code, report.stderr).toBe(0);
    const markdown = await fs.readFile(path.join(workDir, 'methods.md'), 'utf8');
    expect(markdown.trim().split('\n')).toHaveLength(2 + 3);
    expect(markdown).toContain('| Deterministic (MAP) + last-layer Laplace (fitted on 1 of 2 runs) | 1 |');
    const rows = parseCsv(await fs.readFile(csvFile, 'utf8'));
    expect(rows.map((row) => row.method)).toEqual([
      'Deterministic (MAP)',
      'Deterministic (MAP) + temperature scaling',
      'Deterministic (MAP) + last-layer Laplace (fitted on 1 of 2 runs)',
    ]);
    const [, temperatureRow, laplaceRow] = rows;
    expect(temperatureRow.runs).toBe('2');
    const nlls = temperature.map((result) => -result.after.heldoutNats);
    const mean = (nlls[0] + nlls[1]) / 2;
    expect(Number(temperatureRow.nll)).toBeCloseTo(mean, 10);
    expect(Number(temperatureRow.nll_std)).toBeCloseTo(Math.abs(nlls[0] - nlls[1]) / Math.SQRT2, 10);
    expect(Number(temperatureRow.ece)).toBeCloseTo((temperature[0].after.ece + temperature[1].after.ece) / 2, 10);
    expect(laplaceRow.runs).toBe('1');
    expect(Number(laplaceRow.accuracy)).toBeCloseTo(laplace.after.accuracy, 10);
    // Temperature scaling keeps a point net's single set of probabilities: mutual information does not apply.
    expect(temperatureRow.ood_auroc_mi).toBe('n/a');
    const fashion = temperature.map(
      (result) => result.ood.sets.find((set: { name: string }) => set.name === 'Fashion-MNIST')?.after,
    );
    if (fashion[0] && fashion[1])
      expect(Number(temperatureRow.ood_auroc_entropy)).toBeCloseTo(
        (fashion[0].predictiveEntropy.auroc + fashion[1].predictiveEntropy.auroc) / 2,
        10,
      );
    // The base run's training time; prediction time not measured for a fit.
    expect(Number(temperatureRow.train_seconds)).toBeGreaterThan(0);
    expect(temperatureRow.predict_ms_per_image).toBe('');

    // A damaged fit: left out with a warning that names it; the file is not touched.
    const damaged = path.join(seeds[1], 'posthoc-laplace.json');
    await fs.writeFile(damaged, '{"format":');
    // A linked ood.json is not followed either (run-folder files are read through the run store).
    await fs.writeFile(path.join(workDir, 'elsewhere.json'), '{}');
    await fs.symlink(path.join(workDir, 'elsewhere.json'), path.join(seeds[0], 'ood.json'));
    const again = await cli(['report', '--run', seeds[0], '--compare', seeds[1], '--methods-csv', csvFile]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/posthoc-laplace\.json is not valid JSON .*left out of the methods table/);
    expect(again.stderr).toMatch(
      /ood\.json is a symbolic link; links inside a run folder are never followed.*leaves it out/,
    );
    expect(parseCsv(await fs.readFile(csvFile, 'utf8')).map((row) => row.method)).toEqual([
      'Deterministic (MAP)',
      'Deterministic (MAP) + temperature scaling',
    ]);
    expect(await fs.readFile(damaged, 'utf8')).toBe('{"format":');
  });
});
