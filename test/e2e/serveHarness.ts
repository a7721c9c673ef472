/**
 * What the end-to-end tests share: the browser shell (electron/serve.ts) on a free port with its
 * own runs folder, headless Debian Chromium through playwright-core with one page whose errors are
 * collected, screenshots into test/artifacts/, and the steps a user repeats (open the app, start a
 * run from the form, wait for a state, download an export) — plus waiting on the numeric data-*
 * attributes the figures expose for tests.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Download, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { repoRoot, startServe, type ServeProcess } from '../fixtures/serveProcess';

export { repoRoot };
export const artifactsDir = path.join(repoRoot, 'test/artifacts');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface ShellSessionOptions {
  /** Prefix of the temporary runs folder. */
  tempPrefix: string;
  viewport?: { width: number; height: number };
  /** Count console warnings as errors too (default), or only console errors. */
  consoleWarnings?: boolean;
  /** Runs on the runs folder before the server starts (e.g. training runs with the CLI). */
  prepare?: (runsDir: string) => Promise<void>;
  /** More arguments for serve (e.g. `--queue URL`), asked for after `prepare`. */
  serveArgs?: () => string[];
  /** For beforeAll: server, browser and `prepare` together. */
  setupTimeoutMs?: number;
}

export interface ShellSession {
  readonly runsDir: string;
  readonly serve: ServeProcess;
  /** The URL (token included) of the running server. */
  readonly url: string;
  readonly page: Page;
  /** Page errors and console errors (and warnings, unless turned off) seen so far. */
  readonly pageErrors: string[];
  /** Ends the server with `signal` and starts a new one on the same runs folder. */
  restartServe(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

/**
 * Registers beforeAll/afterAll for the calling describe block: a runs folder, the server on it,
 * Chromium and one page. Fields are valid inside tests and later hooks.
 */
export function useShellSession(options: ShellSessionOptions): ShellSession {
  let runsDir = '';
  let serve: ServeProcess | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  const pageErrors: string[] = [];
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`The end-to-end session has no ${what}; did its beforeAll fail?`);
    return value;
  };

  beforeAll(async () => {
    if (!existsSync(path.join(repoRoot, 'dist/renderer/index.html'))) {
      throw new Error('dist/renderer/index.html is missing; run `npm run build:renderer` (npm test does it first).');
    }
    runsDir = await mkdtemp(path.join(tmpdir(), options.tempPrefix));
    await mkdir(artifactsDir, { recursive: true });
    await options.prepare?.(runsDir);
    serve = await startServe(runsDir, undefined, options.serveArgs?.() ?? []);
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
    page = await browser.newPage({ viewport: options.viewport ?? { width: 1440, height: 900 }, acceptDownloads: true });
    const reported = options.consoleWarnings === false ? ['error'] : ['error', 'warning'];
    page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (reported.includes(message.type())) pageErrors.push(`console ${message.type()}: ${message.text()}`);
    });
  }, options.setupTimeoutMs ?? 90_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop('SIGKILL');
    if (runsDir) await rm(runsDir, { recursive: true, force: true });
  });

  return {
    get runsDir() {
      return runsDir;
    },
    get serve() {
      return ready(serve, 'server');
    },
    get url() {
      return ready(serve, 'server').url;
    },
    get page() {
      return ready(page, 'page');
    },
    pageErrors,
    async restartServe(signal) {
      await serve?.stop(signal);
      serve = await startServe(runsDir, undefined, options.serveArgs?.() ?? []);
    },
  };
}

/** Opens the app at `url` and waits for the connection and the new-run form's presets. */
export async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('[data-testid="connection-state"][data-state="connected"]', { timeout: 15_000 });
  await page.waitForSelector('[data-testid="new-run-preset"] option', { state: 'attached', timeout: 15_000 });
}

/** Opens the new-run drawer (the form lives there, beside the runs table) unless it is open. */
export async function openNewRunForm(page: Page): Promise<void> {
  if ((await page.locator('[data-testid="new-run-drawer"][data-open="true"]').count()) === 0)
    await page.getByTestId('new-run-open').click();
  await page.locator('[data-testid="new-run-drawer"][data-open="true"]').waitFor({ timeout: 5_000 });
}

/** Chooses the experiment and waits for `preset` among its presets; selects it unless `select` is false. */
export async function chooseExperiment(page: Page, experiment: string, preset: string, select = true): Promise<void> {
  await openNewRunForm(page);
  await page.getByTestId('new-run-experiment').selectOption(experiment);
  await page.waitForSelector(`[data-testid="new-run-preset"] option[value="${preset}"]`, {
    state: 'attached',
    timeout: 15_000,
  });
  if (select) await page.getByTestId('new-run-preset').selectOption(preset);
}

/** Fills the form's `fields` (test-id suffix → value) and the name, if any. */
export async function fillForm(page: Page, fields: Record<string, string>, name?: string): Promise<void> {
  for (const [key, value] of Object.entries(fields)) await page.getByTestId(`new-run-${key}`).fill(value);
  if (name !== undefined) await page.getByTestId('new-run-name').fill(name);
}

