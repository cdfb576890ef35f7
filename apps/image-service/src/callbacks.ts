import { imaging } from '@astria/db';
import { asc, eq, sql } from 'drizzle-orm';
import type { ImageParts } from './context.js';
import { type AstriaPrompt, type AstriaTuneInfo, deliverableImages, isFinished } from './domain/callbacks.js';

/**
 * The effects of Astria's callbacks (routes/astria-callbacks.ts), shared with reconciliation
 * (maintenance.ts): record finished prompts and publish `images_generated` once; mark a tune trained.
 */

export type DeliverySource = 'callback' | 'reconciliation';

export type PromptsOutcome =
  | { outcome: 'unknown_request' }
  | { outcome: 'already_published' }
  | { outcome: 'recorded'; recorded: number; pending: true }
  | { outcome: 'published'; images: number }
  | { outcome: 'failed'; reason: string };

/**
 * THE path by which finished prompts become `images_generated`, for callbacks and reconciliation alike.
 * In one transaction, with the tune row locked: record each finished prompt once (a repeated or replayed
 * callback changes nothing), and when the request's prompts are all in, publish `images_generated` once
 * (images in prompt order, videos included) and mark the request delivered. Whoever comes second — a
 * duplicate callback, or reconciliation racing a callback — finds `images_published_at` set.
 */
