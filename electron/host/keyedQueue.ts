/**
 * One chain of tasks per key: tasks of a key run one after another in call order, tasks of
 * different keys concurrently. A failed task does not stop the chain. The run store queues every
 * file operation of a run on it; the run manager queues its check-then-act steps (resume, delete,
 * rename) on it, so no two of them interleave.
 */
export class KeyedQueue {
  private readonly chains = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(task);
    this.chains.set(key, next);
    const forget = () => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    };
    next.then(forget, forget);
    return next;
  }

  /** Resolves once every task queued so far has settled. */
  async idle(): Promise<void> {
    await Promise.all([...this.chains.values()].map((chain) => chain.catch(() => undefined)));
  }
}
