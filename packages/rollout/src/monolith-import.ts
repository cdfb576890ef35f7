import { randomUUID } from 'node:crypto';
import { type Executor, queryRows } from '@astria/db';
import { normalizeUserId } from '@astria/events';
import { type SQL, sql } from 'drizzle-orm';
import { OLD_STATE } from './old-app-tables.js';

/** A user row of the old app (`users`), as it is there: `credits` is text, `state` 0–3, `language` 0/1. */
export type OldUser = {
  phone: string;
  state: number | null;
  credits: string | null;
  tuneid: string | null;
  chosen_pack: string | null;
  entity_type: string | null;
  language: number | null;
};

/** The new system's conversation row (messaging.conversations) an old user becomes. */
export interface ImportedConversation {
  state: 'collecting_photos' | 'choosing_pack' | 'training' | 'has_model' | 'writing_feedback';
  language: 'en' | 'he';
  /** The engine's data; fields left out take the engine's defaults when the row is next loaded. */
  data: Record<string, unknown>;
}

const positiveInt = (value: string | null): number | null => {
  const n = Number((value ?? '').trim());
  return Number.isInteger(n) && n > 0 ? n : null;
};

/** The credits the old app keeps as text ("2", "", null). */
export function oldCredits(user: Pick<OldUser, 'credits'>): number {
  const n = Number.parseInt(user.credits ?? '', 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * Maps an old user to the new conversation (pure). State 0/1 with a tune id: training (paid, tune not
 * delivered); 2: has a model; 3: writing feedback; else collecting photos. The old app's photos are
 * WhatsApp media ids that may have expired: a user who was uploading is asked to resend them
 * (`rerequestPhotos`), nothing is taken from them. A credit the old app holds becomes one credit here
 * (the old app does not record its tier: `standard`).
 */
export function conversationFromOld(user: OldUser, mediaIds: readonly string[], now: Date): ImportedConversation {
  const tuneId = positiveInt(user.tuneid);
  const packId = positiveInt(user.chosen_pack);
  const subjectClass = user.entity_type?.trim() || null;
  const credits = oldCredits(user);
  const language = user.language === 1 ? 'he' : 'en';
  const oldState = user.state ?? OLD_STATE.new;
  const model = tuneId
    ? [
        {
          tuneId,
          packId: packId ?? 0,
          subjectClass: subjectClass ?? 'person',
          createdAt: now.toISOString(),
          expiresAt: null,
        },
      ]
    : [];
  const data: Record<string, unknown> = {
    welcomed: true,
    agreed: true,
    subjectClass,
    packId,
    photos: [],
    models: [],
    credit: credits > 0 ? { paymentId: `monolith-credit:${user.phone}`, provider: 'monolith', tier: 'standard' } : null,
    importedFrom: { source: 'monolith', oldState, credits, tuneId: user.tuneid ?? null },
  };
  let state: ImportedConversation['state'] = 'collecting_photos';
  if (tuneId && (oldState === OLD_STATE.new || oldState === OLD_STATE.picturesLoaded)) {
    state = 'training';
    data.training = {
      requestId: `monolith:${tuneId}`,
      packId: packId ?? 0,
      tier: 'standard',
      paymentId: `monolith-tune:${tuneId}`,
      provider: 'monolith',
      tuneId,
    };
  } else if (oldState === OLD_STATE.tuneReady || oldState === OLD_STATE.writingFeedback) {
    state = oldState === OLD_STATE.tuneReady ? 'has_model' : 'writing_feedback';
    data.models = model;
    data.selectedTuneId = tuneId;
  } else if (mediaIds.length > 0) {
    data.rerequestPhotos = [...mediaIds];
  }
  return { state, language, data };
}

export type ImportVia = 'bulk' | 'first-touch';

/** Why a row was not imported. */
export type SkipReason = 'served-by-new-system' | 'invalid-phone' | 'already-recorded';

export interface UserImportOutcome {
  readonly imported: boolean;
  readonly reason?: SkipReason;
  /** First import of this user (their ratings came along). */
  readonly first?: boolean;
}

/**
 * Writes one old user into the new tables (their conversation, and on the first import their
 * ratings), inside `tx`. A user the new system already serves is never overwritten. Idempotent: a
 * second import rewrites the same conversation and adds no rating twice.
 */
export async function importOldUser(
  tx: Executor,
  user: OldUser,
  context: { mediaIds: readonly string[]; ratings: readonly OldRating[]; via: ImportVia; now: Date; dryRun?: boolean },
): Promise<UserImportOutcome> {
  const userId = normalizeUserId(user.phone);
  if (!userId) return { imported: false, reason: 'invalid-phone' };
  const served = await queryRows(
    tx,
    sql`select 1 as x from rollout.owners where user_id = ${userId} and owner = 'new'`,
  );
  if (served.length > 0 && context.via === 'bulk') return { imported: false, reason: 'served-by-new-system' };
  if (context.dryRun) return { imported: true };
  const conversation = conversationFromOld({ ...user, phone: userId }, context.mediaIds, context.now);
  await tx.execute(
    sql`insert into messaging.conversations (user_id, state, language, data, updated_at)
        values (${userId}, ${conversation.state}, ${conversation.language}, ${JSON.stringify(conversation.data)}::jsonb, now())
        on conflict (user_id) do update set state = excluded.state, language = excluded.language,
          data = excluded.data, version = messaging.conversations.version + 1, updated_at = now()`,
  );
  const first = await queryRows(
    tx,
    sql`insert into rollout.imported_users (user_id, old_state, via) values (${userId}, ${user.state}, ${context.via})
        on conflict (user_id) do update set old_state = excluded.old_state, via = excluded.via,
          imports = rollout.imported_users.imports + 1, imported_at = now()
        returning (xmax = 0) as inserted`,
  );
  const isFirst = Boolean((first[0] as { inserted?: boolean } | undefined)?.inserted);
  if (isFirst) {
    for (const rating of context.ratings) {
      await tx.execute(
        sql`insert into messaging.feedback (user_id, rating, text, created_at)
            values (${userId}, ${rating.rating}, ${rating.feedback}, ${rating.date ? sql`${rating.date}::date` : sql`now()`})`,
      );
    }
  }
  return { imported: true, first: isFirst };
}

export type OldRating = {
  phone_number: string;
  rating: number | null;
  date: string | null;
  feedback: string | null;
};

function inList(values: readonly string[]): SQL {
  return sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );
}

/** The old app's photos (media ids) and ratings of these users. Read-only. */
export async function oldUserDetails(
  oldDb: Executor,
  phones: readonly string[],
): Promise<{ media: Map<string, string[]>; ratings: Map<string, OldRating[]> }> {
  const media = new Map<string, string[]>();
  const ratings = new Map<string, OldRating[]>();
  if (phones.length === 0) return { media, ratings };
  for (const row of await queryRows<{ phone_number: string; path: string }>(
    oldDb,
    sql`select phone_number, path from pictures where phone_number in (${inList(phones)}) order by phone_number`,
  )) {
    media.set(row.phone_number, [...(media.get(row.phone_number) ?? []), row.path]);
  }
  for (const row of await queryRows<OldRating>(
    oldDb,
    sql`select phone_number, rating, date::text as date, feedback from ratings where phone_number in (${inList(phones)})
        order by phone_number, date`,
  )) {
    ratings.set(row.phone_number, [...(ratings.get(row.phone_number) ?? []), row]);
  }
  return { media, ratings };
}

/** Reads one old user (read-only); null when the old app does not know them. */
export async function readOldUser(oldDb: Executor, userId: string): Promise<OldUser | null> {
  const rows = await queryRows<OldUser>(
    oldDb,
    sql`select phone, state, credits, tuneid, chosen_pack, entity_type, language from users where phone = ${userId}`,
  );
  return rows[0] ?? null;
}

/**
 * The first-touch import (canary stages, MONOLITH_DATABASE_URL): the user the old app served until now
 * is imported as they stand there, in the transaction that moves them. False when the old app does
 * not know them.
 */
export async function importAtFirstTouch(
  tx: Executor,
  oldDb: Executor,
  userId: string,
  now = new Date(),
): Promise<boolean> {
  const found = await readOldUser(oldDb, userId);
  const inFlight = await forwardsInFlight(tx, oldDb, userId);
  if (!found && inFlight === 0) return false;
  // A payment forwarded to the old app that has not reached it yet would be lost with the move: it
  // counts as a credit here (when it arrives, the old app no longer serves this user).
  const base: OldUser = found ?? {
    phone: userId,
    state: OLD_STATE.new,
    credits: '0',
    tuneid: null,
    chosen_pack: null,
    entity_type: null,
    language: null,
  };
  const user = { ...base, credits: String(oldCredits(base) + inFlight) };
  const { media, ratings } = await oldUserDetails(oldDb, [user.phone]);
  const outcome = await importOldUser(tx, user, {
    mediaIds: media.get(user.phone) ?? [],
    ratings: ratings.get(user.phone) ?? [],
    via: 'first-touch',
    now,
  });
  return outcome.imported;
}

/** Records processed message ids (Meta retries of messages the old app answered are not answered again). */
export async function importMessageIds(tx: Executor, rows: ReadonlyArray<{ id: string; date: string | null }>) {
  let added = 0;
  for (const row of rows) {
    const inserted = await queryRows(
      tx,
      sql`insert into messaging.inbound_messages (wamid, user_id, type, sent_at)
          values (${row.id}, 'monolith', 'monolith', ${row.date ? sql`${row.date}::date` : sql`null`})
          on conflict (wamid) do nothing returning wamid`,
    );
    added += inserted.length;
  }
  return added;
}

/** Records processed SUMIT payment ids (a provider retry of an old payment is not applied again). */
export async function importPaymentIds(tx: Executor, rows: ReadonlyArray<{ id: string; date: string | null }>) {
  let added = 0;
  for (const row of rows) {
    const inserted = await queryRows(
      tx,
      sql`insert into payments.payments (id, provider, provider_payment_id, status, raw_payload)
          values (${randomUUID()}::uuid, 'sumit', ${row.id}, 'applied',
                  ${JSON.stringify({ importedFrom: 'monolith', date: row.date })}::jsonb)
          on conflict (provider, provider_payment_id) do nothing returning id`,
    );
    added += inserted.length;
  }
  return added;
}

/** SUMIT payments of this user forwarded to the old app (payments.payments, status forwarded) that it has not recorded yet. */
async function forwardsInFlight(tx: Executor, oldDb: Executor, userId: string): Promise<number> {
  const forwarded = await queryRows<{ id: string }>(
    tx,
    sql`select provider_payment_id as id from payments.payments
        where provider = 'sumit' and status = 'forwarded' and user_id = ${userId}`,
  );
  if (forwarded.length === 0) return 0;
  const arrived = await queryRows<{ id: string }>(
    oldDb,
    sql`select id from payments where id in (${inList(forwarded.map((f) => f.id))})`,
  );
  return forwarded.length - arrived.length;
}
