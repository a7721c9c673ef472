/**
 * End to end: "Export report" in Chromium against the browser shell. Two short sinusoid runs are
 * trained with the CLI into the shell's runs folder; the run view's Export report shows its
 * progress and downloads `<run name>-report.png`, which decodes to the layout's size at 2× with
 * every panel drawn; at 3× a panel's PNG is three times its size; a panel's SVG, PDF and CSV
 * buttons download vector files with the figure's text and its numbers; its Copy puts the PNG on
 * the clipboard (read back through the Clipboard API); the compare view's Export report
 * downloads the comparison. The page logs no errors.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { comparisonReportLayout } from '../../core/figures/comparisonReport';
import { runReportLayout } from '../../core/figures/runReport';
import { comparisonRunOf, loadRunFolder } from '../../electron/host/runReports';
import { cliJson } from '../fixtures/cliProcess';
import { checkReportImage, decodePng } from '../integration/reportImage';
import { compareImages, pdfFonts, pdfText, renderPdf, summariseSvg } from '../fixtures/vectorChecks';
import {
  artifact,
  downloadedBytes,
  downloadFrom,
  openApp,
  openComparison,
  runEntry,
  useShellSession,
  waitForNumber,
} from './serveHarness';

async function trainRun(runsDir: string, seed: number): Promise<string> {
  const args = ['train', '--experiment', 'sinusoid', '--epochs', '120', '--seed', String(seed)];
  return (await cliJson([...args, '--backend', 'wasm', '--runs-dir', runsDir])).runDir;
}

describe('Export report in the browser shell', () => {
  let runDirs: string[] = [];
  const session = useShellSession({
    tempPrefix: 'workbench-e2e-report-',
    consoleWarnings: false,
    prepare: async (runsDir) => {
      runDirs = [await trainRun(runsDir, 1), await trainRun(runsDir, 2)];
    },
    setupTimeoutMs: 180_000,
  });
  let page: typeof session.page;

  beforeAll(async () => {
    page = session.page;
    await openApp(page, session.url);
  });

  it('downloads the run report as a 2× PNG with every panel', { timeout: 90_000 }, async () => {
    const { record, data } = await loadRunFolder(runDirs[0]);
    await runEntry(page, record.id).getByTestId('run-list-item').click();
    await waitForNumber(page, 'regression-chart', 'data-step', 120, 30_000);
    await waitForNumber(page, 'loss-chart', 'data-points', 120, 10_000);

    // The progress indicator may come and go between two polls: a MutationObserver notes it.
    await page.evaluate(() => {
      const seen = { progress: false };
      (window as unknown as { reportProgressSeen: typeof seen }).reportProgressSeen = seen;
      new MutationObserver(
        () => (seen.progress ||= document.querySelector('[data-testid="report-progress"]') !== null),
      ).observe(document.body, { childList: true, subtree: true });
    });
    const download = await downloadFrom(page, 'export-report', 60_000);
    await download.saveAs(artifact('report-run.png'));
    expect(
      await page.evaluate(
        () => (window as unknown as { reportProgressSeen: { progress: boolean } }).reportProgressSeen.progress,
      ),
    ).toBe(true);
    expect(download.suggestedFilename()).toBe(`${record.name.replace(/[^A-Za-z0-9._-]+/g, '-')}-report.png`);
    const image = await decodePng(await downloadedBytes(download));
    const layout = runReportLayout(record, data);
    expect(image.width).toBe(layout.width * 2);
    expect(checkReportImage(image, layout, 2)).toEqual([]);
    await page.waitForSelector('[data-testid="export-saved"]', { timeout: 10_000 });
    expect(await page.getByTestId('report-progress').count()).toBe(0);
  });

  it('exports a panel at 3× once 3× is chosen', { timeout: 30_000 }, async () => {
    await page.getByTestId('export-density').selectOption('3');
    const download = await downloadFrom(page, 'figure-export-loss');
    const image = await decodePng(await downloadedBytes(download));
    expect([image.width, image.height]).toEqual([900 * 3, 500 * 3]);
    await page.getByTestId('export-density').selectOption('2');
  });

  it(
    'a panel saves SVG and PDF (vector, text as text, font embedded) and its numbers as CSV',
    { timeout: 60_000 },
    async () => {
      // The store shows why an export failed; say it rather than only that no download came.
      const download = (testId: string) =>
        downloadFrom(page, testId, 20_000).catch(async (error: Error) => {
          const shown = await page
            .getByTestId('export-error')
            .textContent({ timeout: 1000 })
            .catch(() => null);
          throw new Error(`${error.message}${shown ? ` (the page says: ${shown})` : ''}`);
        });
      const svgDownload = await download('figure-export-svg-loss');
      expect(svgDownload.suggestedFilename()).toMatch(/-loss\.svg$/);
      const svg = summariseSvg((await downloadedBytes(svgDownload)).toString('utf8'));
      const texts = svg.texts.map((text) => text.text);
      expect(texts).toContain('Training loss per step');
      expect(texts).toContain('training step');
      expect(svg.paths.length).toBeGreaterThan(3);
      expect(svg.images).toBe(0);

      const pdfDownload = await download('figure-export-pdf-loss');
      expect(pdfDownload.suggestedFilename()).toMatch(/-loss\.pdf$/);
      const pdf = await downloadedBytes(pdfDownload);
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(await pdfText(pdf)).toContain('Training loss per step');
      for (const font of await pdfFonts(pdf)) expect(font.embedded).toBe(true);
      // Rendered by poppler, it is the panel's PNG (same layout, block difference as in the unit tests).
      const png = await downloadedBytes(await download('figure-export-loss'));
      const image = await decodePng(png);
      const rendered = await renderPdf(pdf, (image.width / 675) * 72);
      expect(compareImages(image, rendered).differingBlocks).toBeLessThan(0.03);

      const csv = (await downloadedBytes(await download('figure-csv-loss'))).toString('utf8');
      expect(csv.split('\n')[0]).toBe('series,training step,y,y axis');
      expect(csv.trim().split('\n').length).toBeGreaterThan(120);
    },
  );

  it("a panel's Copy puts its PNG on the clipboard", { timeout: 60_000 }, async () => {
    // Headless Chromium grants the Clipboard API only when asked to, for the app's origin.
    await page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(session.url).origin });
    await page.bringToFront();
    // Something else first, so what is read back can only have come from Copy.
    await page.evaluate(() => navigator.clipboard.writeText('not a figure'));
    await page.getByTestId('figure-copy-loss').click();
    await page.getByTestId('export-saved').filter({ hasText: 'clipboard (loss)' }).waitFor({ timeout: 20_000 });
    const copied = await page.evaluate(async () => {
      const items = await navigator.clipboard.read();
      const item = items.find((candidate) => candidate.types.includes('image/png'));
      if (!item) return { types: items.flatMap((candidate) => candidate.types), bytes: '' };
      const bytes = new Uint8Array(await (await item.getType('image/png')).arrayBuffer());
      let binary = '';
      for (const byte of bytes) binary += String.fromCharCode(byte);
      return { types: item.types, bytes: btoa(binary) };
    });
    expect(copied.types).toContain('image/png');
    const png = Buffer.from(copied.bytes, 'base64');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // Chromium re-encodes what it puts on the clipboard: the same picture as the panel's PNG, at 2×.
    const image = await decodePng(png);
    expect([image.width, image.height]).toEqual([900 * 2, 500 * 2]);
    const saved = await decodePng(await downloadedBytes(await downloadFrom(page, 'figure-export-loss', 20_000)));
    const difference = compareImages(saved, image);
    expect(difference.meanAbsoluteDifference).toBeLessThan(1);
    expect(difference.differingBlocks).toBeLessThan(0.001);
  });

  it('downloads the comparison report from the compare view', { timeout: 90_000 }, async () => {
    await openComparison(
      page,
      runDirs.map((dir) => path.basename(dir)),
      15_000,
    );
    await waitForNumber(page, 'compare-view', 'data-points', 240, 30_000);
    const download = await downloadFrom(page, 'export-report', 60_000);
    await download.saveAs(artifact('report-comparison.png'));
    const runs = (await Promise.all(runDirs.map((dir) => loadRunFolder(dir)))).map(comparisonRunOf);
    // The compare view's grouping starts at "none": the methods table has a row per run.
    const layout = comparisonReportLayout(runs, { grouping: 'none' });
    expect(download.suggestedFilename()).toBe(layout.fileName);
    expect(checkReportImage(await decodePng(await downloadedBytes(download)), layout, 2)).toEqual([]);
    expect(session.pageErrors).toEqual([]);
  });
});
