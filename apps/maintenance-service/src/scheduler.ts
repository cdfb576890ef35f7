import type { Logger } from '@astria/service-kit';
import { Cron } from 'croner';
import type { MaintenanceCommand } from './runs.js';

export interface SchedulerOptions {
  schedules: Record<MaintenanceCommand, string>;
  run: (command: MaintenanceCommand) => Promise<unknown>;
  logger: Logger;
}

export interface Scheduler {
  start(): void;
  /** Stops triggering and waits for runs in progress. */
  stop(): Promise<void>;
  /** Next trigger of each command (ISO, UTC), or null when stopped. */
  next(): Record<MaintenanceCommand, string | null>;
}

/** The in-process scheduler of the long-running mode: the same cron expressions as the CronJobs, in UTC. */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const inFlight = new Set<Promise<unknown>>();
  const jobs = (Object.entries(options.schedules) as Array<[MaintenanceCommand, string]>).map(
    ([command, pattern]) =>
      [
        command,
        new Cron(pattern, { timezone: 'UTC', paused: true, protect: true }, async () => {
          const running = options.run(command).catch((error: unknown) => {
            options.logger.error(
              { command, err: error instanceof Error ? error.message : String(error) },
              'scheduled run failed',
            );
          });
          inFlight.add(running);
          try {
            await running;
          } finally {
            inFlight.delete(running);
          }
        }),
      ] as const,
  );
  return {
    start() {
      for (const [command, job] of jobs) {
        job.resume();
        options.logger.info({ command, cron: job.getPattern(), next: job.nextRun()?.toISOString() }, 'scheduled');
      }
    },
    async stop() {
      for (const [, job] of jobs) job.stop();
      await Promise.all([...inFlight]);
    },
    next() {
      const out = {} as Record<MaintenanceCommand, string | null>;
      for (const [command, job] of jobs) out[command] = job.isStopped() ? null : (job.nextRun()?.toISOString() ?? null);
      return out;
    },
  };
}
