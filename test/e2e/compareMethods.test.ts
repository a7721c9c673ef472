/**
 * End to end: methods side by side in the compare view of the browser shell (issue 11). Short runs
 * are trained with the CLI into the shell's runs folder: the sinusoid with VI, the deterministic
 * net, MC dropout and a 3-member ensemble, and two deterministic LeNet5 seeds. Comparing the
 * sinusoid runs shows the methods table (one row per run, best cells marked, sortable, CSV) and the
 * four bands side by side; comparing the LeNet5 seeds offers "Combine into an ensemble", whose new
 * run joins the comparison with its row and its reliability curve. The page logs no errors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { shortDeterministicLenet5Runs, trainedRunId as train } from '../fixtures/cliProcess';
import {
  downloadedBytes,
  downloadFrom,
  openApp,
  openComparison,
  runEntry,
  tallScreenshot,
  useShellSession,
} from './serveHarness';

describe('methods side by side in the compare view', () => {
  const sinusoidRuns: string[] = [];
  const lenet5Runs: string[] = [];
  const session = useShellSession({
    tempPrefix: 'workbench-e2e-methods-',
    consoleWarnings: false,
    prepare: async (runsDir) => {
      for (const method of ['vi', 'deterministic', 'mc-dropout', 'ensemble'])
        sinusoidRuns.push(
          await train(runsDir, ['--experiment', 'sinusoid', '--method', method, '--members', '3', '--epochs', '150']),
        );
      lenet5Runs.push(...(await shortDeterministicLenet5Runs(runsDir, ['0', '1'])));
    },
    setupTimeoutMs: 900_000,
  });
  let page: typeof session.page;

  beforeAll(async () => {
    page = session.page;
    await openApp(page, session.url);
  });

  it('shows the methods table and the bands of four sinusoid methods', { timeout: 120_000 }, async () => {
    await openComparison(page, sinusoidRuns);
    const table = page.locator('[data-testid="methods-table"][data-task="regression"]');
    await table.waitFor({ timeout: 15_000 });
    expect(await table.getByTestId('methods-row').count()).toBe(4);
    expect(await page.getByTestId('compare-band').count()).toBe(4);
    // The deterministic net has no band: its std ratio cell says so, and it cannot be the best one.
    const methods = await table
      .getByTestId('methods-row')
      .evaluateAll((rows) => rows.map((row) => row.querySelector('td')?.textContent?.trim()));
    expect(methods).toEqual(['Mean-field VI', 'Deterministic (MAP)', 'MC dropout', 'Deep ensemble (M = 3)']);
    expect(await table.locator('td[data-column="rmseInside"][data-best="true"]').count()).toBeGreaterThan(0);
    // Sorting by rmseInside puts the row holding the best (lowest) value first.
    await page.getByTestId('methods-sort-rmseInside').click();
    await expect
      .poll(() =>
        table.getByTestId('methods-row').first().locator('td[data-column="rmseInside"]').getAttribute('data-best'),
      )
      .toBe('true');
    const csv = (await downloadedBytes(await downloadFrom(page, 'methods-csv-regression'))).toString('utf8');
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^task,row,method,runs,run_ids,std_ratio,std_ratio_std,rmse_inside,/);
    expect(lines).toHaveLength(5);
    await tallScreenshot(page, 'compare-methods-sinusoid.png', 2400);
    await page.getByTestId('compare-close').click();
    for (const id of sinusoidRuns) await runEntry(page, id).getByTestId('run-compare-checkbox').uncheck();
  });

  it(
    'combines two deterministic LeNet5 seeds into an ensemble from the compare view',
    { timeout: 600_000 },
    async () => {
      await openComparison(page, lenet5Runs);
      const combine = page.getByTestId('compare-combine-ensemble');
      await expect.poll(() => combine.isEnabled()).toBe(true);
      await combine.click();
      await page.waitForSelector('[data-testid="compare-view"][data-runs="3"]', { timeout: 540_000 });
      const table = page.locator('[data-testid="methods-table"][data-task="classification"]');
      await expect.poll(() => table.getByTestId('methods-row').count()).toBe(3);
      const methods = await table
        .getByTestId('methods-row')
        .evaluateAll((rows) => rows.map((row) => row.querySelector('td')?.textContent?.trim()));
      expect(methods).toEqual(['Deterministic (MAP)', 'Deterministic (MAP)', 'Deep ensemble (M = 2)']);
      const reliability = page.locator('[data-testid="compare-overlay"][data-figure-id="compare-reliability"]');
      await expect.poll(() => reliability.getAttribute('data-datasets')).toBe('4'); // the diagonal, two members, their ensemble
      expect(await reliability.count()).toBe(1);
      await tallScreenshot(page, 'compare-methods-ensemble.png', 2400);
      expect(session.pageErrors).toEqual([]);
    },
  );
});
