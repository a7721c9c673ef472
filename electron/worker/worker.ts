/**
 * Entry point of the one long-lived training worker (node:worker_threads). It owns the tfjs
 * backend — tfjs-node is known to fail when a second thread loads it — and trains the runs the
 * host sends it, one at a time.
 */
import { parentPort } from 'node:worker_threads';
import { experimentTrainers } from '../../core/experiments/trainers';
import { workerEnvironment } from './datasetFiles';
import { WorkerGradientPool } from './gradientPool';
import { serveTrainingWorker, TrainingWorkerError } from './trainingWorkerRuntime';

if (!parentPort) {
  throw new TrainingWorkerError('electron/worker/worker.ts must be started as a worker thread, not run directly.');
}
serveTrainingWorker(parentPort, experimentTrainers, {
  ...workerEnvironment,
  startGradientPool: (spec) => WorkerGradientPool.start(spec),
});
