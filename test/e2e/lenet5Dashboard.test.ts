/**
 * End to end: a short Bayesian LeNet5 run started from the generated form in the browser shell.
 * Checks that the form explains an invalid value at its field, that held-out evaluations, the
 * five layers' posterior densities, the reliability diagram and the 20-image prediction panel
 * appear while the run trains, that the step scrubber moves the evaluation figures, and that the
 * page logged no errors. Screenshots go to test/artifacts/ (look at them when the figures change).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, chromiumPath, numberOf, repoRoot, startServer, stopServer, waitForNumber } from './serveHarness';

const artifactsDir = path.join(repoRoot, 'test/artifacts');
/** Three evaluations (steps 40, 80, 120) of 5 draws: a few seconds of training on wasm. */
const steps = 120;
const evalEvery = 40;
const draws = 5;

describe('LeNet5 dashboard in the browser shell', () => {
  let runsDir = '';
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let url = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(repoRoot, 'dist/renderer/index.html'))) {
      throw new Error('dist/renderer/index.html is missing; run `npm run build:renderer` (npm test does it first).');
    }
    runsDir = await mkdtemp(path.join(tmpdir(), 'workbench-e2e-lenet5-'));
    await mkdir(artifactsDir, { recursive: true });
    ({ server, url } = await startServer(runsDir));
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') pageErrors.push(`console ${message.type()}: ${message.text()}`);
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    stopServer(server);
    if (runsDir) await rm(runsDir, { recursive: true, force: true });
  });

  it('trains from the form and shows evaluations, posteriors and predictions live', { timeout: 120_000 }, async () => {
    await page.goto(url);
    await page.waitForSelector('[data-testid="connection-state"][data-state="connected"]', { timeout: 15_000 });
    await page.getByTestId('new-run-experiment').selectOption('lenet5');
    await page.waitForSelector('[data-testid="new-run-preset"] option[value="seed"]', { state: 'attached', timeout: 15_000 });
    await page.getByTestId('new-run-preset').selectOption('seed');

    // The preset filled the form; a blank KL weight says what it amounts to.
    expect(await page.getByTestId('new-run-steps').inputValue()).toBe('6000');
    expect(await page.getByTestId('new-run-klWeight-hint').textContent()).toContain('1/9,000');

    // An invalid value is explained at its field and blocks the start.
    await page.getByTestId('new-run-steps').fill('0');
    await expect.poll(() => page.getByTestId('new-run-steps-error').textContent()).toContain('≥ 1');
    expect(await page.getByTestId('new-run-start').isDisabled()).toBe(true);

    await page.getByTestId('new-run-steps').fill(String(steps));
    await page.getByTestId('new-run-evalEvery').fill(String(evalEvery));
    await page.getByTestId('new-run-evalDraws').fill(String(draws));
    await page.getByTestId('new-run-name').fill('lenet5 e2e');
    expect(await page.getByTestId('new-run-steps-error').count()).toBe(0);
    await page.getByTestId('new-run-start').click();

    await page.waitForSelector('[data-testid="dashboard"][data-experiment="lenet5"]', { timeout: 15_000 });
    await waitForNumber(page, 'loss-chart', 'data-points', 1, 60_000);

    // Held-out evaluations arrive while the run trains; capture the dashboard mid-run.
    await waitForNumber(page, 'heldout-chart', 'data-evaluations', 1, 60_000);
    // The posterior summary follows the held-out event of the same evaluation.
    expect(await waitForNumber(page, 'posterior-mu-chart', 'data-layers', 1, 10_000)).toBe(5);
    expect(await numberOf(page, 'posterior-sigma-chart', 'data-layers')).toBe(5);
    expect(await numberOf(page, 'predictions-panel', 'data-images')).toBe(20);
    expect(await numberOf(page, 'predictions-panel', 'data-heldout')).toBe(10);
    expect(await numberOf(page, 'predictions-panel', 'data-noise')).toBe(10);
    expect(await numberOf(page, 'reliability-chart', 'data-bins')).toBeGreaterThan(0);
    expect(await page.getByTestId('loss-kl-weight').textContent()).toContain('0.000111 = 1/9000');
    await page.screenshot({ path: path.join(artifactsDir, 'lenet5-mid-run.png') });

    await page.waitForSelector('[data-testid="status-state"][data-state="completed"]', { timeout: 90_000 });
    const evaluations = await waitForNumber(page, 'heldout-chart', 'data-evaluations', steps / evalEvery, 10_000);
    expect(evaluations).toBe(steps / evalEvery);
    for (const testId of ['ece-chart', 'refusal-chart']) expect(await numberOf(page, testId, 'data-evaluations')).toBe(evaluations);

    // The scrubber follows the latest evaluation, moves the figures back, and returns.
    const scrubberBar = page.getByTestId('evaluation-scrubber-bar');
    expect(await scrubberBar.getAttribute('data-follows-latest')).toBe('true');
    expect(await numberOf(page, 'evaluation-scrubber-bar', 'data-evaluations')).toBe(evaluations);
    expect(await numberOf(page, 'predictions-panel', 'data-step')).toBe(steps);
    await page.getByTestId('evaluation-scrubber').fill('0');
    await expect.poll(() => numberOf(page, 'evaluation-scrubber-bar', 'data-step')).toBe(evalEvery);
    expect(await scrubberBar.getAttribute('data-follows-latest')).toBe('false');
    expect(await numberOf(page, 'posterior-mu-chart', 'data-step')).toBe(evalEvery);
    expect(await numberOf(page, 'predictions-panel', 'data-step')).toBe(evalEvery);
    expect(await numberOf(page, 'reliability-chart', 'data-step')).toBe(evalEvery);
    await page.getByTestId('evaluation-scrubber').fill('1');
    await expect.poll(() => numberOf(page, 'posterior-sigma-chart', 'data-step')).toBe(2 * evalEvery);
    await page.getByTestId('evaluation-scrubber-latest').click();
    await expect.poll(() => numberOf(page, 'predictions-panel', 'data-step')).toBe(steps);

    // The whole dashboard at the end, in one tall viewport (the main area scrolls by itself).
    await page.setViewportSize({ width: 1440, height: 2500 });
    await page.evaluate(() => document.querySelector('main')?.scrollTo(0, 0));
    await page.screenshot({ path: path.join(artifactsDir, 'lenet5-completed.png') });
    await page.getByTestId('predictions-panel').screenshot({ path: path.join(artifactsDir, 'lenet5-predictions.png') });

    // Exports carry title and caption; save two to look at.
    for (const id of ['predictions', 'reliability']) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`figure-export-${id}`).click()]);
      expect(download.suggestedFilename()).toBe(`lenet5-e2e-${id}.png`);
      await download.saveAs(path.join(artifactsDir, `lenet5-export-${id}.png`));
    }

    expect(pageErrors).toEqual([]);
  });
});
