import { bigserial, boolean, index, jsonb, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';
import { createEventTables } from '../event-tables.js';

/** Owned by maintenance-service: no other service reads or writes these tables. */
export const maintenanceSchema = pgSchema('maintenance');

export const {
  outbox: maintenanceOutbox,
  inbox: maintenanceInbox,
  deadLetters: maintenanceDeadLetters,
} = createEventTables(maintenanceSchema);

/**
 * One row per cleanup or reconcile run (CronJob, scheduler or by hand): what it did, how long it took,
 * whether it succeeded. The scheduler's `/metrics` reads the last success per command from here, so
 * runs made by short-lived CronJob pods count too.
 */
export const maintenanceRuns = maintenanceSchema.table(
  'runs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    command: text('command').notNull(),
    dryRun: boolean('dry_run').notNull().default(false),
    status: text('status').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    summary: jsonb('summary'),
  },
  (t) => [index('runs_command_started_at_idx').on(t.command, t.startedAt)],
);
