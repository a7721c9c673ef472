/**
 * The run queue in the browser shell (serve --queue): with a working queue and one
 * `npm run worker` process, a sweep started from the form with "Run on: queue" is trained by the
 * queue worker and its view draws progress and the parallel-coordinates figure; with a wrong
 * password the form says why the queue cannot be used, and a local run still trains.
 * Screenshots: test/artifacts/queue-*.png.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  chooseExperiment,
  clickStart,
  fillForm,
  openApp,
  screenshot,
  useShellSession,
  waitForListed,
} from './serveHarness';
import { startRedisServer, type RedisServer } from '../fixtures/redisServer';
import { startQueueWorkerProcess, type QueueWorkerProcess } from '../fixtures/queueWorkerProcess';

let redis: RedisServer | undefined;
let worker: QueueWorkerProcess | undefined;

afterAll(async () => {
  await worker?.kill('SIGKILL');
  await redis?.stop();
});

async function ensureRedis(): Promise<RedisServer> {
  redis ??= await startRedisServer();
  return redis;
}

describe('a sweep on the run queue from the browser shell', () => {
  const session = useShellSession({
    tempPrefix: 'workbench-e2e-queue-',
    setupTimeoutMs: 180_000,
    prepare: async () => {
      const server = await ensureRedis();
      worker = startQueueWorkerProcess(server.url, 'ui-worker');
      await worker.ready;
    },
    serveArgs: () => ['--queue', redis!.url],
  });

  it('is trained by the queue worker and drawn in the sweep view', { timeout: 300_000 }, async () => {
    const { page } = session;
    await openApp(page, session.url);
    await chooseExperiment(page, 'sinusoid', 'default');
    await page.getByTestId('new-run-mode-sweep').check();
    await fillForm(page, { epochs: '20', evalEvery: '10', predictiveDraws: '8' }, 'queue lr');
    await page.getByTestId('new-run-axis-key-0').fill('learningRate');
    await page.getByTestId('new-run-axis-values-0').fill('0.01, 0.03');
    await page.getByTestId('new-run-sweep-seeds').fill('0');
    await page.getByTestId('new-run-run-on').selectOption('queue');
    expect(await page.getByTestId('new-run-queue-problem').count()).toBe(0);
    await screenshot(page, 'queue-form.png');
    await page.getByTestId('new-run-start').click();
    const view = page.getByTestId('sweep-view');
    await view.waitFor({ timeout: 30_000 });
    await page.waitForSelector('[data-testid="sweep-view"][data-done="2"][data-finished="true"]', {
      timeout: 240_000,
    });
    expect(await view.getAttribute('data-failed')).toBe('0');
    await expect.poll(() => page.getByTestId('sweep-parallel').getAttribute('data-lines')).toBe('2');
    await screenshot(page, 'queue-sweep.png');
    // Both runs were trained by the queue worker, as its log says.
    const trained = worker!.lines.filter((line) => line.started).map((line) => line.runId);
    expect(new Set(trained).size).toBe(2);
    expect(session.pageErrors).toEqual([]);
  });
});

describe('a run queue with a wrong password in the browser shell', () => {
  const session = useShellSession({
    tempPrefix: 'workbench-e2e-queue-bad-',
    consoleWarnings: false,
    prepare: async () => {
      await ensureRedis();
    },
    serveArgs: () => ['--queue', `redis://:not-the-password@127.0.0.1:${redis!.port}`],
  });

  it('says why the queue cannot be used, and local runs still train', { timeout: 240_000 }, async () => {
    const { page } = session;
    await openApp(page, session.url);
    await chooseExperiment(page, 'sinusoid', 'default');
    await page.getByTestId('new-run-run-on').selectOption('queue');
    const problem = page.getByTestId('new-run-queue-problem');
    await expect.poll(() => problem.textContent()).toMatch(/refused the user name or password in the queue URL/);
    expect(await problem.textContent()).not.toContain('not-the-password');
    await problem.scrollIntoViewIfNeeded();
    await screenshot(page, 'queue-wrong-password.png');
    await page.getByTestId('new-run-run-on').selectOption('local');
    await fillForm(page, { epochs: '20', evalEvery: '10', predictiveDraws: '8' }, 'local while the queue is down');
    const runId = await clickStart(page);
    await waitForListed(page, runId, 'completed', 180_000);
  });
});
