/**
 * End to end: "Export report" in Chromium against the browser shell. Two short sinusoid runs are
 * trained with the CLI into the shell's runs folder; the run view's Export report shows its
 * progress and downloads `<run name>-report.png`, which decodes to the layout's size at 2× with
 * every panel drawn; at 3× a panel's PNG is three times its size; the compare view's Export report
 * downloads the comparison. The page logs no errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Download, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparisonReportLayout } from '../../core/figures/comparisonReport';
import { runReportLayout } from '../../core/figures/runReport';
import { comparisonRunOf, loadRunFolder } from '../../electron/host/runReports';
import { checkReportImage, decodePng } from '../integration/reportImage';
import { chromiumArgs, chromiumPath, repoRoot, startServer, stopServer, waitForNumber } from './serveHarness';

const artifactsDir = path.join(repoRoot, 'test/artifacts');

function trainRun(runsDir: string, seed: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', 'electron/cli.ts', 'train', '--experiment', 'sinusoid', '--epochs', '120', '--seed', String(seed), '--backend', 'wasm', '--runs-dir', runsDir, '--json'];
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout.trimEnd().split('\n').at(-1)!).runDir) : reject(new Error(`train exited with ${code}: ${stderr}`))));
  });
}

async function downloadedBytes(download: Download): Promise<Buffer> {
  const file = await download.path();
  if (!file) throw new Error(`The download ${download.suggestedFilename()} has no file.`);
  return readFile(file);
}

describe('Export report in the browser shell', () => {
  let runsDir = '';
  let runDirs: string[] = [];
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(repoRoot, 'dist/renderer/index.html'))) {
      throw new Error('dist/renderer/index.html is missing; run `npm run build:renderer` (npm test does it first).');
    }
    runsDir = await mkdtemp(path.join(tmpdir(), 'workbench-e2e-report-'));
    await mkdir(artifactsDir, { recursive: true });
    runDirs = [await trainRun(runsDir, 1), await trainRun(runsDir, 2)];
    let url: string;
    ({ server, url } = await startServer(runsDir));
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`console error: ${message.text()}`);
    });
    await page.goto(url);
    await page.waitForSelector('[data-testid="connection-state"][data-state="connected"]', { timeout: 15_000 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    stopServer(server);
    if (runsDir) await rm(runsDir, { recursive: true, force: true });
  });

  it('downloads the run report as a 2× PNG with every panel', { timeout: 90_000 }, async () => {
    const { record, data } = await loadRunFolder(runDirs[0]);
    await page.locator(`[data-testid="run-list-entry"][data-run-id="${record.id}"] [data-testid="run-list-item"]`).click();
    await waitForNumber(page, 'regression-chart', 'data-step', 120, 30_000);
    await waitForNumber(page, 'loss-chart', 'data-points', 120, 10_000);

    // The progress indicator may come and go between two polls: a MutationObserver notes it.
    await page.evaluate(() => {
      const seen = { progress: false };
      (window as unknown as { reportProgressSeen: typeof seen }).reportProgressSeen = seen;
      new MutationObserver(() => (seen.progress ||= document.querySelector('[data-testid="report-progress"]') !== null)).observe(document.body, { childList: true, subtree: true });
    });
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('export-report').click()]);
    await download.saveAs(path.join(artifactsDir, 'report-run.png'));
    expect(await page.evaluate(() => (window as unknown as { reportProgressSeen: { progress: boolean } }).reportProgressSeen.progress)).toBe(true);
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
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('figure-export-loss').click()]);
    const image = await decodePng(await downloadedBytes(download));
    expect([image.width, image.height]).toEqual([900 * 3, 500 * 3]);
    await page.getByTestId('export-density').selectOption('2');
  });

  it('downloads the comparison report from the compare view', { timeout: 90_000 }, async () => {
    for (const dir of runDirs) await page.locator(`[data-testid="run-list-entry"][data-run-id="${path.basename(dir)}"] [data-testid="run-compare-checkbox"]`).check();
    await page.getByTestId('run-compare-open').click();
    await page.waitForSelector('[data-testid="compare-view"][data-runs="2"]', { timeout: 15_000 });
    await waitForNumber(page, 'compare-view', 'data-points', 240, 30_000);
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.getByTestId('export-report').click()]);
    await download.saveAs(path.join(artifactsDir, 'report-comparison.png'));
    const runs = (await Promise.all(runDirs.map((dir) => loadRunFolder(dir)))).map(comparisonRunOf);
    const layout = comparisonReportLayout(runs);
    expect(download.suggestedFilename()).toBe(layout.fileName);
    expect(checkReportImage(await decodePng(await downloadedBytes(download)), layout, 2)).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
