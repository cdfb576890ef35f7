import type { MaintenanceServiceConfig } from '@astria/config';
import { SCHEMA_NAMES } from '@astria/db';

/** Pure cleanup policy: which rows of which table are past retention, given one fixed "now". */

export type CleanupKind =
  | 'dedup'
  | 'outbox'
  | 'inbox'
  | 'dead_letters'
  | 'run_history'
  | 'photos'
  | 'tunes'
  | 'erasure_check';

/** A table cleaned by rows: its key (to delete in batches) and the condition that makes a row past retention. */
export interface RowRule {
  kind: Exclude<CleanupKind, 'photos' | 'tunes' | 'erasure_check'>;
  schema: string;
  table: string;
  /** Primary-key columns: batches select keys, then delete those rows. */
  key: readonly string[];
  /** SQL condition over the table's columns with one parameter, `$cutoff` (a timestamptz). */
  condition: string;
  cutoff: Date;
  /** Absent tables (a service not deployed yet) are skipped, not failed. */
  optional: boolean;
}

export type RetentionSettings = Pick<
  MaintenanceServiceConfig,
  | 'DEDUP_RETENTION_DAYS'
  | 'OUTBOX_RETENTION_DAYS'
  | 'INBOX_RETENTION_DAYS'
  | 'DEAD_LETTER_RETENTION_DAYS'
  | 'MAINTENANCE_RUN_HISTORY_DAYS'
>;

const DAY_MS = 86_400_000;

export function daysBefore(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/** Every row rule of a cleanup run, in the order they run. */
export function rowRules(settings: RetentionSettings, now: Date): RowRule[] {
  const rules: RowRule[] = [
    {
      kind: 'dedup',
      schema: 'messaging',
      table: 'inbound_messages',
      key: ['wamid'],
      condition: 'received_at < $cutoff',
      cutoff: daysBefore(now, settings.DEDUP_RETENTION_DAYS),
      optional: true,
    },
  ];
  // Every service's Postgres schema has its outbox, inbox and dead_letters.
  for (const schema of SCHEMA_NAMES) {
    rules.push(
      {
        kind: 'outbox',
        schema,
        table: 'outbox',
        key: ['seq'],
        // Never an unpublished row, however old: it is still waiting for the relay.
        condition: 'published_at is not null and published_at < $cutoff',
        cutoff: daysBefore(now, settings.OUTBOX_RETENTION_DAYS),
        optional: false,
      },
      {
        kind: 'inbox',
        schema,
        table: 'inbox',
        key: ['subscription', 'event_id'],
        condition: 'handled_at < $cutoff',
        cutoff: daysBefore(now, settings.INBOX_RETENTION_DAYS),
        optional: false,
      },
      {
        kind: 'dead_letters',
        schema,
        table: 'dead_letters',
        key: ['id'],
        // Replayed ones count from their replay, unresolved ones from their failure: an unresolved
        // dead letter younger than the retention is never deleted.
        condition: 'dead_lettered_at < $cutoff and coalesce(replayed_at, dead_lettered_at) < $cutoff',
        cutoff: daysBefore(now, settings.DEAD_LETTER_RETENTION_DAYS),
        optional: false,
      },
    );
  }
  rules.push({
    kind: 'run_history',
    schema: 'maintenance',
    table: 'runs',
    key: ['id'],
    condition: 'started_at < $cutoff',
    cutoff: daysBefore(now, settings.MAINTENANCE_RUN_HISTORY_DAYS),
    optional: false,
  });
  return rules;
}
