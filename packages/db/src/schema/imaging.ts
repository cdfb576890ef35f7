import { sql } from 'drizzle-orm';
import {
  bigint,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createEventTables } from '../event-tables.js';

/** Owned by image-service: no other service reads or writes these tables. */
export const imagingSchema = pgSchema('imaging');

export const {
  outbox: imagingOutbox,
  inbox: imagingInbox,
  deadLetters: imagingDeadLetters,
} = createEventTables(imagingSchema);

/** A row that is also a job: attempts so far, when the next one is due, and a lease while a worker has it. */
function jobColumns() {
  return {
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    claimedUntil: timestamp('claimed_until', { withTimezone: true }),
    lastError: text('last_error'),
  };
}

/**
 * Training photos, stored in blob storage the moment they arrive (WhatsApp media ids and URLs expire).
 * One row per inbound message; deleted (row and blob) once the user's tune has trained, or when abandoned.
 */
export const photos = imagingSchema.table(
  'photos',
  {
    id: uuid('id').primaryKey(),
    userId: text('user_id').notNull(),
    /** The inbound WhatsApp message (`wamid.…`): one photo per message. */
    messageId: text('message_id').notNull(),
    mediaId: text('media_id').notNull(),
    /** Blob key; null when the media could not be fetched. */
    blobKey: text('blob_key'),
    mimeType: text('mime_type'),
    sizeBytes: integer('size_bytes'),
    /** pending: stored as a job by the event handler, processed by the job worker outside any transaction. */
    status: text('status', { enum: ['pending', 'accepted', 'rejected'] }).notNull(),
    reason: text('reason'),
    subjectClass: text('subject_class'),
    characteristics: jsonb('characteristics').$type<Record<string, string>>().notNull().default({}),
    correlationId: text('correlation_id'),
    ...jobColumns(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('photos_pending_idx').on(t.nextAttemptAt).where(sql`status = 'pending'`),
    uniqueIndex('photos_message_id_key').on(t.messageId),
    index('photos_user_idx').on(t.userId),
    index('photos_updated_at_idx').on(t.updatedAt),
  ],
);

/**
 * One row per training request: the Astria tune it made (new, or an existing one re-rendered), its
 * progress, and whether its images were published. `requestId` binds the callback tokens.
 */
export const tunes = imagingSchema.table(
  'tunes',
  {
    requestId: text('request_id').primaryKey(),
    userId: text('user_id').notNull(),
    packId: integer('pack_id').notNull(),
    tier: text('tier').notNull(),
    subjectClass: text('subject_class').notNull(),
    paymentId: text('payment_id').notNull(),
    photoIds: jsonb('photo_ids').$type<string[]>().notNull().default([]),
    /** Astria's `tune[title]`: derived from the request id, so a retry finds the same tune. */
    title: text('title').notNull(),
    /** The Astria tune (the existing one when re-rendering). */
    tuneId: bigint('tune_id', { mode: 'number' }),
    existingTuneId: bigint('existing_tune_id', { mode: 'number' }),
    status: text('status', { enum: ['pending', 'created', 'trained', 'completed', 'failed'] }).notNull(),
    failureReason: text('failure_reason'),
    eta: timestamp('eta', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    trainedAt: timestamp('trained_at', { withTimezone: true }),
    /** How many prompts the pack renders for this class, when known (per-prompt callbacks need it). */
    expectedPrompts: integer('expected_prompts'),
    imagesPublishedAt: timestamp('images_published_at', { withTimezone: true }),
    correlationId: text('correlation_id'),
    requestedAt: timestamp('requested_at', { withTimezone: true }).notNull().defaultNow(),
    tuneDeletedAt: timestamp('tune_deleted_at', { withTimezone: true }),
    ...jobColumns(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('tunes_pending_idx').on(t.nextAttemptAt).where(sql`status = 'pending'`),
    index('tunes_tune_id_idx').on(t.tuneId),
    index('tunes_user_idx').on(t.userId),
    index('tunes_pending_images_idx').on(t.eta).where(sql`images_published_at IS NULL AND status <> 'failed'`),
  ],
);

/** Each finished prompt of a request, recorded once (a repeated or replayed callback changes nothing). */
export const prompts = imagingSchema.table(
  'prompts',
  {
    requestId: text('request_id').notNull(),
    promptId: bigint('prompt_id', { mode: 'number' }).notNull(),
    tuneId: bigint('tune_id', { mode: 'number' }).notNull(),
    text: text('text'),
    images: jsonb('images').$type<string[]>().notNull().default([]),
    userError: text('user_error'),
    /** callback or reconciliation */
    source: text('source').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.promptId] })],
);

/** The latest preview video of each pack and subject class, at a stable public URL. */
export const previewVideos = imagingSchema.table(
  'preview_videos',
  {
    packId: integer('pack_id').notNull(),
    subjectClass: text('subject_class').notNull(),
    blobKey: text('blob_key').notNull(),
    url: text('url').notNull(),
    imageCount: integer('image_count').notNull(),
    skippedCount: integer('skipped_count').notNull().default(0),
    durationSeconds: doublePrecision('duration_seconds').notNull(),
    builtAt: timestamp('built_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.packId, t.subjectClass] })],
);

/**
 * A `user_data_erased` event as a job (the handler records it in the inbox transaction; the job worker
 * deletes the user's photo blobs, Astria tunes and rows outside it). No personal data: the user is the
 * SHA-256 of their id.
 */
export const erasures = imagingSchema.table('erasures', {
  userHash: text('user_hash').primaryKey(),
  /** When message-service erased the user: only rows older than this are theirs to delete. */
  erasedAt: timestamp('erased_at', { withTimezone: true }).notNull(),
  status: text('status', { enum: ['pending', 'done'] }).notNull(),
  /** What was deleted, by count (photos, blobs, tunes, Astria tunes, prompts, events). */
  counts: jsonb('counts').$type<Record<string, number>>().notNull().default({}),
  ...jobColumns(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
