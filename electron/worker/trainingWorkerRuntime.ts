/**
 * The Node training worker's behaviour (./trainingSession.ts) with what Node provides: the backend
 * order of ./backend.ts (tfjs-node, Dawn, wasm, cpu) and the classification service of
 * ./oodServer.ts, which reads checkpoints from run folders. Apart from the entry point (./worker.ts)
 * so tests can serve a fake experiment registry through the same code.
 */
import type { ExperimentEnvironment } from '../../core/experiments/trainer';
import { selectBackend } from './backend';
import { OodServer } from './oodServer';
import { serveTrainingSession, type ExperimentRegistry, type HostPort } from './trainingSession';

export { TrainingWorkerError, type ExperimentRegistry, type HostPort } from './trainingSession';

/** Serves runs, one at a time, on `port` until the worker is terminated. */
export function serveTrainingWorker(
  port: HostPort,
  experiments: ExperimentRegistry,
  environment: ExperimentEnvironment,
): OodServer {
  let server: OodServer | null = null;
  serveTrainingSession(port, experiments, environment, {
    selectBackend,
    createRequestServer: (options) => (server = new OodServer(options)),
  });
  return server!;
}
