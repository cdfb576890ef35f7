/** How many group transactions may run at once, and the most jobs one of them takes. */
export interface GroupCommitLimits {
  maxConcurrentTx: number;
  maxBatch: number;
}

/**
 * Group commit: while `maxConcurrentTx` transactions run, jobs that arrive wait and then share the next
 * one (up to `maxBatch`), each settled only after `commitGroup` (which runs one transaction for the
 * batch and returns one result per job, in order) has finished; when idle a job gets its own at once.
 * When a shared transaction fails, each of its jobs is tried again alone, so one bad job fails on its
 * own and never its neighbours.
 */
export function groupCommit<J, R>(
  limits: GroupCommitLimits,
  commitGroup: (batch: J[]) => Promise<R[]>,
): (job: J) => Promise<R> {
  type Waiting = { job: J; resolve(result: R): void; reject(error: unknown): void };
  const pending: Waiting[] = [];
  let running = 0;
  const run = async (batch: Waiting[]): Promise<void> => {
    try {
      const results = await commitGroup(batch.map((w) => w.job));
      for (const [i, waiting] of batch.entries()) waiting.resolve(results[i] as R);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      await Promise.all(batch.map((waiting) => run([waiting])));
    }
  };
  const pump = (): void => {
    while (running < limits.maxConcurrentTx && pending.length > 0) {
      const batch = pending.splice(0, limits.maxBatch);
      running++;
      void run(batch).finally(() => {
        running--;
        pump();
      });
    }
  };
  return (job) =>
    new Promise<R>((resolve, reject) => {
      pending.push({ job, resolve, reject });
      pump();
    });
}
