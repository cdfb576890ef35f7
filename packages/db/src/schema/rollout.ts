import { sql } from 'drizzle-orm';
import { bigserial, check, index, integer, jsonb, pgSchema, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The move-over from the old app (issue #13): which stage the rollout is at, every change of it, and
 * which system owns each user. Not a service's schema: every service that routes users reads it,
 * and only the `pnpm rollout` CLI writes the stage.
 */
export const rolloutSchema = pgSchema('rollout');

/** Exactly one row (id = 1): the current stage. `version` grows by one on every change. */
export const rolloutStage = rolloutSchema.table(
  'stage',
  {
    id: integer('id').primaryKey().default(1),
    stage: text('stage').notNull().default('shadow'),
    percent: integer('percent').notNull().default(0),
    allow: jsonb('allow').$type<string[]>().notNull().default([]),
    deny: jsonb('deny').$type<string[]>().notNull().default([]),
    version: integer('version').notNull().default(0),
    updatedBy: text('updated_by').notNull().default('migration'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('stage_singleton', sql`${t.id} = 1`),
    check('stage_known', sql`${t.stage} in ('shadow', 'canary', 'full', 'fallback')`),
    check('stage_percent_range', sql`${t.percent} between 0 and 100`),
  ],
);

/** One row per `pnpm rollout set`: who changed the stage, when, from what to what. */
export const rolloutStageChanges = rolloutSchema.table('stage_changes', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  version: integer('version').notNull(),
  changedBy: text('changed_by').notNull(),
  changedAt: timestamp('changed_at', { withTimezone: true }).notNull().defaultNow(),
  from: jsonb('from').notNull(),
  to: jsonb('to').notNull(),
});

/**
 * The sticky owner of each user the rollout has routed: once `new`, a user stays with the new
 * system while the stage's percentage only grows. `reason` says why (allow, hash, mid-training …).
 */
export const rolloutOwners = rolloutSchema.table(
  'owners',
  {
    userId: text('user_id').primaryKey(),
    owner: text('owner').notNull(),
    reason: text('reason').notNull(),
    stageVersion: integer('stage_version').notNull(),
    assignedAt: timestamp('assigned_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('owners_owner_known', sql`${t.owner} in ('new', 'old')`), index('owners_owner_idx').on(t.owner)],
);

/**
 * The shadow stage: every external effect the new system would have had (a WhatsApp send, an Astria
 * request) for a user it does not serve, recorded instead of published. `pnpm rollout shadow-report`
 * reads the replies from here.
 */
export const rolloutSuppressedEffects = rolloutSchema.table(
  'suppressed_effects',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    userId: text('user_id').notNull(),
    /** The event type that was not published (whatsapp_send_requested, training_requested). */
    type: text('type').notNull(),
    data: jsonb('data').notNull(),
    correlationId: text('correlation_id'),
    stage: text('stage').notNull(),
    stageVersion: integer('stage_version').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('suppressed_effects_user_idx').on(t.userId, t.id)],
);

/** Users imported from the old app's database (`pnpm migrate-from-monolith`, or at first touch). */
export const rolloutImportedUsers = rolloutSchema.table('imported_users', {
  userId: text('user_id').primaryKey(),
  /** The old app's state (0–3) at the last import. */
  oldState: integer('old_state'),
  /** How the last import happened: `bulk` or `first-touch`. */
  via: text('via').notNull(),
  imports: integer('imports').notNull().default(1),
  importedAt: timestamp('imported_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Where an interrupted `pnpm migrate-from-monolith` resumes: the last key committed, per source and table. */
export const rolloutImportCheckpoints = rolloutSchema.table(
  'import_checkpoints',
  {
    source: text('source').notNull(),
    kind: text('kind').notNull(),
    lastKey: text('last_key').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.source, t.kind] })],
);
