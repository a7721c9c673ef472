/**
 * End to end: a short LeNet5 run trained through the browser shell, then a real drop on the window
 * (a DataTransfer of File objects built in the page from bytes: a digit PNG, a noise PNG, a letter
 * PNG and a corrupt file). Checks the verdicts, the per-file error, that the threshold slider moves
 * the refusals without a new request, calibration, and the stored OOD evaluation. Screenshots go to
 * test/artifacts/.
 */
import { describe, expect, it } from 'vitest';
import { digitPng, letterPng, noisePng } from '../fixtures/oodImageFiles';
import { openApp, screenshot, startFromForm, useShellSession, waitForNumber, waitForStatus } from './serveHarness';

const steps = 150;

describe('unfamiliar images dropped on the window', () => {
  const session = useShellSession({
    tempPrefix: 'workbench-e2e-ood-',
    viewport: { width: 1440, height: 1000 },
    consoleWarnings: false,
  });

  it(
    "trains, then classifies a real drop and shows each verdict and the corrupt file's error",
    { timeout: 400_000 },
    async () => {
      const { page } = session;
      const requests: string[] = [];
      page.on('websocket', (socket) => socket.on('framesent', (frame) => requests.push(String(frame.payload))));
      await openApp(page, session.url);
      await startFromForm(page, {
        experiment: 'lenet5',
        preset: 'seed',
        selectPreset: false,
        fields: { steps: String(steps), evalEvery: String(steps), evalDraws: '5' },
        name: 'ood e2e',
      });
      await waitForStatus(page, 'completed', 240_000);
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
      await page.waitForFunction(
        () => {
          const panel = document.querySelector('[data-testid="ood-panel"]');
          return Number(panel?.getAttribute('data-done')) + Number(panel?.getAttribute('data-errors')) === 4;
        },
        undefined,
        { timeout: 60_000 },
      );
      const card = (name: string) => page.locator(`[data-testid="ood-card"][data-name="${name}"]`);
      expect(await card('corrupt.png').getAttribute('data-state')).toBe('error');
      // Decoded on the host (sharp), as in Electron and the CLI: the same message everywhere.
      expect(await card('corrupt.png').getByTestId('ood-error').textContent()).toMatch(
        /^"corrupt\.png" could not be decoded \(.+\); the file is damaged or truncated\.$/,
      );
      for (const name of ['digit-7.png', 'noise.png', 'letter-K.png'])
        expect(await card(name).getAttribute('data-state')).toBe('done');
      expect(await card('digit-7.png').getAttribute('data-predicted')).toBe('7');
      expect(await card('digit-7.png').getAttribute('data-refused')).toBe('false');
      const digitMax = Number(await card('digit-7.png').getAttribute('data-max-probability'));
      const noiseMax = Number(await card('noise.png').getAttribute('data-max-probability'));
      expect(digitMax).toBeGreaterThan(noiseMax);
      await screenshot(page.getByTestId('ood-panel'), 'ood-drop.png');

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
      await screenshot(page.locator('section.panel', { has: page.getByTestId('ood-evaluate') }), 'ood-evaluation.png');
      expect(session.pageErrors).toEqual([]);
    },
  );
});
