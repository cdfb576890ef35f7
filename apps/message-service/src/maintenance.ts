/**
 * Queries of the message service's own tables for the maintenance service (`@astria/message-service/maintenance`):
 * the maintenance jobs call these instead of reading `messaging.*` themselves.
 */
import { type Database, MIGRATED_SCHEMA_NAMES, messaging, queryRows, rowUserHashes } from '@astria/db';
import { createOutbox, pendingEvent } from '@astria/events';
import { and, asc, count, eq, lt, min, sql } from 'drizzle-orm';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { templateReminder } from './conversation/window.js';
import { lockConversation, saveConversation } from './store.js';

const { conversations } = messaging;

export interface StaleTrainings {
  /** Conversations in `training` not updated for `olderThanMinutes`. */
  count: number;
  /** The `updated_at` of the oldest of them. */
  oldestUpdatedAt: Date | null;
  /** Their user ids (raw: mask before logging), oldest first, at most `limit`. */
  userIds: string[];
}

export interface StaleTrainingQuery {
  olderThanMinutes: number;
  /** How many user ids to return. */
  limit: number;
  now?: Date;
}

/**
 * Conversations stuck in `training` (the image service never answered). Null when the message
 * service's tables do not exist yet (not deployed / not migrated).
 */
export async function findStaleTrainings(
  database: Database,
  { olderThanMinutes, limit, now = new Date() }: StaleTrainingQuery,
): Promise<StaleTrainings | null> {
  const table = getTableConfig(conversations);
  const [present] = await queryRows<{ present: boolean }>(
    database.db,
    sql`select to_regclass(${`${table.schema}.${table.name}`}) is not null as present`,
  );
  if (!present?.present) return null;
  const cutoff = new Date(now.getTime() - olderThanMinutes * 60_000);
  const stale = and(eq(conversations.state, 'training'), lt(conversations.updatedAt, cutoff));
  const [summary] = await database.db
    .select({ n: count(), oldest: min(conversations.updatedAt) })
    .from(conversations)
    .where(stale);
  const users = await database.db
    .select({ userId: conversations.userId })
    .from(conversations)
    .where(stale)
    .orderBy(asc(conversations.updatedAt))
    .limit(limit);
  const oldest = summary?.oldest ?? null;
  return {
    count: Number(summary?.n ?? 0),
    oldestUpdatedAt: oldest === null ? null : new Date(oldest),
    userIds: users.map((u) => u.userId),
  };
}

/** Time columns that say when a row was made, by preference: a row made after the erasure is the user's new data. */
const TIME_COLUMNS = [
  'created_at',
  'received_at',
  'sent_at',
  'requested_at',
  'dead_lettered_at',
  'handled_at',
  'started_at',
  'built_at',
  'assigned_at',
  'updated_at',
];

export interface ErasureCheck {
  /** Erasures found complete (verified_at set). */
  verified: number;
  /** Erasures with something of the user left: by `schema.table`, rows (summed over those erasures). */
  leftovers: Record<string, number>;
  failing: number;
}

interface TableToCheck {
  name: string;
  textColumns: string[];
  jsonColumns: string[];
  timeColumn: string | null;
}

/** The statement_timeout of one table's scan in the erasure check (a whole-table, read-only scan). */
export const ERASURE_SCAN_TIMEOUT_MS = 600_000;

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Verifies every erasure not verified yet: no row older than the erasure, in any table of any service
 * schema, holds the user's id — a text value, a phone-number-like run of digits or a business-scoped id
 * inside a text, or any string inside a JSON document (`rowUserHashes` of @astria/db: one scan per table for all of them) —
 * compared by SHA-256 with the audit row's hash (the user id itself is no longer known). A clean erasure gets `verified_at`; otherwise its `leftovers`
 * (table → rows) are recorded and it is checked again on the next run. Null when the table does not exist.
 */
