/**
 * End to end: the browser shell (electron/serve.ts) serving the built renderer, driven by
 * Chromium through playwright-core. Starts a short sinusoid run from the form and checks that
 * the loss chart and the predictive band update live, that the run completes, and that the page
 * logged no errors (a CSP violation would show up here). `npm test` builds the renderer first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const artifactsDir = path.join(repoRoot, 'test/artifacts');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Short enough for CI, long enough for three band snapshots (the default evaluates every 100). */
const epochs = 300;

const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Starts serve.ts on a free port and resolves with the URL (token included) it prints. */
function startServer(runsDir: string): Promise<{ server: ChildProcess; url: string }> {
  // Its own process group, so afterAll can end npx, tsx and node together by this one id.
  const server = spawn('npx', ['tsx', 'electron/serve.ts', '--port', '0', '--runs-dir', runsDir], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve.ts printed no URL within 60 s.\nstdout: ${stdout}\nstderr: ${stderr}`)), 60_000);
    server.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /Bayesian Workbench: (http\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ server, url: match[1] });
      }
    });
    server.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    server.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve.ts exited with code ${code} before printing its URL.\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
}

function stopServer(server: ChildProcess | undefined): void {
  if (!server?.pid || server.exitCode !== null) return;
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

/** Waits until `attribute` of the element with `testId` satisfies `minimum` (numeric) and returns it. */
async function waitForNumber(page: Page, testId: string, attribute: string, minimum: number, timeout: number): Promise<number> {
  await page.waitForFunction(
    ({ testId, attribute, minimum }) => Number(document.querySelector(`[data-testid="${testId}"]`)?.getAttribute(attribute) ?? NaN) >= minimum,
    { testId, attribute, minimum },
    { timeout, polling: 100 },
  );
  return Number(await page.getByTestId(testId).getAttribute(attribute));
}

describe('sinusoid in the browser shell', () => {
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
    runsDir = await mkdtemp(path.join(tmpdir(), 'workbench-e2e-'));
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

  it('starts a run, streams loss and band updates, and completes', { timeout: 300_000 }, async () => {
    await page.goto(url);
    await page.waitForSelector('[data-testid="connection-state"][data-state="connected"]', { timeout: 15_000 });
    await page.waitForSelector('[data-testid="new-run-preset"] option[value="default"]', { state: 'attached', timeout: 15_000 });

    await page.getByTestId('new-run-experiment').selectOption('sinusoid');
    await page.getByTestId('new-run-preset').selectOption('default');
    await page.getByTestId('new-run-epochs').fill(String(epochs));
    await page.getByTestId('new-run-start').click();

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
    await page.screenshot({ path: path.join(artifactsDir, 'sinusoid-mid-run.png') });
    const bandUpdates = await waitForNumber(page, 'regression-chart', 'data-band-updates', 2, 120_000);
    expect(bandUpdates).toBeGreaterThanOrEqual(2);
    expect(Number(await page.getByTestId('regression-chart').getAttribute('data-points'))).toBeGreaterThan(100);

    // It completes, and the list shows it so.
    await page.waitForSelector('[data-testid="status-state"][data-state="completed"]', { timeout: 240_000 });
    await page.waitForSelector(`[data-testid="run-list-item"][data-run-id="${runId}"][data-state="completed"]`, { timeout: 15_000 });
    expect(await page.getByTestId('status-step').textContent()).toContain(`${epochs} / ${epochs}`);
    expect(Number(await page.getByTestId('progress-bar').getAttribute('data-progress'))).toBe(100);
    expect(Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBeGreaterThan(firstPoints);
    await page.screenshot({ path: path.join(artifactsDir, 'sinusoid-completed.png') });

    // Reloading the page rebuilds the same view from the stored history.
    await page.reload();
    await page.waitForSelector(`[data-testid="run-list-item"][data-run-id="${runId}"][data-state="completed"]`, { timeout: 15_000 });
    await page.locator(`[data-testid="run-list-item"][data-run-id="${runId}"]`).click();
    await waitForNumber(page, 'regression-chart', 'data-band-updates', 1, 15_000);
    await waitForNumber(page, 'loss-chart', 'data-points', 1, 15_000);

    expect(pageErrors).toEqual([]);

    // When the host goes away the page says so instead of failing silently.
    stopServer(server);
    await page.waitForSelector('[data-testid="connection-state"][data-state="disconnected"]', { timeout: 15_000 });
    await page.getByTestId('connection-banner').waitFor({ timeout: 5_000 });
  });
});
