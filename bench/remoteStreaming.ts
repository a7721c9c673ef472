/**
 * What the run queue carries: 8 remote runs streaming at once from a queue worker (`npm run worker
 * -- --concurrency 8`) through a real redis-server to a browser shell (`serve --queue`), and a
 * WebSocket client subscribed to that shell. Prints one JSON object:
 * - events per second carried (events stored in the runs' events.ndjson / wall time of the stream),
 * - p50/p95 delay from the worker thread's emit (the event's `time`) to the event being in
 *   events.ndjson on the host (the files are polled every 20 ms, so up to 20 ms is the poll's),
 *   and to the WebSocket client receiving it (the renderer's stores receive the same message on
 *   that socket; the live charts' store then batches per animation frame, not counted here; the host
 *   coalesces what it forwards: only the events forwarded are counted),
 * - the host's (serve's) CPU seconds per wall second over the stream, from /proc.
 * Everything runs on this machine (loopback), so the numbers include the workers' own CPU use; the
 * load average (1, 5, 15 min) at the start and end is printed with them.
 *
 *   npx tsx bench/remoteStreaming.ts [--runs 8] [--epochs 300]
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { sinusoidPresets } from '../core/experiments/sinusoid/presets';
import type { RunEvent } from '../core/contract/runEvent';
import type { RunRecord } from '../core/contract/workbenchApi';
import { startRedisServer } from '../test/fixtures/redisServer';
import { startServeWithClient } from '../test/fixtures/serveApiClient';
import { startQueueWorkerProcess } from '../test/fixtures/queueWorkerProcess';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 && process.argv[index + 1] ? process.argv[index + 1] : fallback;
}
const runCount = Number(option('runs', '8'));
const epochs = Number(option('epochs', '300'));

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** utime + stime of a process, in seconds (/proc/PID/stat, clock ticks of 100 Hz). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function main(): Promise<void> {
  const redis = await startRedisServer();
  const runsDir = await mkdtemp(path.join(tmpdir(), 'bench-remote-'));
  const worker = startQueueWorkerProcess(redis.url, 'bench-worker', ['--concurrency', String(runCount)]);
  try {
    await worker.ready;
    const serve = await startServeWithClient(runsDir, 120_000, ['--queue', redis.url]);
    const wsDelays: number[] = [];
    serve.socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { event?: RunEvent };
      if (message.event && message.event.type !== 'status') wsDelays.push(Date.now() - message.event.time);
    });
    const preset = sinusoidPresets.find((candidate) => candidate.name === 'default')!;
    const ids: string[] = [];
    for (let index = 0; index < runCount; index += 1) {
      const config = { ...preset.config, seed: index, epochs, evalEvery: 100, gridPoints: 40, predictiveDraws: 8 };
      const record = (await serve.call('startRun', { config, runOn: 'queue' })) as RunRecord;
      ids.push(record.id);
    }
    // Poll each run's events.ndjson for new lines.
    const offsets = new Map(ids.map((id) => [id, 0]));
    const partial = new Map(ids.map((id) => [id, '']));
    const storedDelays: number[] = [];
    let stored = 0;
    let firstEmit = Infinity;
    let lastStored = 0;
    const loadAtStart = loadavg().map((value) => Number(value.toFixed(2)));
    const cpuStart = cpuSeconds(serve.child.pid!);
    const wallStart = Date.now();
    const finished = new Set<string>();
    while (finished.size < ids.length) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (const id of ids) {
        const file = path.join(runsDir, id, 'events.ndjson');
        let handle;
        try {
          handle = await open(file, 'r');
        } catch {
          continue;
        }
        try {
          const { size } = await handle.stat();
          const from = offsets.get(id)!;
          if (size <= from) continue;
          const buffer = Buffer.alloc(size - from);
          await handle.read(buffer, 0, buffer.length, from);
          offsets.set(id, size);
          const text = partial.get(id)! + buffer.toString('utf8');
          const lines = text.split('\n');
          partial.set(id, lines.pop()!);
          const now = Date.now();
          for (const line of lines) {
            if (!line.trim()) continue;
            const event = JSON.parse(line) as RunEvent;
            stored += 1;
            lastStored = now;
            if (event.type === 'status') {
              if (['completed', 'failed', 'stopped'].includes(event.state)) finished.add(id);
              continue; // the host writes its own status events; only the worker's are timed
            }
            firstEmit = Math.min(firstEmit, event.time);
            storedDelays.push(now - event.time);
          }
        } finally {
          await handle.close();
        }
      }
      if (Date.now() - wallStart > 1_800_000) throw new Error('The runs did not finish within 30 minutes.');
    }
    const wallSeconds = (Date.now() - wallStart) / 1000;
    const hostCpu = cpuSeconds(serve.child.pid!) - cpuStart;
    const states = await Promise.all(ids.map(async (id) => ((await serve.call('getRun', id)) as RunRecord).state));
    const streamSeconds = (lastStored - firstEmit) / 1000;
    process.stdout.write(
      `${JSON.stringify({
        runs: runCount,
        epochs,
        states,
        eventsStored: stored,
        streamSeconds: Number(streamSeconds.toFixed(1)),
        eventsPerSecond: Number((stored / streamSeconds).toFixed(1)),
        emitToStoredMs: {
          p50: percentile(storedDelays, 50),
          p95: percentile(storedDelays, 95),
          count: storedDelays.length,
        },
        emitToWebSocketMs: { p50: percentile(wsDelays, 50), p95: percentile(wsDelays, 95), count: wsDelays.length },
        hostCpuSecondsPerWallSecond: Number((hostCpu / wallSeconds).toFixed(3)),
        hostCpuShareOfMachine: Number((hostCpu / wallSeconds / availableParallelism()).toFixed(3)),
        cores: availableParallelism(),
        loadAverage: { atStart: loadAtStart, atEnd: loadavg().map((value) => Number(value.toFixed(2))) },
      })}\n`,
    );
    serve.socket.terminate();
    await serve.stop();
  } finally {
    await worker.kill('SIGKILL');
    await redis.stop();
    await rm(runsDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