export async function verifyErasures(
  database: Database,
  {
    dryRun = false,
    limit = 100,
    statementTimeoutMs = ERASURE_SCAN_TIMEOUT_MS,
  }: { dryRun?: boolean; limit?: number; statementTimeoutMs?: number } = {},
): Promise<ErasureCheck | null> {
  const { db } = database;
  const [present] = await queryRows<{ present: boolean }>(
    db,
    sql`select to_regclass('messaging.erasures') is not null as present`,
  );
  if (!present?.present) return null;
  const pending = await queryRows<{ id: number | string; user_hash: string; erased_at: Date | string }>(
    db,
    sql`select id, user_hash, erased_at from messaging.erasures where verified_at is null order by erased_at limit ${limit}`,
  );
  const result: ErasureCheck = { verified: 0, leftovers: {}, failing: 0 };
  if (pending.length === 0) return result;
  // One scan per table for every pending erasure: each row's tokens are hashed once and joined with the
  // erasures' hashes (a scan per erasure and table would cost erasures × rows).
  const found = new Map<string, Record<string, number>>(pending.map((e) => [String(e.id), {}]));
  const erasures = JSON.stringify(
    pending.map((e) => ({ id: String(e.id), user_hash: e.user_hash, erased_at: new Date(e.erased_at).toISOString() })),
  );
  for (const table of await tablesToCheck(database))
    for (const { id, n } of await countUserRows(database, table, erasures, statementTimeoutMs)) {
      const counts = found.get(String(id));
      if (counts) counts[table.name] = Number(n);
    }
  for (const erasure of pending) {
    const leftovers = found.get(String(erasure.id)) ?? {};
    if (Object.keys(leftovers).length === 0) {
      result.verified++;
      if (!dryRun)
        await db.execute(
          sql`update messaging.erasures set verified_at = now(), leftovers = null where id = ${erasure.id}`,
        );
    } else {
      result.failing++;
      for (const [name, n] of Object.entries(leftovers)) result.leftovers[name] = (result.leftovers[name] ?? 0) + n;
      if (!dryRun)
        await db.execute(
          sql`update messaging.erasures set leftovers = ${JSON.stringify(leftovers)}::jsonb where id = ${erasure.id}`,
        );
    }
  }
  return result;
}

async function tablesToCheck(database: Database): Promise<TableToCheck[]> {
  const columns = await queryRows<{ table_schema: string; table_name: string; column_name: string; data_type: string }>(
    database.db,
    sql`select c.table_schema, c.table_name, c.column_name, c.data_type
          from information_schema.columns c
          join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
         where t.table_type = 'BASE TABLE' and c.table_schema in ${sql.raw(`(${MIGRATED_SCHEMA_NAMES.map((s) => `'${s}'`).join(', ')})`)}
           and c.table_name <> 'erasures'
         order by c.table_schema, c.table_name, c.ordinal_position`,
  );
  const tables = new Map<string, TableToCheck & { times: string[] }>();
  for (const c of columns) {
    const name = `${c.table_schema}.${c.table_name}`;
    const table = tables.get(name) ?? { name, textColumns: [], jsonColumns: [], timeColumn: null, times: [] };
    tables.set(name, table);
    if (c.data_type === 'text' || c.data_type === 'character varying') table.textColumns.push(c.column_name);
    else if (c.data_type === 'jsonb' || c.data_type === 'json') table.jsonColumns.push(c.column_name);
    else if (c.data_type.startsWith('timestamp')) table.times.push(c.column_name);
  }
  return [...tables.values()]
    .filter((t) => t.textColumns.length + t.jsonColumns.length > 0)
    .map(({ times, ...t }) => ({ ...t, timeColumn: TIME_COLUMNS.find((c) => times.includes(c)) ?? null }));
}