/** Clicks Start and resolves with the id of the run that appears in the list. */
export async function clickStart(page: Page): Promise<string> {
  const before = await page
    .getByTestId('run-list-item')
    .evaluateAll((items) => items.map((item) => item.getAttribute('data-run-id')));
  await page.getByTestId('new-run-start').click();
  const handle = await page.waitForFunction(
    (known) =>
      [...document.querySelectorAll('[data-testid="run-list-item"]')]
        .map((item) => item.getAttribute('data-run-id'))
        .find((id) => id && !known.includes(id)),
    before,
    { timeout: 15_000 },
  );
  return String(await handle.jsonValue());
}

export interface FormRun {
  experiment: string;
  preset: string;
  /** Select `preset` (default), or only wait for it and keep the form's current one. */
  selectPreset?: boolean;
  fields: Record<string, string>;
  name?: string;
}

/** Fills the new-run form and starts; resolves with the new run's id. */
export async function startFromForm(page: Page, run: FormRun): Promise<string> {
  await chooseExperiment(page, run.experiment, run.preset, run.selectPreset ?? true);
  await fillForm(page, run.fields, run.name);
  return clickStart(page);
}

/** Waits until the status bar of the selected run shows `state`. */
export async function waitForStatus(page: Page, state: string, timeout: number): Promise<void> {
  await page.waitForSelector(`[data-testid="status-state"][data-state="${state}"]`, { timeout });
}

/** Waits until the run list shows run `runId` in `state`. */
export async function waitForListed(page: Page, runId: string, state: string, timeout: number): Promise<void> {
  await page.waitForSelector(`[data-testid="run-list-item"][data-run-id="${runId}"][data-state="${state}"]`, {
    timeout,
  });
}

/** The runs table's row (checkbox, name, state, queue place) of `runId`. */
export const runEntry = (page: Page, runId: string) =>
  page.locator(`[data-testid="run-list-entry"][data-run-id="${runId}"]`);

/** Opens run `runId` from the runs table and resolves with its status bar (name, tags and actions live there). */
export async function openRun(page: Page, runId: string): Promise<Locator> {
  await runEntry(page, runId).getByTestId('run-list-item').click();
  const bar = page.getByTestId('status-bar');
  await page.waitForFunction(
    (id) =>
      document.querySelector('[data-testid="run-list-item"][aria-pressed="true"]')?.getAttribute('data-run-id') ===
        id && document.querySelector('[data-testid="status-bar"]') !== null,
    runId,
    { timeout: 10_000 },
  );
  return bar;
}

/** The path of test/artifacts/`name` (screenshots and saved downloads to look at). */
export const artifact = (name: string) => path.join(artifactsDir, name);

/** Saves a screenshot of the viewport (or of one element) as test/artifacts/`name`. */
export async function screenshot(target: Page | Locator, name: string): Promise<void> {
  await target.screenshot({ path: artifact(name) });
}

/** Screenshots the whole app at `height` pixels (the main area scrolls by itself), then restores the viewport unless `keep`. */
export async function tallScreenshot(page: Page, name: string, height: number, keep = false): Promise<void> {
  const viewport = page.viewportSize();
  await page.setViewportSize({ width: viewport?.width ?? 1440, height });
  await page.evaluate(() => document.querySelector('main')?.scrollTo(0, 0));
  await screenshot(page, name);
  if (!keep && viewport) await page.setViewportSize(viewport);
}

/** Clicks the element with `testId` and resolves with the download it starts. */
export async function downloadFrom(page: Page, testId: string, timeout?: number): Promise<Download> {
  const [download] = await Promise.all([
    page.waitForEvent('download', timeout === undefined ? undefined : { timeout }),
    page.getByTestId(testId).click(),
  ]);
  return download;
}

/** The bytes of a finished download. */
export async function downloadedBytes(download: Download): Promise<Buffer> {
  const file = await download.path();
  if (!file) throw new Error(`The download ${download.suggestedFilename()} has no file.`);
  return readFile(file);
}

/** Waits until `attribute` of the element with `testId` is a number ≥ `minimum` and returns it. */
export async function waitForNumber(
  page: Page,
  testId: string,
  attribute: string,
  minimum: number,
  timeout: number,
): Promise<number> {
  await page.waitForFunction(
    ({ testId, attribute, minimum }) =>
      Number(document.querySelector(`[data-testid="${testId}"]`)?.getAttribute(attribute) ?? NaN) >= minimum,
    { testId, attribute, minimum },
    { timeout, polling: 100 },
  );
  return Number(await page.getByTestId(testId).getAttribute(attribute));
}

/** The numeric value of `attribute` of the element with `testId` now. */
export async function numberOf(page: Page, testId: string, attribute: string): Promise<number> {
  return Number(await page.getByTestId(testId).getAttribute(attribute));
}

/** Checks the runs `ids` in the run list, opens the compare view and waits until it shows them all. */
export async function openComparison(page: Page, ids: readonly string[], timeout = 30_000): Promise<void> {
  for (const id of ids) await runEntry(page, id).getByTestId('run-compare-checkbox').check();
  await page.getByTestId('run-compare-open').click();
  await page.waitForSelector(`[data-testid="compare-view"][data-runs="${ids.length}"]`, { timeout });
}
