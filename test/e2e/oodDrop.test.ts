/**
 * End to end: a short LeNet5 run trained through the browser shell, then a real drop on the window
 * (a DataTransfer of File objects built in the page from bytes: a digit PNG, a noise PNG, a letter
 * PNG and a corrupt file). Checks the verdicts, the per-file error, that the threshold slider moves
 * the refusals without a new request, calibration, and the stored OOD evaluation. Screenshots go to
 * test/artifacts/.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digitPng, letterPng, noisePng } from '../fixtures/oodImageFiles';
import { chromiumArgs, chromiumPath, repoRoot, startServer, stopServer, waitForNumber } from './serveHarness';

const artifactsDir = path.join(repoRoot, 'test/artifacts');
const steps = 150;

describe('unfamiliar images dropped on the window', () => {
  let runsDir = '';
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let url = '';
  const pageErrors: string[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(repoRoot, 'dist/renderer/index.html'))) {
      throw new Error('dist/renderer/index.html is missing; run `npm run build:renderer` (npm test does it first).');
    }
    runsDir = await mkdtemp(path.join(tmpdir(), 'workbench-e2e-ood-'));
    await mkdir(artifactsDir, { recursive: true });
    ({ server, url } = await startServer(runsDir));
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('websocket', (socket) => socket.on('framesent', (frame) => requests.push(String(frame.payload))));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    stopServer(server);
    if (runsDir) await rm(runsDir, { recursive: true, force: true });
  });

  it('trains, then classifies a real drop and shows each verdict and the corrupt file\'s error', { timeout: 400_000 }, async () => {
    await page.goto(url);
    await page.waitForSelector('[data-testid="connection-state"][data-state="connected"]', { timeout: 15_000 });
    await page.getByTestId('new-run-experiment').selectOption('lenet5');
    await page.waitForSelector('[data-testid="new-run-preset"] option[value="seed"]', { state: 'attached', timeout: 15_000 });
    await page.getByTestId('new-run-steps').fill(String(steps));
    await page.getByTestId('new-run-evalEvery').fill(String(steps));
    await page.getByTestId('new-run-evalDraws').fill('5');
    await page.getByTestId('new-run-name').fill('ood e2e');
    await page.getByTestId('new-run-start').click();
    await page.waitForSelector('[data-testid="status-state"][data-state="completed"]', { timeout: 240_000 });
    await page.waitForSelector('[data-testid="ood-panel"]');

    const digit = await digitPng(7);
    const corrupt = Buffer.from(digit.bytes);
    for (let i = 40; i < corrupt.length; i += 5) corrupt[i] ^= 0x5a; // the header says PNG, the data are scrambled
    const files = [
      { name: 'digit-7.png', type: 'image/png', base64: digit.bytes.toString('base64') },
      { name: 'noise.png', type: 'image/png', base64: (await noisePng()).toString('base64') },
      { name: 'letter-K.png', type: 'image/png', base64: letterPng('K').toString('base64') },
      { name: 'corrupt.png', type: 'image/png', base64: corrupt.toString('base64') },
    ];
    // A real drop: File objects in a DataTransfer, dispatched on the window as the browser would.
    await page.evaluate((specs) => {
      const transfer = new DataTransfer();
      for (const spec of specs) {
        const bytes = Uint8Array.from(atob(spec.base64), (c) => c.charCodeAt(0));
        transfer.items.add(new File([bytes], spec.name, { type: spec.type }));
      }
      const target = document.querySelector('main') ?? document.body;
      target.dispatchEvent(new DragEvent('dragenter', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, files);

    expect(await waitForNumber(page, 'ood-panel', 'data-items', 4, 5_000)).toBe(4);
    await page.waitForFunction(() => {
      const panel = document.querySelector('[data-testid="ood-panel"]');
      return Number(panel?.getAttribute('data-done')) + Number(panel?.getAttribute('data-errors')) === 4;
    }, undefined, { timeout: 60_000 });
    const card = (name: string) => page.locator(`[data-testid="ood-card"][data-name="${name}"]`);
    expect(await card('corrupt.png').getAttribute('data-state')).toBe('error');
    expect(await card('corrupt.png').getByTestId('ood-error').textContent()).toBe('"corrupt.png" could not be decoded; the PNG file is damaged or truncated.');
    for (const name of ['digit-7.png', 'noise.png', 'letter-K.png']) expect(await card(name).getAttribute('data-state')).toBe('done');
    expect(await card('digit-7.png').getAttribute('data-predicted')).toBe('7');
    expect(await card('digit-7.png').getAttribute('data-refused')).toBe('false');
    const digitMax = Number(await card('digit-7.png').getAttribute('data-max-probability'));
    const noiseMax = Number(await card('noise.png').getAttribute('data-max-probability'));
    expect(digitMax).toBeGreaterThan(noiseMax);
    await page.getByTestId('ood-panel').screenshot({ path: path.join(artifactsDir, 'ood-drop.png') });

    // The slider moves every refusal at once, from the mean probabilities already here: no request.
    const sentBefore = requests.length;
    await page.getByTestId('ood-threshold').fill('1');
    await expect.poll(() => card('digit-7.png').getAttribute('data-refused')).toBe('true');
    expect(await page.getByTestId('ood-refused-badge').count()).toBe(3);
    expect(requests.slice(sentBefore).filter((frame) => frame.includes('classify'))).toEqual([]);

    await page.getByTestId('ood-calibrate').click();
    await page.waitForSelector('[data-testid="ood-calibration"]', { timeout: 60_000 });
    const calibrated = Number(await page.getByTestId('ood-threshold-value').textContent());
    expect(calibrated).toBeGreaterThan(0);
    expect(calibrated).toBeLessThan(1);

    await page.getByTestId('ood-evaluate').click();
    await page.waitForSelector('[data-testid="ood-evaluation"]', { timeout: 240_000 });
    const rows = await page.getByTestId('ood-table-row').count();
    expect(rows).toBeGreaterThanOrEqual(4); // noise ×3 and letters, plus Fashion-MNIST where installed
    await page.getByTestId('ood-evaluation').scrollIntoViewIfNeeded();
    await page.setViewportSize({ width: 1440, height: 2200 });
    await page.locator('section.panel', { has: page.getByTestId('ood-evaluate') }).screenshot({ path: path.join(artifactsDir, 'ood-evaluation.png') });
    expect(pageErrors).toEqual([]);
  });
});
