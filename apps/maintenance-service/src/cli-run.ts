import { maintenanceCommandConfigSchema } from '@astria/config';
import { migrate, withCommandDatabase } from '@astria/db';
import { loggerOptions } from '@astria/service-kit';
import { type CommandIo, type CommandLine, parseCommand } from '@astria/service-kit/cli';
import pino from 'pino';
import { Registry } from 'prom-client';
import { type ImageMaintenanceProvider, imageMaintenanceFromPackage } from './image-maintenance.js';
import { runCommand } from './jobs.js';
import { createMaintenanceMetrics } from './metrics.js';
import type { MaintenanceCommand } from './runs.js';

export const USAGE = `Usage: maintenance <command> [--dry-run]

Commands:
  cleanup     delete what is past retention (de-dup records, outbox, inbox, dead letters,
              photos and blobs, Astria tunes when enabled), in batches, under an advisory lock
  reconcile   poll Astria for tunes past ETA + grace without images; report stale trainings
  serve       long-running mode: the same jobs on their cron schedules, health and metrics

Options:
  --dry-run   print what would be deleted or delivered, change nothing
  --help      this text

Exit status: 0 done (or skipped: another run holds the lock), 1 failed, 2 usage, 78 configuration.
The last line on stdout is one JSON summary; logs go to stderr.`;

export type ParsedArgs = CommandLine<{ kind: 'run'; command: MaintenanceCommand; dryRun: boolean } | { kind: 'serve' }>;

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const parsed = parseCommand(argv, { 'dry-run': { type: 'boolean' } });
  if (parsed.kind !== 'run') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) return { kind: 'usage', error: 'expected exactly one command' };
  const command = positionals[0];
  if (command === 'serve') {
    return values['dry-run'] ? { kind: 'usage', error: '--dry-run does not apply to serve' } : { kind: 'serve' };
  }
  if (command === 'cleanup' || command === 'reconcile')
    return { kind: 'run', command, dryRun: values['dry-run'] === true };
  return { kind: 'usage', error: `unknown command ${command}` };
}

export interface CliIo extends CommandIo {
  /** Where logs go (default: stderr). */
  logStream?: pino.DestinationStream;
  /** For tests: the image service's maintenance instead of the package's. */
  imageMaintenance?: ImageMaintenanceProvider;
}

/** One-shot cleanup or reconcile: returns the exit status (the entry point exits with it). */
export async function runCli(parsed: Extract<ParsedArgs, { kind: 'run' }>, io: CliIo): Promise<number> {
  // Only what this command uses: `cleanup --dry-run` needs the database, not Astria's key.
  const schema = maintenanceCommandConfigSchema(parsed.command, { dryRun: parsed.dryRun });
  const options = {
    command: `maintenance ${parsed.command}`,
    schema,
    poolMax: 3,
    applicationName: `maintenance-${parsed.command}`,
  };
  return withCommandDatabase(io, options, async ({ config, database }) => {
    const logger = pino(loggerOptions('maintenance-service', config.LOG_LEVEL), io.logStream ?? pino.destination(2));
    try {
      if (config.RUN_MIGRATIONS) await migrate(database, { url: config.DATABASE_URL });
      const metrics = createMaintenanceMetrics(new Registry());
      const summary = await runCommand(
        {
          database,
          config,
          imageMaintenance: io.imageMaintenance ?? imageMaintenanceFromPackage({ database, config, logger }),
          logger,
          metrics,
        },
        parsed.command,
        { dryRun: parsed.dryRun },
      );
      io.stdout(JSON.stringify(summary));
      return summary.status === 'failed' ? 1 : 0;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error({ err: message }, `${parsed.command} could not run`);
      io.stdout(JSON.stringify({ command: parsed.command, status: 'failed', dryRun: parsed.dryRun, error: message }));
      return 1;
    } finally {
      logger.flush?.();
    }
  });
}
