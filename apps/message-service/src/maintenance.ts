/**
 * Queries of the message service's own tables for the maintenance service (`@astria/message-service/maintenance`):
 * the maintenance jobs call these instead of reading `messaging.*` themselves.
 */
import { type Database, messaging, queryRows } from '@astria/db';
import { and, asc, count, eq, lt, min, sql } from 'drizzle-orm';
import { getTableConfig } from 'drizzle-orm/pg-core';

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
