/**
 * End to end: a short Bayesian LeNet5 run started from the generated form in the browser shell.
 * Checks that the form explains an invalid value at its field, that held-out evaluations, the
 * five layers' posterior densities, the reliability diagram and the 20-image prediction panel
 * appear while the run trains, that the step scrubber moves the evaluation figures, and that the
 * page logged no errors. Screenshots go to test/artifacts/ (look at them when the figures change).
 */
import { describe, expect, it } from 'vitest';
import {
  artifact,
  chooseExperiment,
  clickStart,
  downloadFrom,
  fillForm,
  numberOf,
  openApp,
  screenshot,
  tallScreenshot,
  useShellSession,
  waitForNumber,
  waitForStatus,
} from './serveHarness';

/** Three evaluations (steps 40, 80, 120) of 5 draws: a few seconds of training on wasm. */
const steps = 120;
const evalEvery = 40;
const draws = 5;

describe('LeNet5 dashboard in the browser shell', () => {
  const session = useShellSession({ tempPrefix: 'workbench-e2e-lenet5-' });

  it('trains from the form and shows evaluations, posteriors and predictions live', { timeout: 120_000 }, async () => {
    const { page } = session;
    await openApp(page, session.url);
    await chooseExperiment(page, 'lenet5', 'seed');

    // The preset filled the form; a blank KL weight says what it amounts to.
    expect(await page.getByTestId('new-run-steps').inputValue()).toBe('6000');
    expect(await page.getByTestId('new-run-klWeight-hint').textContent()).toContain('1/9,000');

    // An invalid value is explained at its field and blocks the start.
    await page.getByTestId('new-run-steps').fill('0');
    await expect.poll(() => page.getByTestId('new-run-steps-error').textContent()).toContain('≥ 1');
    expect(await page.getByTestId('new-run-start').isDisabled()).toBe(true);

    await fillForm(
      page,
      { steps: String(steps), evalEvery: String(evalEvery), evalDraws: String(draws) },
      'lenet5 e2e',
    );
    expect(await page.getByTestId('new-run-steps-error').count()).toBe(0);
    await clickStart(page);

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
    await screenshot(page, 'lenet5-mid-run.png');

    await waitForStatus(page, 'completed', 90_000);
    const evaluations = await waitForNumber(page, 'heldout-chart', 'data-evaluations', steps / evalEvery, 10_000);
    expect(evaluations).toBe(steps / evalEvery);
    for (const testId of ['ece-chart', 'refusal-chart'])
      expect(await numberOf(page, testId, 'data-evaluations')).toBe(evaluations);

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
    await tallScreenshot(page, 'lenet5-completed.png', 2500, true);
    await screenshot(page.getByTestId('predictions-panel'), 'lenet5-predictions.png');

    // Exports carry title and caption; save two to look at.
    for (const id of ['predictions', 'reliability']) {
      const download = await downloadFrom(page, `figure-export-${id}`);
      expect(download.suggestedFilename()).toBe(`lenet5-e2e-${id}.png`);
      await download.saveAs(artifact(`lenet5-export-${id}.png`));
    }

    expect(session.pageErrors).toEqual([]);
  });
});
