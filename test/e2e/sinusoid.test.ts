/**
 * End to end: the browser shell (electron/serve.ts) serving the built renderer, driven by
 * Chromium through playwright-core. Starts a short sinusoid run from the form and checks that
 * the loss chart and the predictive band update live, that the run completes, and that the page
 * logged no errors (a CSP violation would show up here). `npm test` builds the renderer first.
 */
import { describe, expect, it } from 'vitest';
import {
  openApp,
  screenshot,
  startFromForm,
  useShellSession,
  waitForListed,
  waitForNumber,
  waitForStatus,
} from './serveHarness';

/** Short enough for CI, long enough for three band snapshots (the default evaluates every 100). */
const epochs = 300;

describe('sinusoid in the browser shell', () => {
  const session = useShellSession({ tempPrefix: 'workbench-e2e-' });

  it('starts a run, streams loss and band updates, and completes', { timeout: 300_000 }, async () => {
    const { page } = session;
    await openApp(page, session.url);
    await startFromForm(page, { experiment: 'sinusoid', preset: 'default', fields: { epochs: String(epochs) } });

    const item = page.getByTestId('run-list-item');
    await expect.poll(() => item.count(), { timeout: 15_000 }).toBe(1);
    const runId = await item.first().getAttribute('data-run-id');
    expect(runId).toBeTruthy();

    // The loss chart gains points while the run trains.
    const firstPoints = await waitForNumber(page, 'loss-chart', 'data-points', 1, 120_000);
    const morePoints = await waitForNumber(page, 'loss-chart', 'data-points', firstPoints + 1, 120_000);
    expect(morePoints).toBeGreaterThan(firstPoints);

    // The predictive band is redrawn as snapshots arrive; capture the UI mid-run.
    await waitForNumber(page, 'regression-chart', 'data-band-updates', 1, 120_000);
    await screenshot(page, 'sinusoid-mid-run.png');
    const bandUpdates = await waitForNumber(page, 'regression-chart', 'data-band-updates', 2, 120_000);
    expect(bandUpdates).toBeGreaterThanOrEqual(2);
    expect(Number(await page.getByTestId('regression-chart').getAttribute('data-points'))).toBeGreaterThan(100);

    // It completes, and the list shows it so.
    await waitForStatus(page, 'completed', 240_000);
    await waitForListed(page, runId!, 'completed', 15_000);
    expect(await page.getByTestId('status-step').textContent()).toContain(`${epochs} / ${epochs}`);
    expect(Number(await page.getByTestId('progress-bar').getAttribute('data-progress'))).toBe(100);
    expect(Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBeGreaterThan(firstPoints);
    await screenshot(page, 'sinusoid-completed.png');

    // Reloading the page rebuilds the same view from the stored history.
    await page.reload();
    await waitForListed(page, runId!, 'completed', 15_000);
    await page.locator(`[data-testid="run-list-item"][data-run-id="${runId}"]`).click();
    await waitForNumber(page, 'regression-chart', 'data-band-updates', 1, 15_000);
    await waitForNumber(page, 'loss-chart', 'data-points', 1, 15_000);

    expect(session.pageErrors).toEqual([]);

    // When the host goes away the page says so instead of failing silently.
    await session.serve.stop('SIGTERM');
    await page.waitForSelector('[data-testid="connection-state"][data-state="disconnected"]', { timeout: 15_000 });
    await page.getByTestId('connection-banner').waitFor({ timeout: 5_000 });
  });
});
