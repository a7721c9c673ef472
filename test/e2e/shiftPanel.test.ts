/**
 * End to end: the Shift panel of a LeNet5 run with a stored shift evaluation (made in `prepare` by
 * the host's ShiftService on a checkpoint, with few images and draws so it is quick), in the
 * browser shell: the OOD AUROC table, the score-vs-shift curves and the figure-3 charts drawn, and
 * the "Evaluate shift" button offered. A screenshot goes to test/artifacts/shift-panel.png.
 */
import { describe, expect, it } from 'vitest';
import { noiseImages } from '../../core/data/noise';
import { openHostServices } from '../../electron/host/hostServices';
import { writeLenet5RunWithCheckpoint, writeRunWithoutCheckpoint } from '../fixtures/lenet5Checkpoint';
import { openApp, runEntry, screenshot, useShellSession } from './serveHarness';

const runId = 'lenet5-shift';

describe('the Shift panel', () => {
  const session = useShellSession({
    tempPrefix: 'workbench-e2e-shift-',
    consoleWarnings: false,
    viewport: { width: 1440, height: 1000 },
    setupTimeoutMs: 180_000,
    prepare: async (runsDir) => {
      await writeLenet5RunWithCheckpoint(runsDir, runId);
      await writeRunWithoutCheckpoint(runsDir, 'lenet5-no-checkpoint', 'lenet5');
      await writeRunWithoutCheckpoint(runsDir, 'a-sinusoid', 'sinusoid');
      const services = await openHostServices({
        runsDir,
        shell: 'test',
        access: 'owner',
        recoverRuns: false,
        shiftSets: {
          imagesPerSet: 16,
          referenceSets: async () => ({
            sets: [
              {
                name: 'Noise: uniform',
                description: '16 images of U[0, 1) pixels.',
                count: 16,
                images: noiseImages('uniform', 16, 3),
              },
            ],
            skipped: [],
          }),
        },
      });
      try {
        await services.shift.evaluateShift(runId, { draws: 2 });
      } finally {
        await services.runManager.close();
      }
    },
  });

  it('shows the stored evaluation: AUROC table, shift curves and figure 3', { timeout: 90_000 }, async () => {
    const { page } = session;
    await openApp(page, session.url);
    await runEntry(page, runId).getByTestId('run-list-item').click();
    const panel = page.getByTestId('shift-evaluation');
    await panel.waitFor({ timeout: 30_000 });
    expect(await panel.getAttribute('data-step')).toBe('400');
    expect(await page.getByTestId('shift-ood-table').locator('tbody tr').count()).toBe(1);
    for (const id of [
      'shift-rotation-accuracy',
      'shift-rotation-ece',
      'shift-roll-meanEntropy',
      'shift-confidence-accuracy',
      'shift-confidence-count',
      'shift-confidence-histogram',
    ]) {
      await page.getByTestId(id).locator('canvas').first().waitFor({ timeout: 10_000 });
    }
    expect(await page.getByTestId('shift-evaluate').isEnabled()).toBe(true);
    await page.getByTestId('shift-evaluation').scrollIntoViewIfNeeded();
    await screenshot(page, 'shift-panel.png');
    expect(session.pageErrors).toEqual([]);
  });

  it(
    'says why a run without a checkpoint cannot be evaluated, and offers no Shift panel for a regression run',
    { timeout: 60_000 },
    async () => {
      const { page } = session;
      await runEntry(page, 'lenet5-no-checkpoint').getByTestId('run-list-item').click();
      await page.getByTestId('shift-empty').waitFor({ timeout: 30_000 });
      await page.getByTestId('shift-evaluate').click();
      const error = page.getByTestId('shift-error');
      await error.waitFor({ timeout: 30_000 });
      expect(await error.textContent()).toContain(
        'Run "lenet5-no-checkpoint" was stopped at step 10, before its first checkpoint, so it has no network to classify images with; start a new run.',
      );
      expect(await page.getByTestId('shift-evaluation').count()).toBe(0);
      await error.scrollIntoViewIfNeeded();
      await screenshot(page, 'shift-panel-no-checkpoint.png');

      await runEntry(page, 'a-sinusoid').getByTestId('run-list-item').click();
      await page.waitForSelector('[data-testid="dashboard"][data-experiment="sinusoid"]', { timeout: 30_000 });
      expect(await page.getByTestId('shift-evaluate').count()).toBe(0);
    },
  );
});
