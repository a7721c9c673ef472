/**
 * The desktop app's GPU path without Electron: the Web Worker bundle of electron/gpuWindow/ (built
 * with the app's own esbuild options) trains in headless Chromium, on Chromium's WebGPU, through
 * the same training session and trainers as the Node worker, and replays the Node cpu backend's
 * losses. The page here stands in for the GPU window: it hands the worker a MessagePort and answers
 * its dataset requests, as the Electron bridge does (electron/host/portTrainingWorker.ts).
 *
 * Headless Chromium's WebGPU adapter here is SwiftShader (Google's software Vulkan, a fallback
 * adapter), reached with `--enable-unsafe-webgpu`: so `webgpu` is forced, and `auto` must skip it —
 * in the worker, and in the desktop host's choice of where an `auto` run trains.
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import * as tf from '@tensorflow/tfjs-core';
import { build, type BuildOptions } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lenet5ConfigSchema, sinusoidConfigSchema, type RunConfig } from '../../../core/contract/runConfig';
import type { BackendInfo, ExperimentEvent } from '../../../core/contract/runEvent';
import type { Dataset } from '../../../core/data/dataset';
import { setCpuBackend } from '../../../core/engine/cpuBackend';
import { experimentTrainers } from '../../../core/experiments/trainers';
import { sinusoidPresets } from '../../../core/experiments/sinusoid/presets';
import { adapterReportMessageSchema } from '../../../electron/gpuWindow/messages';
import { autoRunRoute } from '../../../electron/host/desktopRunRoute';
import { workerEnvironment } from '../../../electron/worker/datasetFiles';
import { chromiumPath } from '../../e2e/serveHarness';
import { repoRoot } from '../../fixtures/serveProcess';

/**
 * Losses agree to this relative difference, as on Dawn in the Node worker
 * (test/integration/webgpuTraining.test.ts): every random number is drawn by tfjs-core in
 * JavaScript from explicit seeds whatever the backend, so only the order of float32 sums differs
 * (~1e-7 relative per reduction); a wrong kernel, a missed noise draw or another batch moves a loss
 * by ≥ 1e-3.
 */
const LOSS_TOLERANCE = 1e-5;

let bundleDir: string;
let server: Server;
let origin: string;
let browser: Browser;
let page: Page;
const datasets = new Map<string, Dataset>();

beforeAll(async () => {
  bundleDir = await mkdtemp(path.join(os.tmpdir(), 'workbench-gpu-window-'));
  const { gpuBundles, wasmBinaries } = (await import(path.join(repoRoot, 'build', 'electronBundles.mjs'))) as {
    gpuBundles: { trainingWebWorker: BuildOptions & { outfile: string } };
    wasmBinaries: string[];
  };
  await build({
    ...gpuBundles.trainingWebWorker,
    absWorkingDir: repoRoot,
    outfile: path.join(bundleDir, 'trainingWebWorker.js'),
    sourcemap: false,
    logLevel: 'warning',
  });
  const wasmDir = path.join(repoRoot, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  await Promise.all(wasmBinaries.map((name) => copyFile(path.join(wasmDir, name), path.join(bundleDir, name))));
  server = createServer((request, response) => void serve(request.url ?? '/', response));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // 127.0.0.1 is a secure context, where Chromium offers WebGPU.
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--enable-unsafe-webgpu'],
  });
  page = await browser.newPage();
  await page.goto(`${origin}/index.html`);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await rm(bundleDir, { recursive: true, force: true });
});

/** The bundle, its wasm binaries, an empty page, and datasets as one binary blob each. */
async function serve(url: string, response: import('node:http').ServerResponse): Promise<void> {
  const { pathname, searchParams } = new URL(url, 'http://127.0.0.1');
  try {
    if (pathname === '/index.html') {
      response.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>GPU window stand-in</title>');
    } else if (pathname === '/dataset') {
      const spec = searchParams.get('spec') ?? '';
      let dataset = datasets.get(spec);
      if (!dataset) datasets.set(spec, (dataset = await workerEnvironment.loadDataset(spec as never)));
      response.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(datasetBlob(dataset));
    } else if (/^\/[\w.-]+\.(js|wasm)$/.test(pathname)) {
      const body = await readFile(path.join(bundleDir, pathname.slice(1)));
      const type = pathname.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
      response.writeHead(200, { 'Content-Type': type }).end(body);
    } else {
      response.writeHead(404).end();
    }
  } catch (error) {
    response.writeHead(500).end(String(error));
  }
}

