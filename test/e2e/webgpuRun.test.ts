/**
 * A webgpu run driven from the browser shell's UI, on the software Vulkan driver (llvmpipe, forced:
 * `auto` would skip a fallback adapter): started from the new-run form with the webgpu backend,
 * stopped from the status bar, resumed from its checkpoint, watched to completion. The run header
 * names the adapter (its tooltip: vendor, architecture, fallback), every step is stored once, and
 * the worker's tensor count and GPU bytes stay flat across steps, before and after the resume.
 *
 * A short run (LeNet5 at batch 8, one posterior draw): llvmpipe runs every shader on the CPU. The
 * 300-step run from the UI is a measurement, quoted in the README.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useSoftwareVulkan } from '../fixtures/softwareVulkan';
import {
  chooseExperiment,
  clickStart,
  fillForm,
  openApp,
  openRun,
  screenshot,
  useShellSession,
  waitForStatus,
} from './serveHarness';

// Steps take 0.1–0.5 s on llvmpipe: the stop, sent once step 5 is stored, must land well before
// the last step, or the run ends stopped at its last step with nothing left to resume (seen in CI
// with 12 steps).
const STEPS = 40;
const STOP_AFTER = 5;

// The server started for this file inherits the driver's environment.
useSoftwareVulkan();

interface StoredEvent {
  type: string;
  step: number;
  state?: string;
  memory?: { tensors: number; bytes: number; gpuBytes?: number };
}

describe('a webgpu run from the browser shell', () => {
  const session = useShellSession({ tempPrefix: 'workbench-webgpu-e2e-', setupTimeoutMs: 120_000 });

  it('trains on the llvmpipe adapter, shows it in the header, stops, resumes from its checkpoint and completes with flat memory', async () => {
    const { page, url, runsDir } = session;
    await openApp(page, url);
    await chooseExperiment(page, 'lenet5', 'default');
    await fillForm(page, { steps: String(STEPS), batchSize: '8', evalDraws: '1', seed: '5' }, 'webgpu from the UI');
    await page.getByTestId('new-run-backend').selectOption('webgpu');
    const runId = await clickStart(page);
    await openRun(page, runId);
    await waitForStatus(page, 'running', 120_000);
    const header = page.getByTestId('status-backend');
    await expect.poll(() => header.textContent(), { timeout: 60_000 }).toMatch(/webgpu \(WebGPU on llvmpipe/);
    expect(await header.getAttribute('title')).toMatch(/fallback adapter/);

    const eventsFile = path.join(runsDir, runId, 'events.ndjson');
    const storedEvents = async (): Promise<StoredEvent[]> =>
      (await readFile(eventsFile, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as StoredEvent);
    const lastStep = async () => (await storedEvents()).filter((event) => event.type === 'metrics').at(-1)?.step ?? 0;
    await expect.poll(lastStep, { timeout: 600_000, interval: 250 }).toBeGreaterThanOrEqual(STOP_AFTER);
    await page.getByTestId('run-stop').click();
    await waitForStatus(page, 'stopped', 300_000);
    const resume = page.getByTestId('run-resume-checkpoint');
    const checkpointStep = Number(await resume.getAttribute('data-step'));
    expect(checkpointStep).toBeGreaterThanOrEqual(STOP_AFTER);
    await resume.click();
    await waitForStatus(page, 'completed', 900_000);
    await expect.poll(() => header.textContent()).toMatch(/webgpu \(WebGPU on llvmpipe/);
    await screenshot(page, 'webgpu-run-completed.png');

    const events = await storedEvents();
    const metrics = events.filter((event) => event.type === 'metrics');
    // Steps after the checkpoint trained before the stop are trained again after the resume.
    const lastPerStep = new Map(metrics.map((event) => [event.step, event]));
    expect([...lastPerStep.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
    expect(events.filter((event) => event.type === 'status').map((event) => event.state)).toEqual(
      expect.arrayContaining(['running', 'stopped', 'queued', 'completed']),
    );
    // From step 2 on (Adam's moments exist after step 1) nothing accumulates, on the host or the GPU —
    // and the resumed process holds exactly what the first one did.
    const later = metrics.filter((event) => event.step >= 2);
    expect(later.every((event) => event.memory?.gpuBytes !== undefined)).toBe(true);
    expect(new Set(later.map((event) => event.memory?.tensors)).size).toBe(1);
    expect(new Set(later.map((event) => event.memory?.gpuBytes)).size).toBe(1);
    const record = JSON.parse(await readFile(path.join(runsDir, runId, 'run.json'), 'utf8')) as {
      backend?: { name: string; adapter?: { fallback: boolean; description: string } };
    };
    expect(record.backend).toMatchObject({ name: 'webgpu', adapter: { fallback: true } });
    expect(record.backend?.adapter?.description).toMatch(/llvmpipe/);
  }, 1_800_000);
});
