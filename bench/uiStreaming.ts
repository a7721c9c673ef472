/**
 * What watching a run costs it: the same short LeNet5 run trained by the browser shell twice, once
 * with no browser attached and once with Chromium showing that run's dashboard while it streams.
 * Prints one JSON object: training steps/s in both (the worker's own rate over its training
 * steps, and the wall-clock rate between consecutive steps with evaluations left out), the
 * slowdown ratio (goal ≤ 3 %), the p95 of the page's frame time (requestAnimationFrame deltas;
 * goal ≤ 16 ms, though headless Chromium with --disable-gpu draws in software), and the p95 of the
 * live store's per-frame flush (fold + commit, and until the charts have redrawn), the part our code
 * controls. Needs a built renderer (`npm run build:renderer`) and /usr/bin/chromium (or CHROMIUM_PATH).
 *
 *   npx tsx bench/uiStreaming.ts [--steps 300] [--eval-every 100] [--draws 10] [--repeats 1] [--backend auto|wasm|cpu] [--view dashboard|idle]
 *
 * Also reported: CPU seconds per wall second of the serve process and of Chromium's processes
 * (from /proc), which tell whether a slowdown is CPU contention on a small machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { lenet5ConfigSchema } from '../core/contract/runConfig';
import type { RunEvent } from '../core/contract/runEvent';
import type { RunRecord, WireReply } from '../core/contract/workbenchApi';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1] : fallback;
}
const steps = Number(option('steps', '300'));
const evalEvery = Number(option('eval-every', '100'));
const draws = Number(option('draws', '10'));
const repeats = Number(option('repeats', '1'));
const backend = option('backend', 'auto') as 'auto' | 'wasm' | 'cpu' | 'tensorflow';
/** 'dashboard' (the point) or 'idle': the page open on no run, to tell Chromium's mere presence from our drawing. */
const view = option('view', 'dashboard');
const log = (message: string) => process.stderr.write(`uiStreaming: ${message}\n`);

interface Serve {
  child: ChildProcess;
  url: string;
  call(method: string, ...args: unknown[]): Promise<unknown>;
  waitFor(predicate: (event: RunEvent) => boolean): Promise<RunEvent>;
  close(): Promise<void>;
}

async function startServe(runsDir: string): Promise<Serve> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'electron/serve.ts', '--port', '0', '--runs-dir', runsDir],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stdout = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /Bayesian Workbench: (http\S+)/.exec(stdout);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve.ts exited (${code}) before printing its URL.`)));
  });
  const page = new URL(url);
  const socket = new WebSocket(`ws://${page.host}/api?token=${page.searchParams.get('token')}`, {
    headers: { origin: page.origin },
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const pending = new Map<number, (reply: WireReply) => void>();
  const watchers = new Set<{ predicate: (event: RunEvent) => boolean; resolve: (event: RunEvent) => void }>();
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString());
    if ('event' in message) {
      for (const watcher of watchers)
        if (watcher.predicate(message.event)) {
          watchers.delete(watcher);
          watcher.resolve(message.event);
        }
    } else pending.get(message.id)?.(message);
  });
  let nextId = 1;
  return {
    child,
    url,
    call: (method, ...args) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, (reply) => (reply.ok ? resolve(reply.result) : reject(new Error(reply.error))));
        socket.send(JSON.stringify({ id, method, args }));
      }),
    waitFor: (predicate) => new Promise((resolve) => watchers.add({ predicate, resolve })),
    async close() {
      socket.close();
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    },
  };
}

/** CPU seconds (user + system) of every live process below `root` whose name matches, from /proc (Linux). */
function cpuSecondsBelow(root: number, name: RegExp): number {
  const stats = new Map<number, { parent: number; comm: string; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = text.lastIndexOf(')');
      const fields = text.slice(close + 2).split(' ');
      stats.set(Number(entry), {
        parent: Number(fields[1]),
        comm: text.slice(text.indexOf('(') + 1, close),
        ticks: Number(fields[11]) + Number(fields[12]),
      });
    } catch {
      // the process ended while we looked
    }
  }
  const below = (pid: number): boolean => {
    for (
      let current = stats.get(pid)?.parent;
      current !== undefined && current > 0;
      current = stats.get(current)?.parent
    )
      if (current === root) return true;
    return false;
  };
  let ticks = 0;
  for (const [pid, stat] of stats) if (below(pid) && name.test(stat.comm)) ticks += stat.ticks;
  return ticks / 100; // USER_HZ is 100 on Linux
}