/** Rows of a table older than each erasure that hold its user, by erasure id (only erasures with some). */
async function countUserRows(
  database: Database,
  table: TableToCheck,
  erasures: string,
  statementTimeoutMs: number,
): Promise<Array<{ id: string; n: number | string }>> {
  const [schema, name] = table.name.split('.') as [string, string];
  const column = (c: string) => sql.raw(`r.${ident(c)}`);
  const hashes = rowUserHashes({ text: table.textColumns.map(column), json: table.jsonColumns.map(column) });
  const before = table.timeColumn ? sql`${column(table.timeColumn)} < p.erased_at` : sql`true`;
  // A read-only scan of a whole table outlasts the connections' statement_timeout (meant for the hot
  // path) on large tables: this transaction gets its own.
  return database.db.transaction(async (tx) => {
    await tx.execute(sql.raw(`set local statement_timeout = ${Math.trunc(statementTimeoutMs)}`));
    return queryRows<{ id: string; n: number | string }>(
      tx,
      sql`select p.id, count(distinct r.ctid) as n
          from ${sql.raw(`${ident(schema)}.${ident(name)}`)} r
          cross join lateral (${hashes}) k
          join jsonb_to_recordset(${erasures}::jsonb) as p(id text, user_hash text, erased_at timestamptz)
            on p.user_hash = k.h and ${before}
         group by p.id`,
    );
  });
}

export interface TemplateReminderRun {
  /** Users waiting on a template whose reminder was due. */
  due: number;
  /** Reminders put in the outbox (the sender sends them in order with the user's other messages). */
  reminded: number;
  /** Reminders by template purpose. */
  byPurpose: Record<string, number>;
}

/**
 * Users who have not answered a window template are reminded with the same template, at most
 * `maxReminders` times, `intervalHours` apart (`templateReminder`, pure); never an opted-out user. Each
 * reminder is one turn: the conversation locked, the reminder recorded on it and put in the message
 * service's outbox in the same transaction (so through the same ordering, pacing and retries as every
 * send). Null when the message service's tables do not exist.
 */
export async function sendTemplateReminders(
  database: Database,
  {
    maxReminders,
    intervalHours,
    limit,
    now = new Date(),
    dryRun = false,
  }: { maxReminders: number; intervalHours: number; limit: number; now?: Date; dryRun?: boolean },
): Promise<TemplateReminderRun | null> {
  const [present] = await queryRows<{ present: boolean }>(
    database.db,
    sql`select to_regclass('messaging.conversations') is not null as present`,
  );
  if (!present?.present) return null;
  const run: TemplateReminderRun = { due: 0, reminded: 0, byPurpose: {} };
  if (maxReminders <= 0) return run;
  const policy = { maxReminders, intervalMs: intervalHours * 3_600_000 };
  const due = await queryRows<{ user_id: string }>(
    database.db,
    sql`select user_id from messaging.conversations
         where data->>'waitingTemplate' = 'true' and coalesce(data->>'optedOut', 'false') <> 'true'
           and jsonb_typeof(data->'pendingTemplate') = 'object'
           and (data->'pendingTemplate'->>'reminders')::int < ${maxReminders}
           and (data->'pendingTemplate'->>'sentAt')::bigint <= ${now.getTime() - policy.intervalMs}
         order by updated_at limit ${limit}`,
  );
  run.due = due.length;
  if (dryRun) return run;
  const outbox = createOutbox('message-service');
  for (const { user_id: userId } of due) {
    await database.db.transaction(async (tx) => {
      const conversation = await lockConversation(tx, userId);
      const { conversation: next, reminder } = templateReminder(conversation, now, policy);
      if (!reminder) return; // answered (or reminded) since the query
      await saveConversation(tx, next);
      await outbox.addMany(tx, [
        pendingEvent('whatsapp_send_requested', { to: userId, message: reminder }, { key: userId }),
      ]);
      run.reminded++;
      const purpose = reminder.kind === 'template' ? reminder.purpose : 'unknown';
      run.byPurpose[purpose] = (run.byPurpose[purpose] ?? 0) + 1;
    });
  }
  return run;
}