export async function recordPrompts(
  ctx: ImageParts,
  requestId: string,
  prompts: AstriaPrompt[],
  options: { completeSet: boolean; source: DeliverySource },
): Promise<PromptsOutcome> {
  const result = await ctx.database.db.transaction(async (tx) => {
    const [row] = await tx.select().from(imaging.tunes).where(eq(imaging.tunes.requestId, requestId)).for('update');
    if (!row || row.tuneId === null) return { outcome: 'unknown_request' } as const;
    if (row.imagesPublishedAt) return { outcome: 'already_published' } as const;

    const ours = prompts.filter((p) => p.tuneId === null || p.tuneId === row.tuneId);
    const finished = ours.filter(isFinished);
    if (finished.length > 0) {
      await tx
        .insert(imaging.prompts)
        .values(
          finished.map((p) => ({
            requestId,
            promptId: p.id,
            tuneId: row.tuneId as number,
            text: p.text,
            images: p.images,
            userError: p.userError,
            source: options.source,
          })),
        )
        .onConflictDoNothing();
    }
    const recorded = await tx
      .select({ id: imaging.prompts.promptId, images: imaging.prompts.images })
      .from(imaging.prompts)
      .where(eq(imaging.prompts.requestId, requestId))
      .orderBy(asc(imaging.prompts.promptId));

    const setComplete = options.completeSet && ours.length > 0 && finished.length === ours.length;
    const countComplete = row.expectedPrompts !== null && recorded.length >= row.expectedPrompts;
    if (!setComplete && !countComplete) {
      return { outcome: 'recorded', recorded: recorded.length, pending: true } as const;
    }

    const images = deliverableImages(recorded);
    const correlationId = row.correlationId ?? requestId;
    if (images.length === 0) {
      await tx
        .update(imaging.tunes)
        .set({
          status: 'failed',
          failureReason: 'generation_failed',
          imagesPublishedAt: sql`now()`,
          updatedAt: sql`now()`,
        })
        .where(eq(imaging.tunes.requestId, requestId));
      await ctx.outbox.add(
        tx,
        'training_failed',
        {
          requestId,
          userId: row.userId,
          reason: 'generation_failed',
          detail: 'every prompt finished without images',
        },
        { key: row.userId, correlationId },
      );
      return { outcome: 'failed', reason: 'generation_failed', requestedAt: row.requestedAt } as const;
    }
    // Images mean the tune trained, even if its own callback never came.
    await tx
      .update(imaging.tunes)
      .set({
        status: 'completed',
        imagesPublishedAt: sql`now()`,
        trainedAt: row.trainedAt ?? sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(eq(imaging.tunes.requestId, requestId));
    await ctx.outbox.add(
      tx,
      'images_generated',
      {
        requestId,
        userId: row.userId,
        tuneId: row.tuneId as number,
        packId: row.packId,
        images,
        expiresAt: row.expiresAt ? row.expiresAt.toISOString() : null,
      },
      { key: row.userId, correlationId },
    );
    return {
      outcome: 'published',
      images: images.length,
      requestedAt: row.requestedAt,
      photosOf: row.trainedAt ? null : row.userId,
    } as const;
  });

  if (result.outcome === 'published' || result.outcome === 'failed') {
    const seconds = (Date.now() - new Date(result.requestedAt).getTime()) / 1000;
    if (result.outcome === 'published') {
      // The tune callback was lost: the photos it would have deleted go now.
      if (result.photosOf) await deleteUserPhotos(ctx, result.photosOf, new Date(result.requestedAt));
      ctx.metrics.trainingToImagesSeconds.observe(seconds);
      if (options.source === 'reconciliation') ctx.metrics.reconciliationRecoveries.inc();
      ctx.log.info({ requestId, images: result.images, source: options.source }, 'images_generated published');
      return { outcome: 'published', images: result.images };
    }
    ctx.metrics.tunesFailed.inc({ reason: result.reason });
    ctx.log.warn({ requestId, source: options.source }, 'every prompt finished without images');
    return { outcome: 'failed', reason: result.reason };
  }
  return result;
}

export type TuneTrainedOutcome = 'trained' | 'already_trained' | 'unknown_request';

/**
 * The tune callback: mark the request's tune trained, then delete the user's training photos (rows
 * and blobs): they were only kept for this training.
 */
export async function markTuneTrained(
  ctx: ImageParts,
  requestId: string,
  tune: AstriaTuneInfo,
): Promise<TuneTrainedOutcome> {
  const outcome = await ctx.database.db.transaction(async (tx) => {
    const [row] = await tx.select().from(imaging.tunes).where(eq(imaging.tunes.requestId, requestId)).for('update');
    if (!row || row.tuneId === null || row.tuneId !== tune.id) return 'unknown_request' as const;
    if (row.trainedAt) return 'already_trained' as const;
    await tx
      .update(imaging.tunes)
      .set({
        trainedAt: tune.trainedAt ? new Date(tune.trainedAt) : sql`now()`,
        status: row.status === 'created' ? 'trained' : row.status,
        ...(tune.expiresAt ? { expiresAt: new Date(tune.expiresAt) } : {}),
        updatedAt: sql`now()`,
      })
      .where(eq(imaging.tunes.requestId, requestId));
    return 'trained' as const;
  });
  if (outcome === 'trained') {
    const [row] = await ctx.database.db
      .select({ userId: imaging.tunes.userId, requestedAt: imaging.tunes.requestedAt })
      .from(imaging.tunes)
      .where(eq(imaging.tunes.requestId, requestId));
    if (row) await deleteUserPhotos(ctx, row.userId, row.requestedAt);
  }
  return outcome;
}

/** Deletes a user's photos received before `before`: blobs first (idempotent), then rows. Returns counts. */
export async function deleteUserPhotos(
  ctx: ImageParts,
  userId: string,
  before: Date,
): Promise<{ rows: number; blobs: number }> {
  const rows = await ctx.database.db
    .select({ id: imaging.photos.id, blobKey: imaging.photos.blobKey })
    .from(imaging.photos)
    .where(sql`${imaging.photos.userId} = ${userId} and ${imaging.photos.createdAt} <= ${before.toISOString()}`);
  let blobs = 0;
  for (const row of rows) {
    if (row.blobKey) {
      await ctx.blobs.delete(row.blobKey);
      blobs++;
    }
  }
  if (rows.length > 0) {
    await ctx.database.db.delete(imaging.photos).where(
      sql`${imaging.photos.id} in (${sql.join(
        rows.map((r) => sql`${r.id}`),
        sql`, `,
      )})`,
    );
  }
  return { rows: rows.length, blobs };
}