function processCpuSeconds(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface RunTiming {
  /** The worker's rate over its training steps only (its final progress event). */
  workerStepsPerSecond: number;
  /** Steps per second of wall clock between consecutive training steps, evaluation gaps left out. */
  wallStepsPerSecond: number;
  wallSeconds: number;
  /** CPU seconds per wall second of the serve process (host main thread + training worker). */
  hostCpu: number;
}

function percentile(values: number[], fraction: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

const round = (value: number | null, digits = 2) => (value === null ? null : Number(value.toFixed(digits)));

async function timeRun(serve: Serve, runId: string, hostCpuSeconds: number): Promise<RunTiming> {
  const events = (await serve.call('getRunEvents', runId)) as RunEvent[];
  const metrics = events.filter((event) => event.type === 'metrics');
  const progress = events.filter((event) => event.type === 'progress').at(-1);
  let intervals = 0;
  let intervalMs = 0;
  for (let i = 1; i < metrics.length; i += 1) {
    if (metrics[i - 1].step % evalEvery === 0) continue; // an evaluation ran between these two steps
    intervals += 1;
    intervalMs += metrics[i].time - metrics[i - 1].time;
  }
  const status = events.filter((event) => event.type === 'status');
  const started = status.find((event) => event.type === 'status' && event.state === 'running')!.time;
  const ended = status.at(-1)!.time;
  return {
    workerStepsPerSecond: progress?.type === 'progress' ? progress.stepsPerSecond : NaN,
    wallStepsPerSecond: intervals / (intervalMs / 1000),
    wallSeconds: (ended - started) / 1000,
    hostCpu: hostCpuSeconds / ((ended - started) / 1000),
  };
}

const config = lenet5ConfigSchema.parse({
  experiment: 'lenet5',
  preset: 'bench',
  steps,
  evalEvery,
  evalDraws: draws,
  seed: 0,
  backend,
});

async function headlessRun(serve: Serve, index: number): Promise<RunTiming> {
  const cpuBefore = processCpuSeconds(serve.child.pid!);
  const record = (await serve.call('startRun', { config, name: `bench headless ${index}` })) as RunRecord;
  await serve.waitFor((event) => event.runId === record.id && event.type === 'status' && event.state === 'completed');
  return timeRun(serve, record.id, processCpuSeconds(serve.child.pid!) - cpuBefore);
}

async function browserRun(serve: Serve, index: number) {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(serve.url);
    await page.waitForSelector('[data-testid="connection-state"][data-state="connected"]', { timeout: 30_000 });
    // Chromium's own accounting of the page's main thread: script, layout, style, all tasks.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const pageMetrics = async () =>
      Object.fromEntries(
        ((await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }).metrics.map(
          (metric) => [metric.name, metric.value],
        ),
      );
    const pageBefore = await pageMetrics();
    const cpuBefore = processCpuSeconds(serve.child.pid!);
    const chromiumBefore = cpuSecondsBelow(process.pid, /chrom/i);
    const record = (await serve.call('startRun', { config, name: `bench browser ${index}` })) as RunRecord;
    if (view === 'dashboard') {
      await page.locator(`[data-testid="run-list-item"][data-run-id="${record.id}"]`).click();
      await page.waitForSelector('[data-testid="dashboard"][data-experiment="lenet5"]');
    }
    // Frame deltas and the live store's flush timings, collected in the page while the run streams.
    // A string, not a function: tsx would wrap named functions in a helper the page does not have.
    await page.evaluate(`(() => {
      const deltas = [];
      window.__frameDeltas = deltas;
      window.__workbenchFlushTimings = [];
      let last = performance.now();
      const tick = (now) => { deltas.push(now - last); last = now; requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    })()`);
    await serve.waitFor((event) => event.runId === record.id && event.type === 'status' && event.state === 'completed');
    const collected = await page.evaluate(() => ({
      frames: (window as unknown as { __frameDeltas: number[] }).__frameDeltas.slice(1),
      flushes: window.__workbenchFlushTimings ?? [],
    }));
    const timing = await timeRun(serve, record.id, processCpuSeconds(serve.child.pid!) - cpuBefore);
    const chromiumCpu = (cpuSecondsBelow(process.pid, /chrom/i) - chromiumBefore) / timing.wallSeconds;
    const pageAfter = await pageMetrics();
    const perSecond = (name: string) => (pageAfter[name] - pageBefore[name]) / timing.wallSeconds;
    const mainThread = {
      task: perSecond('TaskDuration'),
      script: perSecond('ScriptDuration'),
      layout: perSecond('LayoutDuration'),
      style: perSecond('RecalcStyleDuration'),
    };
    return { timing, chromiumCpu, mainThread, ...collected };
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  if (!existsSync(path.join(repoRoot, 'dist/renderer/index.html')))
    throw new Error('dist/renderer/index.html is missing; run `npm run build:renderer` first.');
  const runsDir = await mkdtemp(path.join(tmpdir(), 'workbench-bench-ui-'));
  const serve = await startServe(runsDir);
  try {
    const headless: RunTiming[] = [];
    const attached: RunTiming[] = [];
    const frames: number[] = [];
    const flushes: { flushMs: number; renderedMs: number }[] = [];
    const chromiumCpu: number[] = [];
    const mainThread: Record<string, number>[] = [];
    // The first run of a process pays for loading the digits, compiling wasm and warming the JIT: not measured.
    log('warm-up run…');
    const warmUp = (await serve.call('startRun', {
      config: { ...config, steps: 20, evalEvery: 20, evalDraws: 1 },
      name: 'bench warm-up',
    })) as RunRecord;
    await serve.waitFor((event) => event.runId === warmUp.id && event.type === 'status' && event.state === 'completed');
    // Alternating, so a machine that warms up or slows down over time weighs on both sides.
    for (let repeat = 0; repeat < repeats; repeat += 1) {
      log(`headless run ${repeat + 1}/${repeats}…`);
      headless.push(await headlessRun(serve, repeat));
      log(`browser run ${repeat + 1}/${repeats}…`);
      const withBrowser = await browserRun(serve, repeat);
      attached.push(withBrowser.timing);
      frames.push(...withBrowser.frames);
      flushes.push(...withBrowser.flushes);
      chromiumCpu.push(withBrowser.chromiumCpu);
      mainThread.push(withBrowser.mainThread);
    }
    const mean = (runs: RunTiming[], key: keyof RunTiming) =>
      runs.reduce((sum, run) => sum + run[key], 0) / runs.length;
    const summarise = (runs: RunTiming[]) => ({
      workerStepsPerSecond: round(mean(runs, 'workerStepsPerSecond'), 3),
      wallStepsPerSecond: round(mean(runs, 'wallStepsPerSecond'), 3),
      wallSeconds: round(mean(runs, 'wallSeconds'), 1),
      hostCpuPerSecond: round(mean(runs, 'hostCpu'), 3),
    });
    const slowdown = (key: keyof RunTiming) => 1 - mean(attached, key) / mean(headless, key);
    console.log(
      JSON.stringify(
        {
          run: {
            experiment: 'lenet5',
            steps,
            evalEvery,
            evalDraws: draws,
            batchSize: config.batchSize,
            backend,
            repeats,
          },
          machine: { cpus: availableParallelism() },
          headless: summarise(headless),
          withBrowser: {
            view,
            ...summarise(attached),
            chromiumCpuPerSecond: round(chromiumCpu.reduce((sum, value) => sum + value, 0) / chromiumCpu.length, 3),
            /** Seconds per wall second on the page's main thread (Chromium's Performance.getMetrics). */
            pageMainThreadPerSecond: Object.fromEntries(
              ['task', 'script', 'layout', 'style'].map((key) => [
                key,
                round(mainThread.reduce((sum, entry) => sum + entry[key], 0) / mainThread.length, 3),
              ]),
            ),
          },
          slowdown: {
            worker: round(slowdown('workerStepsPerSecond'), 4),
            wall: round(slowdown('wallStepsPerSecond'), 4),
            goal: 0.03,
          },
          browser: {
            frames: frames.length,
            frameTimeP50Ms: round(percentile(frames, 0.5)),
            frameTimeP95Ms: round(percentile(frames, 0.95)),
            frameTimeGoalMs: 16,
            flushes: flushes.length,
            liveFlushP95Ms: round(
              percentile(
                flushes.map((entry) => entry.flushMs),
                0.95,
              ),
              3,
            ),
            liveFlushUntilRedrawnP95Ms: round(
              percentile(
                flushes.map((entry) => entry.renderedMs),
                0.95,
              ),
              3,
            ),
          },
        },
        null,
        2,
      ),
    );
  } finally {
    await serve.close();
    await rm(runsDir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
