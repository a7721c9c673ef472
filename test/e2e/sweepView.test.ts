/**
 * A small sweep end to end in the browser shell: started from the new-run form's "Sweep" mode
 * (sinusoid, learning rate 0.01 / 0.03 × seeds 0, 1; 20 epochs), its view shows the runs' progress
 * until all four are done, draws the parallel-coordinates figure with a line per run and ranks the
 * two seed groups (mean ± std); the figure exports as a PNG of the spec's size at 2×; "Compare
 * seeds" opens a group in the compare view. Screenshots: test/artifacts/sweep-*.png.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { decodePng } from '../integration/reportImage';
import {
  artifact,
  chooseExperiment,
  downloadedBytes,
  downloadFrom,
  fillForm,
  openApp,
  screenshot,
  tallScreenshot,
  useShellSession,
} from './serveHarness';

describe('a sweep in the browser shell', () => {
  const session = useShellSession({ tempPrefix: 'workbench-e2e-sweep-' });
  let page: Page;
  beforeAll(() => {
    page = session.page;
  });

  it(
    'starts from the form, shows progress, draws and exports its figure, links to compare',
    { timeout: 240_000 },
    async () => {
      await openApp(page, session.url);
      await chooseExperiment(page, 'sinusoid', 'default');
      await page.getByTestId('new-run-mode-sweep').check();
      await fillForm(page, { epochs: '20', evalEvery: '10', predictiveDraws: '8' }, 'tiny lr');
      await page.getByTestId('new-run-axis-key-0').fill('learningRate');
      await page.getByTestId('new-run-axis-values-0').fill('0.01, 0.03');
      await page.getByTestId('new-run-sweep-seeds').fill('0-1');
      await expect.poll(() => page.getByTestId('new-run-start').textContent()).toContain('Start sweep (4 runs)');
      await screenshot(page, 'sweep-form.png');
      await page.getByTestId('new-run-start').click();

      const view = page.getByTestId('sweep-view');
      await view.waitFor({ timeout: 15_000 });
      expect(await page.locator('[data-testid="sweep-run"]').count()).toBe(4);
      await page.waitForSelector('[data-testid="sweep-view"][data-done="4"][data-finished="true"]', {
        timeout: 180_000,
      });
      expect(await view.getAttribute('data-failed')).toBe('0');

      // One line per finished run, against the experiment's first pass mark.
      const figure = page.getByTestId('sweep-parallel');
      await expect.poll(() => figure.getAttribute('data-lines')).toBe('4');
      expect(await figure.getAttribute('data-score')).toBe('stdRatio');
      const rows = page.getByTestId('sweep-best-row');
      expect(await rows.count()).toBe(2);
      const means = await rows.evaluateAll((items) => items.map((item) => Number(item.getAttribute('data-mean'))));
      expect(means[0]).toBeGreaterThanOrEqual(means[1]); // stdRatio: higher is better, best first
      expect(await rows.first().getAttribute('data-count')).toBe('2');
      expect(await rows.first().textContent()).toMatch(/±/);
      await tallScreenshot(page, 'sweep-view.png', 1300, true);

      // The figure exports like every panel: a PNG, drawn (not blank).
      const download = await downloadFrom(page, 'figure-export-sweep-parallel');
      await download.saveAs(artifact('sweep-parallel.png'));
      const image = await decodePng(await downloadedBytes(download));
      // 2× the figure's size plus the band that holds its title and caption.
      expect(image.width).toBeGreaterThanOrEqual(900 * 2);
      expect(image.height).toBeGreaterThanOrEqual(420 * 2);
      expect(download.suggestedFilename()).toMatch(/\.png$/);
      let coloured = 0;
      for (let i = 0; i < image.pixels.length; i += 4) {
        const [r, g, b] = [image.pixels[i], image.pixels[i + 1], image.pixels[i + 2]];
        if (Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured += 1; // the score-coloured lines
      }
      expect(coloured).toBeGreaterThan(500);

      // The runs table shows the sweep's runs with the swept key as a column.
      expect(await page.locator('[data-testid="run-sort-config:learningRate"]').count()).toBe(1);

      // A seed group opens in the compare view, grouped by configuration.
      await rows.first().getByTestId('sweep-compare-group').click();
      await page.waitForSelector('[data-testid="compare-view"][data-runs="2"]', { timeout: 20_000 });
      await screenshot(page, 'sweep-compare.png');
      await page.getByTestId('compare-close').click();
      await view.waitFor({ timeout: 5_000 });
      expect(session.pageErrors).toEqual([]);
    },
  );
});
