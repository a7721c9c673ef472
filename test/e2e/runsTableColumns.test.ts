/**
 * End to end, at 1440×900: the runs table's columns are resized by dragging a heading's right edge
 * (and by the arrow keys on it), and the width survives a reload (localStorage); comparing four
 * LeNet5 runs of the four methods shows the methods table in parts that fit the compare pane: none
 * scrolls sideways. The runs are small valid run folders written before serve starts (run.json with
 * a summary like a `quick` run's, an empty event log). Screenshots: test/artifacts/runs-table-resized.png,
 * compare-methods-1440.png.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { runRecordSchema, type RunRecord } from '../../core/contract/workbenchApi';
import { lenet5ConfigSchema } from '../../core/contract/runConfig';
import { screenshot, useShellSession } from './serveHarness';

const methodRuns: [string, Record<string, unknown>, number, number, number][] = [
  // id suffix, method settings, accuracy, held-out nats, ECE (the quick runs' numbers, rounded)
  ['vi', { method: 'vi' }, 0.988, -0.0641, 0.0145],
  ['deterministic', { method: 'deterministic' }, 0.983, -0.0823, 0.008],
  ['mc-dropout', { method: 'mcDropout', dropout: 0.1 }, 0.982, -0.0836, 0.015],
  ['ensemble', { method: 'ensemble', members: 5 }, 0.986, -0.0607, 0.0086],
];

function fixtureRun([suffix, method, accuracy, nats, ece]: (typeof methodRuns)[number], index: number): RunRecord {
  const config = lenet5ConfigSchema.parse({ experiment: 'lenet5', preset: 'quick', steps: 1500, ...method });
  const created = new Date(Date.UTC(2026, 10, 29, 12, index, 0)).toISOString();
  return runRecordSchema.parse({
    id: `20261129-12000${index}-lenet5-${suffix}`,
    name: 'lenet5 · quick · seed 0',
    tags: [],
    config,
    state: 'completed',
    createdAt: created,
    startedAt: created,
    finishedAt: created,
    step: 1500,
    totalSteps: 1500,
    summary: {
      experiment: 'lenet5',
      preset: 'quick',
      dataset: 'mnist',
      datasetName: 'MNIST (bundled 10k)',
      estimator: 'flipout',
      seed: 0,
      steps: 1500,
      batchSize: 128,
      trainImages: 8100,
      klWeight: 0.0005,
      stepsPerSecond: 8,
      finalLoss: 0.1,
      heldoutNats: nats,
      heldoutAccuracy: accuracy,
      heldoutImages: 1000,
      ece,
      noiseRefusal: 0,
      digitRefusal: 0,
      meanMaxProbabilityNoise: 0.5,
      threshold: 0.2,
      evalDraws: 50,
      evalSeconds: 5,
      workers: 1,
      brier: 0.025,
      aurc: 0.0007,
      method: config.method,
      parameterCount: 61706,
    },
  });
}

async function writeRuns(runsDir: string): Promise<void> {
  for (const [index, spec] of methodRuns.entries()) {
    const record = fixtureRun(spec, index);
    const dir = path.join(runsDir, record.id);
    await mkdir(dir);
    await writeFile(path.join(dir, 'run.json'), `${JSON.stringify(record, null, 2)}\n`);
    await writeFile(path.join(dir, 'events.ndjson'), '');
  }
}

/** The drawn width of a column's heading, px. */
const headingWidth = (page: Page, id: string) =>
  page
    .locator(`.runs-table__heading-cell[data-column="${id}"]`)
    .evaluate((cell) => Math.round(cell.getBoundingClientRect().width));

