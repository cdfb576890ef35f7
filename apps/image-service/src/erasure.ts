import type { AppTransaction } from '@astria/db';
import { countAffected, imaging, queryRows, sha256Hex } from '@astria/db';
import type { EventData, EventEnvelope } from '@astria/events';
import { eq, type SQL, sql } from 'drizzle-orm';
import type { ImageContext } from './context.js';
import { JOBS_CHANNEL } from './photos.js';

export type PendingErasure = typeof imaging.erasures.$inferSelect;

/** Rows of the erased user: their user id hashes to the event's `userHash` (no personal data in the event). */
const ofUser = (column: SQL, userHash: string, erasedAt: Date, createdAt: SQL) =>
  sql`${sha256Hex(column)} = ${userHash} and ${createdAt} <= ${erasedAt.toISOString()}::timestamptz`;

/**
 * `user_data_erased`: record the erasure as a pending job in the inbox transaction (no blob or Astria
 * call while it is open); the job worker then erases (`processPendingErasure`). Delivered twice, one job.
 */
export async function handleUserDataErased(
  _ctx: ImageContext,
  event: EventEnvelope<'user_data_erased', EventData<'user_data_erased'>>,
  tx: AppTransaction,
): Promise<void> {
  const inserted = await tx
    .insert(imaging.erasures)
    .values({ userHash: event.data.userHash, erasedAt: new Date(event.data.erasedAt), status: 'pending' })
    .onConflictDoNothing()
    .returning({ userHash: imaging.erasures.userHash });
  if (inserted.length > 0) await tx.execute(sql`select pg_notify(${JOBS_CHANNEL}, 'erasure')`);
}

/**
 * Erases one user: the photo blobs, then the photo rows; the user's Astria tunes (DELETE through the
 * Astria client; a tune already gone counts as deleted), then the tune and prompt rows (generated image
 * URLs); the user's events in the outbox and dead letters. A failure (Astria down) throws: the job is
 * retried, and what was already deleted is not found again.
 */
export async function processPendingErasure(ctx: ImageContext, job: PendingErasure): Promise<void> {
  const { db } = ctx.database;
  const { userHash, erasedAt } = job;
  const photos = await queryRows<{ id: string; blob_key: string | null }>(
    db,
    sql`select id, blob_key from imaging.photos where ${ofUser(sql`user_id`, userHash, erasedAt, sql`created_at`)}`,
  );
  let blobs = 0;
  for (const photo of photos) {
    if (!photo.blob_key) continue;
    await ctx.blobs.delete(photo.blob_key);
    blobs++;
  }
  const tunes = await queryRows<{ request_id: string; tune_id: string | number | null; deleted: boolean }>(
    db,
    sql`select request_id, tune_id, tune_deleted_at is not null as deleted from imaging.tunes
         where ${ofUser(sql`user_id`, userHash, erasedAt, sql`created_at`)}`,
  );
  const tuneIds = [...new Set(tunes.filter((t) => t.tune_id !== null && !t.deleted).map((t) => Number(t.tune_id)))];
  for (const tuneId of tuneIds) await ctx.astria.deleteTune(tuneId);
  const requestIds = tunes.map((t) => t.request_id);
  const counts = await db.transaction(async (tx) => {
    const count = (statement: SQL): Promise<number> => countAffected(tx, statement);
    const requests = sql`(select jsonb_array_elements_text(${JSON.stringify(requestIds)}::jsonb))`;
    return {
      photos: await count(
        sql`delete from imaging.photos where ${ofUser(sql`user_id`, userHash, erasedAt, sql`created_at`)}`,
      ),
      blobs,
      astria_tunes: tuneIds.length,
      prompts: await count(sql`delete from imaging.prompts where request_id in ${requests}`),
      tunes: await count(sql`delete from imaging.tunes where request_id in ${requests}`),
      outbox: await count(
        sql`delete from imaging.outbox where ${ofUser(sql`key`, userHash, erasedAt, sql`created_at`)}`,
      ),
      dead_letters: await count(
        sql`delete from imaging.dead_letters where ${ofUser(sql`key`, userHash, erasedAt, sql`dead_lettered_at`)}`,
      ),
    };
  });
  await db
    .update(imaging.erasures)
    .set({ status: 'done', counts, claimedUntil: null, updatedAt: sql`now()` })
    .where(eq(imaging.erasures.userHash, userHash));
  ctx.metrics.erasures.inc();
  ctx.log.info({ userHash: userHash.slice(0, 12), counts }, 'user data erased');
}
