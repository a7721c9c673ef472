/**
 * What the end-to-end tests share: the browser shell (electron/serve.ts) on a free port with its
 * own runs folder, headless Debian Chromium through playwright-core, and waiting on the numeric
 * data-* attributes the figures expose for tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
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

/** Starts serve.ts on a free port and resolves with the URL (token included) it prints. */
export function startServer(runsDir: string): Promise<{ server: ChildProcess; url: string }> {
  // Its own process group, so stopServer can end npx, tsx and node together by this one id.
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

export function stopServer(server: ChildProcess | undefined): void {
  if (!server?.pid || server.exitCode !== null) return;
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

/** Waits until `attribute` of the element with `testId` is a number ≥ `minimum` and returns it. */
export async function waitForNumber(page: Page, testId: string, attribute: string, minimum: number, timeout: number): Promise<number> {
  await page.waitForFunction(
    ({ testId, attribute, minimum }) => Number(document.querySelector(`[data-testid="${testId}"]`)?.getAttribute(attribute) ?? NaN) >= minimum,
    { testId, attribute, minimum },
    { timeout, polling: 100 },
  );
  return Number(await page.getByTestId(testId).getAttribute(attribute));
}

/** The numeric value of `attribute` of the element with `testId` now. */
export async function numberOf(page: Page, testId: string, attribute: string): Promise<number> {
  return Number(await page.getByTestId(testId).getAttribute(attribute));
}
