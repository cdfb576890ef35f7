import { sql } from 'drizzle-orm';
import {
  bigserial,
  index,
  integer,
  jsonb,
  type PgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * The event tables every service owns in its own Postgres schema:
 * - outbox: events written in the same transaction as the state change that caused them;
 * - inbox: (subscription, event id) of every event a consumer has applied, written with its effect;
 * - dead_letters: events a subscription gave up on, with the reason, for the operator to replay.
 */
export function createEventTables(schema: PgSchema) {
  const outbox = schema.table(
    'outbox',
    {
      seq: bigserial('seq', { mode: 'number' }).primaryKey(),
      eventId: uuid('event_id').notNull(),
      type: text('type').notNull(),
      key: text('key'),
      envelope: jsonb('envelope').notNull(),
      /** Set by a dead-letter replay: deliver to this subscription only. */
      targetSubscription: text('target_subscription'),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      claimedUntil: timestamp('claimed_until', { withTimezone: true }),
      publishedAt: timestamp('published_at', { withTimezone: true }),
      publishAttempts: integer('publish_attempts').notNull().default(0),
      lastError: text('last_error'),
    },
    (t) => [
      index('outbox_pending_idx').on(t.seq).where(sql`published_at IS NULL`),
      index('outbox_published_at_idx').on(t.publishedAt).where(sql`published_at IS NOT NULL`),
    ],
  );

  const inbox = schema.table(
    'inbox',
    {
      subscription: text('subscription').notNull(),
      eventId: uuid('event_id').notNull(),
      handledAt: timestamp('handled_at', { withTimezone: true }).notNull().defaultNow(),
    },
    (t) => [primaryKey({ columns: [t.subscription, t.eventId] }), index('inbox_handled_at_idx').on(t.handledAt)],
  );

  const deadLetters = schema.table(
    'dead_letters',
    {
      id: bigserial('id', { mode: 'number' }).primaryKey(),
      subscription: text('subscription').notNull(),
      eventId: uuid('event_id').notNull(),
      type: text('type').notNull(),
      key: text('key'),
      envelope: jsonb('envelope').notNull(),
      reason: text('reason').notNull(),
      lastError: text('last_error'),
      deliveryCount: integer('delivery_count').notNull(),
      deadLetteredAt: timestamp('dead_lettered_at', { withTimezone: true }).notNull().defaultNow(),
      replayedAt: timestamp('replayed_at', { withTimezone: true }),
    },
    (t) => [
      uniqueIndex('dead_letters_subscription_event_idx').on(t.subscription, t.eventId),
      index('dead_letters_dead_lettered_at_idx').on(t.deadLetteredAt),
    ],
  );

  return { outbox, inbox, deadLetters };
}

export type EventTables = ReturnType<typeof createEventTables>;
