/**
 * End to end, the workbench as a user drives it in Chromium against the real browser shell:
 * a run created from the form streams, pauses and resumes; two tiny LeNet5 runs queue one after
 * the other; they are tagged, renamed, compared (overlays, settings that differ, seed-group band,
 * posterior overlay, CSV); a restarted server lists them with their history; a server killed with
 * SIGKILL mid-run leaves its run interrupted, and "Resume from checkpoint" finishes it with the
 * step count continuing. Screenshots go to test/artifacts/ (look at them when the UI changes).
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  downloadedBytes,
  downloadFrom,
  numberOf,
  openApp,
  openRun,
  runEntry as entry,
  screenshot,
  startFromForm,
  tallScreenshot,
  useShellSession,
  waitForListed,
  waitForNumber,
  waitForStatus,
} from './serveHarness';

/** The "step N / total" of the status bar. */
async function statusStep(page: Page): Promise<number> {
  const text = (await page.getByTestId('status-step').textContent()) ?? '';
  return Number(/(\d+)\s*\//.exec(text)?.[1] ?? NaN);
}

describe('the workbench in the browser shell', () => {
  const session = useShellSession({ tempPrefix: 'workbench-e2e-manage-' });
  const lenet5Runs: string[] = [];
  const pageErrors = session.pageErrors;
  let page: Page;
  beforeAll(() => {
    page = session.page;
  });

  it('creates a run from the form, streams its charts, pauses and resumes it', { timeout: 120_000 }, async () => {
    await openApp(page, session.url);
    const runId = await startFromForm(page, {
      experiment: 'sinusoid',
      preset: 'default',
      fields: { epochs: '1500', predictiveDraws: '20' },
      name: 'pause me',
    });
    const first = await waitForNumber(page, 'loss-chart', 'data-points', 1, 60_000);
    await waitForNumber(page, 'loss-chart', 'data-points', first + 20, 60_000);

    await page.getByTestId('status-actions').getByTestId('run-pause').click();
    await waitForStatus(page, 'paused', 15_000);
    await waitForListed(page, runId, 'paused', 5_000);
    const pausedPoints = await numberOf(page, 'loss-chart', 'data-points');
    await page.waitForTimeout(1000);
    expect(await numberOf(page, 'loss-chart', 'data-points')).toBe(pausedPoints);

    await page.getByTestId('status-actions').getByTestId('run-resume').click();
    await waitForStatus(page, 'running', 15_000);
    await waitForNumber(page, 'loss-chart', 'data-points', pausedPoints + 1, 30_000);
    await waitForStatus(page, 'completed', 90_000);
    expect(await statusStep(page)).toBe(1500);

    // A finished run can be deleted (from its status bar), after a confirmation.
    const bar = page.getByTestId('status-bar');
    await bar.getByTestId('run-delete').click();
    await page.getByTestId('confirm-dialog-cancel').click();
    expect(await entry(page, runId).count()).toBe(1);
    await bar.getByTestId('run-delete').click();
    await page.getByTestId('confirm-dialog-confirm').click();
    await expect.poll(() => entry(page, runId).count(), { timeout: 10_000 }).toBe(0);
    await page.getByTestId('no-run-selected').waitFor({ timeout: 5_000 });
  });

  it('queues a second run behind the first, which then trains', { timeout: 150_000 }, async () => {
    const tiny = { steps: '60', evalEvery: '30', evalDraws: '3', batchSize: '32' };
    const a = await startFromForm(page, {
      experiment: 'lenet5',
      preset: 'seed',
      fields: { ...tiny, seed: '0' },
      name: 'lenet5 A',
    });
    const b = await startFromForm(page, {
      experiment: 'lenet5',
      preset: 'seed',
      fields: { ...tiny, seed: '1' },
      name: 'lenet5 B',
    });
    lenet5Runs.push(a, b);
    // B waits behind A: the list and its status bar say where it stands.
    await waitForListed(page, b, 'queued', 10_000);
    expect(await entry(page, b).getByTestId('run-queue-position').getAttribute('data-position')).toBe('1');
    expect(await page.getByTestId('status-queue-position').textContent()).toContain('#1 in queue');
    await waitForListed(page, a, 'completed', 120_000);
    await page.waitForSelector(
      `[data-testid="run-list-item"][data-run-id="${b}"][data-state="running"], [data-testid="run-list-item"][data-run-id="${b}"][data-state="completed"]`,
      {
        timeout: 15_000,
      },
    );
    await waitForStatus(page, 'completed', 120_000);
    expect(await waitForNumber(page, 'heldout-chart', 'data-evaluations', 2, 10_000)).toBe(2);
    expect(await numberOf(page, 'posterior-mu-chart', 'data-layers')).toBe(5);
    await tallScreenshot(page, 'workbench-lenet5-dashboard.png', 2300);
  });

  it('tags, renames and compares the two runs', { timeout: 60_000 }, async () => {
    const [a, b] = lenet5Runs;
    // Tags and the name are edited in the status bar of the opened run; the table shows them.
    for (const id of [a, b]) {
      const bar = await openRun(page, id);
      await bar.getByTestId('run-tag-add').click();
      await bar.getByTestId('run-tag-input').fill('pair');
      await bar.getByTestId('run-tag-input').press('Enter');
      await bar.locator('[data-testid="run-tag"][data-tag="pair"]').waitFor({ timeout: 5_000 });
      await entry(page, id).locator('[data-testid="run-list-tag"]', { hasText: 'pair' }).waitFor({ timeout: 5_000 });
    }
    const barA = await openRun(page, a);
    await barA.getByTestId('run-rename').click();
    await barA.getByTestId('run-name-input').fill('lenet5 A renamed');
    await barA.getByTestId('run-name-input').press('Enter');
    await expect.poll(() => entry(page, a).getByTestId('run-list-item').textContent()).toContain('lenet5 A renamed');

    // The seed group: filter by the tag, check its runs, compare.
    await page.getByTestId('run-filter-tag').selectOption('pair');
    expect(await page.getByTestId('run-list-entry').count()).toBe(2);
    await page.getByTestId('run-select-group').click();
    await page.getByTestId('run-compare-open').click();
    await page.waitForSelector('[data-testid="compare-view"][data-runs="2"]', { timeout: 15_000 });

    const loss = page.locator('[data-testid="compare-chart"][data-metric="loss"]');
    expect(await loss.getAttribute('data-datasets')).toBe('2');
    for (const metric of ['nll', 'kl', 'heldoutNats', 'heldoutAccuracy', 'ece', 'noiseRefusal']) {
      expect(await page.locator(`[data-testid="compare-chart"][data-metric="${metric}"]`).count()).toBe(1);
    }
    expect(await page.locator('[data-testid="compare-chart"][data-metric="mse"]').count()).toBe(0);
    // Only the seed differs (the name is not a setting).
    const rows = await page
      .getByTestId('compare-config-row')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-key')));
    expect(rows).toEqual(['seed']);
    // Values at a chosen step.
    await page.getByTestId('compare-values-step').fill('30');
    await page.getByTestId('compare-values-step').press('Enter');
    await expect.poll(() => page.getByTestId('compare-values-table').getAttribute('data-step')).toBe('30');
    expect(
      await page.locator('[data-testid="compare-values-row"][data-metric="heldoutNats"] td').nth(1).textContent(),
    ).not.toContain('—');
    // Histograms of the same layer from both runs at one step.
    const histogram = page.getByTestId('compare-posterior-chart');
    expect(await histogram.getAttribute('data-datasets')).toBe('2');
    await page.getByTestId('compare-posterior-layer').selectOption({ index: 2 });
    await page.getByTestId('compare-posterior-step').selectOption({ label: 'step 30' });
    await expect.poll(() => histogram.getAttribute('data-step')).toBe('30');
    expect(await histogram.getAttribute('data-datasets')).toBe('2');
    // Smoothing, then the two seeds as one mean ± std band (lower edge, upper edge, mean).
    await page.getByTestId('compare-smoothing').fill('0.6');
    await expect.poll(() => page.getByTestId('compare-smoothing-value').textContent()).toContain('0.60');
    expect(await loss.getAttribute('data-datasets')).toBe('4'); // raw (faint) + smoothed per run
    await page.getByTestId('compare-grouping').selectOption('tag');
    await expect.poll(() => loss.getAttribute('data-datasets')).toBe('3');
    await tallScreenshot(page, 'workbench-compare.png', 2600);

    const download = await downloadFrom(page, 'compare-csv');
    const csv = (await downloadedBytes(download)).toString('utf8').trimEnd().split('\n');
    expect(csv[0]).toMatch(/^run_id,run_name,step,loss,nll,kl,train_accuracy,heldout_nats/);
    expect(csv.filter((line) => line.startsWith(`${a},`))).toHaveLength(60);
    expect(csv.filter((line) => line.startsWith(`${b},`))).toHaveLength(60);

    await page.getByTestId('compare-close').click();
    await page.getByTestId('run-filter-tag').selectOption('');
    expect(pageErrors).toEqual([]);
  });

  it('finds both runs with their history after a server restart', { timeout: 60_000 }, async () => {
    const [a, b] = lenet5Runs;
    await session.restartServe('SIGTERM');
    await openApp(page, session.url);
    for (const id of [a, b]) await waitForListed(page, id, 'completed', 15_000);
    expect(await entry(page, a).getByTestId('run-list-item').textContent()).toContain('lenet5 A renamed');
    const barB = await openRun(page, b);
    expect(await waitForNumber(page, 'loss-chart', 'data-points', 60, 15_000)).toBe(60);
    expect(await waitForNumber(page, 'heldout-chart', 'data-evaluations', 2, 15_000)).toBe(2);
    expect(await barB.locator('[data-testid="run-tag"][data-tag="pair"]').count()).toBe(1);
    expect(await entry(page, b).locator('[data-testid="run-list-tag"]', { hasText: 'pair' }).count()).toBe(1);
  });

  it(
    'shows a run killed with its server as interrupted and resumes it from its checkpoint',
    { timeout: 150_000 },
    async () => {
      const epochs = 3000;
      const runId = await startFromForm(page, {
        experiment: 'sinusoid',
        preset: 'default',
        fields: { epochs: String(epochs), evalEvery: '100', predictiveDraws: '20' },
        name: 'killed mid-run',
      });
      await page.waitForFunction(
        () =>
          /\b([3-9]\d\d|\d{4,})\s*\//.test(document.querySelector('[data-testid="status-step"]')?.textContent ?? ''),
        null,
        { timeout: 60_000, polling: 100 },
      );
      await session.serve.stop('SIGKILL');
      await page.waitForSelector('[data-testid="connection-state"][data-state="disconnected"]', { timeout: 15_000 });

      await session.restartServe('SIGKILL');
      pageErrors.length = 0; // the dropped connection was logged; what follows must be clean
      await openApp(page, session.url);
      await waitForListed(page, runId, 'interrupted', 15_000);
      await entry(page, runId).getByTestId('run-list-item').click();
      await waitForStatus(page, 'interrupted', 10_000);
      expect(await page.getByTestId('status-message').textContent()).toMatch(/ended before it finished/);
      const resume = page.getByTestId('status-actions').getByTestId('run-resume-checkpoint');
      const checkpointStep = Number(await resume.getAttribute('data-step'));
      expect(checkpointStep).toBeGreaterThanOrEqual(200);
      expect(await resume.textContent()).toContain(`Resume from checkpoint (step ${checkpointStep})`);
      const stepBefore = await statusStep(page);
      expect(stepBefore).toBeGreaterThanOrEqual(checkpointStep);
      // Its history up to the last flushed event, past the checkpoint.
      expect(await waitForNumber(page, 'loss-chart', 'data-points', checkpointStep, 15_000)).toBeGreaterThanOrEqual(
        checkpointStep,
      );
      await screenshot(page, 'workbench-interrupted.png');

      await resume.click();
      // The points trained after the checkpoint are dropped, then the run continues from there.
      await waitForStatus(page, 'running', 15_000);
      await waitForStatus(page, 'completed', 120_000);
      expect(await statusStep(page)).toBe(epochs);
      // The live stream is coalesced by the host; the stored timeline has every step exactly once.
      await page.reload();
      await entry(page, runId).getByTestId('run-list-item').click();
      expect(await waitForNumber(page, 'loss-chart', 'data-points', epochs, 15_000)).toBe(epochs);
      expect(await statusStep(page)).toBe(epochs);
      await screenshot(page, 'workbench-resumed.png');
      expect(pageErrors).toEqual([]);
    },
  );
});
