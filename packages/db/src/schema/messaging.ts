import { sql } from 'drizzle-orm';
import {
  bigserial,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { createEventTables } from '../event-tables.js';

/** Owned by message-service: no other service reads or writes these tables. */
export const messagingSchema = pgSchema('messaging');

export const {
  outbox: messagingOutbox,
  inbox: messagingInbox,
  deadLetters: messagingDeadLetters,
} = createEventTables(messagingSchema);

/**
 * The WhatsApp de-duplication record: one row per inbound message id (`wamid`). Inserting it is
 * the first step of a webhook's transaction, so a redelivered message has no second effect.
 * The maintenance service deletes rows older than 14 days, in batches, by `received_at`.
 */
export const inboundMessages = messagingSchema.table(
  'inbound_messages',
  {
    wamid: text('wamid').primaryKey(),
    userId: text('user_id').notNull(),
    type: text('type').notNull(),
    /** WhatsApp's own timestamp of the message. */
    sentAt: timestamp('sent_at', { withTimezone: true }),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('inbound_messages_received_at_idx').on(t.receivedAt)],
);

/**
 * One row per WhatsApp user: the conversation's state (maintenance reports stale `training` rows),
 * its language and the engine's data (photos, chosen pack, credit, models…).
 */
export const conversations = messagingSchema.table(
  'conversations',
  {
    userId: text('user_id').primaryKey(),
    state: text('state').notNull(),
    language: text('language').notNull().default('en'),
    data: jsonb('data').notNull().default(sql`'{}'::jsonb`),
    /** Incremented by every turn (optimistic checks, debugging). */
    version: integer('version').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('conversations_state_updated_at_idx').on(t.state, t.updatedAt)],
);

/** Every outbound send the sender attempted to completion: the wamid Graph returned, or the error. */
export const outboundMessages = messagingSchema.table(
  'outbound_messages',
  {
    /** The whatsapp_send_requested event id. */
    eventId: uuid('event_id').primaryKey(),
    recipient: text('recipient').notNull(),
    kind: text('kind').notNull(),
    wamid: text('wamid'),
    outcome: text('outcome').notNull(),
    errorCode: integer('error_code'),
    errorMessage: text('error_message'),
    attempts: integer('attempts').notNull().default(1),
    /** What was sent (the event's OutboundMessage), to act on a `failed` status that comes later. */
    message: jsonb('message'),
    /** The send requested again after this one failed with a status WhatsApp sent later (at most once). */
    retryEventId: uuid('retry_event_id'),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('outbound_messages_wamid_idx').on(t.wamid),
    index('outbound_messages_sent_at_idx').on(t.sentAt),
    index('outbound_messages_retry_event_id_idx').on(t.retryEventId),
  ],
);

/**
 * The delivery status of an outbound message, by wamid (kept apart from outbound_messages because a
 * status may arrive before the send is recorded). Never moves backwards: sent < delivered < read;
 * failed is terminal.
 */
export const messageStatuses = messagingSchema.table('message_statuses', {
  wamid: text('wamid').primaryKey(),
  recipient: text('recipient'),
  status: text('status').notNull(),
  rank: integer('rank').notNull(),
  errorCode: integer('error_code'),
  errorTitle: text('error_title'),
  statusAt: timestamp('status_at', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Ratings and written feedback after a delivery. */
export const feedback = messagingSchema.table(
  'feedback',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: text('user_id').notNull(),
    rating: integer('rating'),
    text: text('text'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('feedback_created_at_idx').on(t.createdAt)],
);

/** Pack preview videos, from pack_images_updated. */
export const packVideos = messagingSchema.table(
  'pack_videos',
  {
    packId: integer('pack_id').notNull(),
    subjectClass: text('subject_class').notNull(),
    url: text('url').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.packId, t.subjectClass] })],
);

/**
 * The WhatsApp number's send budget shared by every message-service pod (WHATSAPP_MAX_MPS): a token
 * bucket per number, refilled by elapsed time when taken (apps/message-service/src/send-limiter.ts).
 */
export const sendLimits = messagingSchema.table('send_limits', {
  phoneNumberId: text('phone_number_id').primaryKey(),
  tokens: doublePrecision('tokens').notNull(),
  refilledAt: timestamp('refilled_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * One row per "Delete my data" a user confirmed: the audit of the erasure, with no personal data (the
 * SHA-256 of the user id, what was erased by count, when). The payments the user had made stay only as
 * SHA-256 hashes of their ids, so a late or replayed payment event is not applied a second time. The
 * maintenance cleanup verifies that nothing of the user older than `erased_at` remains in any table
 * (`verified_at`, or `leftovers`: table → rows).
 */
export const erasures = messagingSchema.table(
  'erasures',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userHash: text('user_hash').notNull(),
    erasedAt: timestamp('erased_at', { withTimezone: true }).notNull().defaultNow(),
    counts: jsonb('counts').$type<Record<string, number>>().notNull().default({}),
    paymentHashes: jsonb('payment_hashes').$type<string[]>().notNull().default([]),
    verifiedAt: timestamp('verified_at', { withTimezone: true }),
    leftovers: jsonb('leftovers').$type<Record<string, number>>(),
  },
  (t) => [
    index('erasures_user_hash_idx').on(t.userHash),
    index('erasures_unverified_idx').on(t.erasedAt).where(sql`verified_at IS NULL`),
  ],
);
