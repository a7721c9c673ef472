/**
 * The reply side of a helper thread of the training worker, shared by the evaluation pool (helpers
 * sharing posterior draws) and the gradient pool (helpers of data-parallel training): one request
 * at a time waits on a helper; its reply settles it, an `error` reply rejects it with the helper
 * named, and the helper's live tensor count is kept (tests check it stays flat). A thread that
 * stops with an error or exits while its pool is not closing is reported to `onDeath` with the
 * reason: what a death means is the pool's own business (the evaluation pool retires that helper
 * and gives its draw back; the gradient pool fails every pending step and the run).
 */
import type { Worker } from 'node:worker_threads';
import type { HelperReply } from './gradientMessages';

export interface HelperThread {
  worker: Worker;
  pending?: { resolve: (reply: HelperReply) => void; reject: (error: Error) => void };
  /** The helper's live tensor count after its last reply. */
  tensors: number;
}

export interface WatchHelperOptions {
  /** The pool's own error type, for a helper's `error` reply ("Gradient helper 1 of 2 failed: …"). */
  makeError(message: string): Error;
  /** True once the pool terminates its threads on purpose: their exits are no deaths. */
  isClosing(): boolean;
  /** The thread died: `reason` completes "<name> …", e.g. "exited unexpectedly (exit code 1)". */
  onDeath(reason: string): void;
  /** An `error` reply to no request (work the thread took from shared memory failed). */
  onStrayError?(error: Error): void;
}

export function watchHelper(helper: HelperThread, name: string, options: WatchHelperOptions): void {
  helper.worker.on('message', (reply: HelperReply) => {
    const pending = helper.pending;
    helper.pending = undefined;
    if (reply.type === 'error') {
      const error = options.makeError(`${name} failed: ${reply.message}`);
      if (pending) pending.reject(error);
      else options.onStrayError?.(error);
      return;
    }
    helper.tensors = reply.tensors;
    pending?.resolve(reply);
  });
  helper.worker.on('error', (error) => options.onDeath(`stopped with an error (${error.message})`));
  helper.worker.on('exit', (code) => {
    if (!options.isClosing()) options.onDeath(`exited unexpectedly (exit code ${code})`);
  });
}
