/**
 * End to end: post-hoc methods in the compare view of the browser shell (issue 11). Two short
 * deterministic LeNet5 seeds are trained with the CLI, and `evaluate temperature` is run on seed 0
 * (its fit stored with the run). Comparing them grouped by configuration shows a "+ temperature
 * scaling" row fitted on 1 of 2 runs; "Fit last-layer Laplace" fits both seeds on the host and adds
 * the Laplace row, "Fit temperature scaling" then offers only seed 1; the CSV carries the rows. The
 * page logs no errors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { cliJson, shortDeterministicLenet5Runs } from '../fixtures/cliProcess';
import {
  downloadedBytes,
  downloadFrom,
  openApp,
  openComparison,
  tallScreenshot,
  useShellSession,
} from './serveHarness';

describe('post-hoc rows in the compare view', () => {
  const runs: string[] = [];
  const session = useShellSession({
    tempPrefix: 'workbench-e2e-posthoc-',
    consoleWarnings: false,
    prepare: async (runsDir) => {
      runs.push(...(await shortDeterministicLenet5Runs(runsDir, ['0', '1'])));
      await cliJson(['evaluate', 'temperature', '--run', path.join(runsDir, runs[0])]);
    },
    setupTimeoutMs: 600_000,
  });
  let page: typeof session.page;

  beforeAll(async () => {
    page = session.page;
    await openApp(page, session.url);
  });

  it('shows stored fits as rows, fits more from the view, and exports them', { timeout: 600_000 }, async () => {
    await openComparison(page, runs);
    await page.getByTestId('compare-grouping').selectOption('config');
    const table = page.locator('[data-testid="methods-table"][data-task="classification"]');
    const methodsOf = () =>
      table
        .getByTestId('methods-row')
        .evaluateAll((rows) => rows.map((row) => row.querySelector('td')?.textContent?.trim()));
    await expect
      .poll(methodsOf, { timeout: 30_000 })
      .toEqual(['Deterministic (MAP)', 'Deterministic (MAP) + temperature scaling (fitted on 1 of 2 runs)']);
    // Temperature scaling keeps one set of probabilities: mutual information does not apply to its row.
    const temperatureRow = page.locator('[data-testid="methods-part-row"][data-posthoc="temperatureScaling"]').first();
    await expect.poll(() => temperatureRow.count()).toBeGreaterThan(0);

    // The buttons ask the registry: Laplace fits deterministic runs (both), temperature the one without a fit.
    const fitLaplace = page.getByTestId('compare-fit-laplace');
    await expect.poll(() => fitLaplace.getAttribute('data-runs')).toBe('2');
    expect(await page.getByTestId('compare-fit-temperatureScaling').getAttribute('data-runs')).toBe('1');
    expect((await page.getByTestId('compare-fit-temperatureScaling').textContent())?.trim()).toBe(
      'Fit temperature scaling (1 run)',
    );
    await fitLaplace.click();
    await expect
      .poll(methodsOf, { timeout: 540_000 })
      .toEqual([
        'Deterministic (MAP)',
        'Deterministic (MAP) + temperature scaling (fitted on 1 of 2 runs)',
        'Deterministic (MAP) + last-layer Laplace',
      ]);
    expect(await fitLaplace.getAttribute('data-runs')).toBe('0');
    await expect.poll(async () => (await fitLaplace.textContent())?.trim()).toBe('Fit last-layer Laplace (0 runs)');
    // A post-hoc row repeats its base runs' training time: never marked best in that column.
    expect(await page.locator('tr[data-posthoc] td[data-column="trainSeconds"][data-best="true"]').count()).toBe(0);
    await expect.poll(() => page.getByTestId('compare-fit-temperatureScaling').isEnabled()).toBe(true);

    // No run has an OOD evaluation stored: the base row's AUROC is empty until "Evaluate OOD" runs it.
    const baseAuroc = page
      .locator('tr[data-testid="methods-part-row"]:not([data-posthoc]) td[data-column="aurocEntropy"]')
      .first();
    expect((await baseAuroc.textContent())?.trim()).toBe('—');
    const evaluateOod = page.getByTestId('compare-evaluate-ood');
    expect(await evaluateOod.getAttribute('data-runs')).toBe('2');
    await evaluateOod.click();
    await expect.poll(() => evaluateOod.count(), { timeout: 300_000 }).toBe(0);
    await expect
      .poll(async () => parseFloat((await baseAuroc.locator('.methods__mean').textContent()) ?? ''))
      .toBeGreaterThan(0.5);

    const csv = (await downloadedBytes(await downloadFrom(page, 'methods-csv-classification'))).toString('utf8');
    const lines = csv.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/,Deterministic \(MAP\) \+ temperature scaling \(fitted on 1 of 2 runs\),1,/);
    expect(lines[3]).toMatch(/,Deterministic \(MAP\) \+ last-layer Laplace,2,/);
    await tallScreenshot(page, 'compare-methods-posthoc.png', 1800);
    expect(session.pageErrors).toEqual([]);
  });
});