describe('runs table columns and the methods table at 1440×900', () => {
  const session = useShellSession({
    tempPrefix: 'workbench-e2e-columns-',
    prepare: writeRuns,
    viewport: { width: 1440, height: 900 },
    setupTimeoutMs: 180_000,
  });

  it(
    'resizes a column by dragging its edge and by the keyboard, and keeps the width after a reload',
    { timeout: 120_000 },
    async () => {
      const { page } = session;
      await page.goto(session.url);
      await page.waitForSelector('[data-testid="run-list-entry"]', { timeout: 60_000 });
      const before = await headingWidth(page, 'method');
      const edge = await page.getByTestId('run-resize-method').boundingBox();
      expect(edge).not.toBeNull();
      const x = edge!.x + edge!.width / 2;
      const y = edge!.y + edge!.height / 2;
      await page.mouse.move(x, y);
      await page.mouse.down();
      await page.mouse.move(x + 40, y, { steps: 4 });
      await page.mouse.move(x + 80, y, { steps: 4 });
      await page.mouse.up();
      const dragged = await headingWidth(page, 'method');
      expect(Math.abs(dragged - (before + 80))).toBeLessThanOrEqual(2);
      // The rows follow the heading: a method cell is as wide as its heading.
      const cellWidth = await page
        .locator('[data-testid="run-list-entry"]')
        .first()
        .locator('[data-column="method"]')
        .evaluate((cell) => Math.round(cell.getBoundingClientRect().width));
      expect(Math.abs(cellWidth - dragged)).toBeLessThanOrEqual(2);
      // Sorting was not triggered by the drag.
      expect(await page.getByTestId('run-sort-method').getAttribute('data-sort')).toBeNull();

      await page.getByTestId('run-resize-method').focus();
      await page.keyboard.press('ArrowRight');
      const keyed = await headingWidth(page, 'method');
      expect(keyed).toBe(dragged + 16);
      expect(await page.getByTestId('run-resize-method').getAttribute('aria-valuenow')).toBe(String(keyed));
      await screenshot(page, 'runs-table-resized.png');

      await page.reload();
      await page.waitForSelector('[data-testid="run-list-entry"]', { timeout: 60_000 });
      expect(await headingWidth(page, 'method')).toBe(keyed);

      // A double click gives the column its own width back, also after a reload.
      await page.getByTestId('run-resize-method').dblclick();
      expect(Math.abs((await headingWidth(page, 'method')) - before)).toBeLessThanOrEqual(1);
      await page.reload();
      await page.waitForSelector('[data-testid="run-list-entry"]', { timeout: 60_000 });
      expect(Math.abs((await headingWidth(page, 'method')) - before)).toBeLessThanOrEqual(1);
      expect(session.pageErrors).toEqual([]);
    },
  );

  it('shows the methods table of four methods without sideways scrolling', { timeout: 120_000 }, async () => {
    const { page } = session;
    const boxes = page.getByTestId('run-compare-checkbox');
    for (let i = 0; i < methodRuns.length; i += 1) await boxes.nth(i).check();
    await page.getByTestId('run-compare-open').click();
    const table = page.locator('[data-testid="methods-table"][data-task="classification"]');
    await table.waitFor({ timeout: 30_000 });
    // The compare view loads each run's data on its own: the table fills in as they arrive.
    await expect.poll(() => table.getByTestId('methods-row').count(), { timeout: 30_000 }).toBe(4);
    const parts = await page.locator('[data-testid^="methods-part-classification-"]').evaluateAll((elements) =>
      elements.map((element) => ({
        part: element.getAttribute('data-testid'),
        scrollWidth: element.scrollWidth,
        clientWidth: element.clientWidth,
      })),
    );
    expect(parts.map((part) => part.part)).toEqual([
      'methods-part-classification-scores',
      'methods-part-classification-ood',
      'methods-part-classification-cost',
    ]);
    for (const part of parts) expect(part.scrollWidth, part.part!).toBeLessThanOrEqual(part.clientWidth);
    const methods = await table
      .getByTestId('methods-row')
      .evaluateAll((rows) => rows.map((row) => row.querySelector('td')?.textContent?.trim()));
    expect(methods.sort()).toEqual(['Deep ensemble (M = 5)', 'Deterministic (MAP)', 'MC dropout', 'Mean-field VI']);
    await table.scrollIntoViewIfNeeded();
    await screenshot(page, 'compare-methods-1440.png');
    expect(session.pageErrors).toEqual([]);
  });
});