/** JSON header (name, class names, counts) length-prefixed, then train and held-out pixels and labels. */
function datasetBlob(dataset: Dataset): Buffer {
  const header = Buffer.from(
    JSON.stringify({
      name: dataset.name,
      classNames: dataset.classNames,
      trainCount: dataset.train.count,
      heldoutCount: dataset.heldout.count,
    }),
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  const padding = Buffer.alloc((4 - ((4 + header.length) % 4)) % 4);
  const bytes = (array: Float32Array | Uint8Array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  return Buffer.concat([
    length,
    header,
    padding,
    bytes(dataset.train.images),
    bytes(dataset.heldout.images),
    bytes(dataset.train.labels),
    bytes(dataset.heldout.labels),
  ]);
}

interface WorkerRun {
  losses: number[];
  backend: BackendInfo | undefined;
  done: { state: string; message?: string; summary?: Record<string, unknown> } | undefined;
  checkpointSteps: number[];
  invalid: string[];
}

/**
 * Runs `config` in a fresh Web Worker of the bundle, as the GPU window would, and collects what it
 * says. With `stopAfter`, the page sends `stop` once that step's metrics arrive; the worker sees it
 * at its next step boundary (that step or one later), stops without an evaluation and checkpoints.
 */
function trainInWebWorker(config: RunConfig, stopAfter?: number): Promise<WorkerRun> {
  return page.evaluate(
    async ({ config, stopAfter }) => {
      const worker = new Worker('/trainingWebWorker.js', { type: 'module' });
      const channel = new MessageChannel();
      worker.postMessage({ type: 'connect' }, [channel.port2]);
      const host = channel.port1;
      const run: WorkerRun = { losses: [], backend: undefined, done: undefined, checkpointSteps: [], invalid: [] };
      const sendDataset = async (requestId: number, spec: string) => {
        const blob = await (await fetch(`/dataset?spec=${encodeURIComponent(spec)}`)).arrayBuffer();
        const headerLength = new DataView(blob).getUint32(0, true);
        const header = JSON.parse(new TextDecoder().decode(new Uint8Array(blob, 4, headerLength)));
        let offset = 4 + headerLength + ((4 - ((4 + headerLength) % 4)) % 4);
        const take = <T>(
          make: (buffer: ArrayBuffer, offset: number, length: number) => T,
          length: number,
          size: number,
        ) => {
          const part = make(blob, offset, length);
          offset += length * size;
          return part;
        };
        const floats = (b: ArrayBuffer, o: number, n: number) => new Float32Array(b, o, n);
        const bytes = (b: ArrayBuffer, o: number, n: number) => new Uint8Array(b, o, n);
        const trainImages = take(floats, header.trainCount * 784, 4);
        const heldoutImages = take(floats, header.heldoutCount * 784, 4);
        const trainLabels = take(bytes, header.trainCount, 1);
        const heldoutLabels = take(bytes, header.heldoutCount, 1);
        host.postMessage({
          type: 'dataset',
          requestId,
          ok: true,
          dataset: {
            name: header.name,
            imageSize: 28,
            classes: 10,
            classNames: header.classNames,
            train: { images: trainImages, labels: trainLabels, count: header.trainCount },
            heldout: { images: heldoutImages, labels: heldoutLabels, count: header.heldoutCount },
          },
        });
      };
      try {
        return await new Promise<WorkerRun>((resolve, reject) => {
          worker.onerror = (event) => reject(new Error(`the worker failed: ${event.message}`));
          host.onmessage = (event) => {
            const message = event.data;
            if (message.type === 'datasetRequest') void sendDataset(message.requestId, message.spec).catch(reject);
            else if (message.type === 'checkpoint') run.checkpointSteps.push(message.checkpoint.manifest.step);
            else if (message.type === 'error') run.invalid.push(message.message);
            else if (message.type === 'event') {
              const runEvent = message.event;
              if (runEvent.type === 'metrics') {
                run.losses.push(runEvent.loss);
                if (runEvent.step === stopAfter) host.postMessage({ type: 'stop', runId: 'chromium-run' });
              }
              if (runEvent.type === 'status' && runEvent.state === 'running' && runEvent.backend)
                run.backend = runEvent.backend;
            } else if (message.type === 'done') {
              run.done = { state: message.state, message: message.message, summary: message.summary };
              resolve(run);
            }
          };
          host.postMessage({ type: 'start', runId: 'chromium-run', config });
        });
      } finally {
        worker.terminate();
      }
    },
    { config, stopAfter },
  );
}

/** The same trainer in this Node process on the cpu backend (until `stopAfter` steps, then stopped). */
async function trainOnNodeCpu(
  config: RunConfig,
  stopAfter = Infinity,
): Promise<{ losses: number[]; summary: Record<string, unknown> }> {
  if (!(await setCpuBackend())) throw new Error('The cpu backend could not be started.');
  const losses: number[] = [];
  const trainer = experimentTrainers[config.experiment as keyof typeof experimentTrainers];
  const summary = await trainer.run(
    config as never,
    {
      emit: (event: ExperimentEvent) => event.type === 'metrics' && losses.push(event.loss),
      shouldStop: () => losses.length >= stopAfter,
    },
    workerEnvironment,
  );
  return { losses, summary: summary as Record<string, unknown> };
}

function largestRelativeDifference(actual: number[], expected: number[]): number {
  expect(actual).toHaveLength(expected.length);
  return Math.max(...actual.map((value, index) => Math.abs(value - expected[index]) / Math.abs(expected[index])));
}

const sinusoid = sinusoidConfigSchema.parse({ ...sinusoidPresets[0].config, epochs: 5, predictiveDraws: 20 });
/**
 * Stopped after 5 steps, before any evaluation: on SwiftShader on this loaded machine a final
 * evaluation of the 1,000 held-out digits did not finish within 15 minutes.
 */
const lenet5 = lenet5ConfigSchema.parse({ experiment: 'lenet5', seed: 3, steps: 50, batchSize: 16, evalDraws: 1 });

describe('the GPU window Web Worker in headless Chromium', () => {
  it(
    'trains the sinusoid on Chromium WebGPU (forced onto the fallback adapter) with Node cpu losses',
    { timeout: 600_000 },
    async () => {
      const config = { ...sinusoid, backend: 'webgpu' as const };
      const chromiumRun = await trainInWebWorker(config);
      expect(chromiumRun.invalid).toEqual([]);
      expect(chromiumRun.done?.state, chromiumRun.done?.message).toBe('completed');
      expect(chromiumRun.backend).toMatchObject({ name: 'webgpu', adapter: { fallback: true } });
      expect(chromiumRun.backend?.device).toMatch(/^Chromium WebGPU on /);
      const node = await trainOnNodeCpu(sinusoid);
      expect(chromiumRun.losses).toHaveLength(5);
      expect(largestRelativeDifference(chromiumRun.losses, node.losses)).toBeLessThan(LOSS_TOLERANCE);
      expect(chromiumRun.done?.summary?.stdRatio as number).toBeCloseTo(node.summary.stdRatio as number, 3);
    },
  );

  it(
    'trains LeNet5 (Flipout) on Chromium WebGPU with the Node cpu losses, stops when asked and checkpoints',
    { timeout: 1_200_000 },
    async () => {
      const chromiumRun = await trainInWebWorker({ ...lenet5, backend: 'webgpu' }, 5);
      expect(chromiumRun.invalid).toEqual([]);
      expect(chromiumRun.done?.state, chromiumRun.done?.message).toBe('stopped');
      expect(chromiumRun.backend).toMatchObject({ name: 'webgpu', adapter: { fallback: true } });
      // The stop lands at the boundary after step 5 or, if it crossed the ports late, a later one.
      expect(chromiumRun.losses.length).toBeGreaterThanOrEqual(5);
      expect(chromiumRun.checkpointSteps.at(-1)).toBe(chromiumRun.losses.length);
      const node = await trainOnNodeCpu(lenet5, 5);
      expect(node.losses).toHaveLength(5);
      expect(largestRelativeDifference(chromiumRun.losses.slice(0, 5), node.losses)).toBeLessThan(LOSS_TOLERANCE);
    },
  );

  it('auto skips the fallback adapter and trains on wasm, saying why', { timeout: 600_000 }, async () => {
    const chromiumRun = await trainInWebWorker({ ...sinusoid, backend: 'auto' });
    expect(chromiumRun.done?.state, chromiumRun.done?.message).toBe('completed');
    expect(chromiumRun.backend?.name).toBe('wasm');
    expect(chromiumRun.backend?.skipped.find((skip) => skip.name === 'webgpu')?.reason).toMatch(
      /^the only WebGPU adapter is a fallback \(software\) one/,
    );
    const node = await trainOnNodeCpu(sinusoid);
    expect(largestRelativeDifference(chromiumRun.losses, node.losses)).toBeLessThan(LOSS_TOLERANCE);
  });

  it("answers the host's adapter probe with Chromium's adapter, which the desktop route keeps off auto runs", async () => {
    const answer = await page.evaluate(async () => {
      const worker = new Worker('/trainingWebWorker.js', { type: 'module' });
      const channel = new MessageChannel();
      worker.postMessage({ type: 'connect' }, [channel.port2]);
      try {
        return await new Promise<unknown>((resolve) => {
          channel.port1.onmessage = (event) => resolve(event.data);
          channel.port1.postMessage({ type: 'adapterProbe', requestId: 41 });
        });
      } finally {
        worker.terminate();
      }
    });
    const reply = adapterReportMessageSchema.parse(answer);
    expect(reply.requestId).toBe(41);
    expect(reply.report).toMatchObject({ ok: true, adapter: { fallback: true } });
    const route = autoRunRoute(reply.report);
    expect(route.side).toBe('node');
    expect(route.notes?.[0].reason).toMatch(/Chromium's only WebGPU adapter is a fallback \(software\) one/);
  });

  it(
    'refuses the tensorflow backend with a reason, and the run fails without taking the worker down',
    { timeout: 120_000 },
    async () => {
      const chromiumRun = await trainInWebWorker({ ...sinusoid, backend: 'tensorflow' });
      expect(chromiumRun.done).toMatchObject({ state: 'failed' });
      expect(chromiumRun.done?.message).toMatch(/libtensorflow is a Node addon, and this run trains in Chromium/);
    },
  );
});

afterAll(async () => {
  await tf.setBackend('cpu');
});
