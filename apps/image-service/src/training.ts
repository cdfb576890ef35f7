import type { AppTransaction } from '@astria/db';
import { imaging } from '@astria/db';
import type { EventData, EventEnvelope } from '@astria/events';
import { backoffDelay } from '@astria/service-kit';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { AstriaError, type AstriaTune } from './astria-client.js';
import type { ImageContext } from './context.js';
import { callbackUrls } from './domain/callback-token.js';
import { majorityCharacteristics } from './domain/inspection.js';
import { JOBS_CHANNEL } from './photos.js';

/** Astria's tune title for a request: unique per request, so a retry after a timeout returns the same tune. */
export function tuneTitle(requestId: string): string {
  return `tr_${requestId}`.slice(0, 120);
}

export type TrainingFailureReason =
  | 'astria_rejected'
  | 'astria_unauthorized'
  | 'astria_unavailable'
  | 'pack_not_found'
  | 'photos_missing';

class TrainingFailure extends Error {
  constructor(
    readonly reason: TrainingFailureReason,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

function failureOf(error: AstriaError): TrainingFailure {
  switch (error.kind) {
    case 'validation':
      return new TrainingFailure('astria_rejected', error.detail.slice(0, 500));
    case 'unauthorized':
      return new TrainingFailure('astria_unauthorized', `HTTP ${error.status}`);
    case 'not_found':
      return new TrainingFailure('pack_not_found', error.detail.slice(0, 200));
    default:
      return new TrainingFailure('astria_unavailable', error.message.slice(0, 500));
  }
}

/**
 * `training_requested`: record the request as a pending job in the inbox transaction (no network call
 * while it is open); the job worker then makes the tune (`processPendingTune`). The same request
 * delivered twice is one row, so one tune.
 */
export async function handleTrainingRequested(
  _ctx: ImageContext,
  event: EventEnvelope<'training_requested', EventData<'training_requested'>>,
  tx: AppTransaction,
): Promise<void> {
  const data = event.data;
  const inserted = await tx
    .insert(imaging.tunes)
    .values({
      requestId: data.requestId,
      userId: data.userId,
      packId: data.packId,
      tier: data.tier,
      subjectClass: data.subjectClass,
      paymentId: data.paymentId,
      photoIds: data.photoIds,
      title: tuneTitle(data.requestId),
      existingTuneId: data.existingTuneId ?? null,
      correlationId: event.correlationId ?? event.id,
      requestedAt: new Date(event.occurredAt),
      status: 'pending',
    })
    .onConflictDoNothing()
    .returning({ requestId: imaging.tunes.requestId });
  if (inserted.length > 0) await tx.execute(sql`select pg_notify(${JOBS_CHANNEL}, 'tune')`);
}

export type PendingTune = typeof imaging.tunes.$inferSelect;

/**
 * The training job, outside any transaction: ask Astria for a new tune trained on the stored photos
 * (or for the pack's prompts on an existing tune), then in one short transaction record it and publish
 * `tune_created` — or `training_failed` on a 422 (no retry) or once retries on 429/5xx are exhausted.
 * A 504 (or our own timeout) means "probably created": look the tune up by its title before trying
 * again. Anything else (database, blob storage) throws: the worker retries the job with backoff.
 */
export async function processPendingTune(ctx: ImageContext, row: PendingTune): Promise<void> {
  const urls = callbackUrls(ctx.config.PUBLIC_BASE_URL, ctx.config.CALLBACK_SIGNING_SECRET, row.requestId);
  try {
    const expectedPrompts = await countPackPrompts(ctx, row.packId, row.subjectClass);
    const tune = row.existingTuneId
      ? await renderOnExistingTune(
          ctx,
          row.packId,
          row.existingTuneId,
          row.subjectClass,
          row.title,
          urls,
          row.requestedAt,
        )
      : await trainNewTune(ctx, row, urls);
    const tuneId = tune?.id ?? row.existingTuneId ?? null;
    const eta = tune?.eta ? new Date(tune.eta) : null;
    const expiresAt = tune?.expires_at ? new Date(tune.expires_at) : null;
    const written = await finishPending(
      ctx,
      row,
      { tuneId, status: 'created', eta, expiresAt, expectedPrompts },
      (tx) =>
        ctx.outbox.add(
          tx,
          'tune_created',
          {
            requestId: row.requestId,
            userId: row.userId,
            tuneId,
            packId: row.packId,
            eta: eta ? eta.toISOString() : null,
            expiresAt: expiresAt ? expiresAt.toISOString() : null,
            subjectClass: row.subjectClass,
          },
          { key: row.userId, correlationId: row.correlationId ?? row.requestId },
        ),
    );
    if (!written) return;
    ctx.metrics.tunesCreated.inc({ kind: row.existingTuneId ? 'existing' : 'new' });
    ctx.log.info({ requestId: row.requestId, tuneId, packId: row.packId }, 'tune created');
  } catch (error) {
    const failure =
      error instanceof TrainingFailure ? error : error instanceof AstriaError ? failureOf(error) : undefined;
    if (!failure) throw error;
    await failPendingTune(ctx, row, failure.reason, failure.detail);
  }
}

/** Marks a pending request failed and publishes `training_failed` (once). */
export async function failPendingTune(
  ctx: ImageContext,
  row: PendingTune,
  reason: string,
  detail: string,
): Promise<void> {
  const written = await finishPending(ctx, row, { status: 'failed', failureReason: reason }, (tx) =>
    ctx.outbox.add(
      tx,
      'training_failed',
      { requestId: row.requestId, userId: row.userId, reason, detail: detail.slice(0, 1000) },
      { key: row.userId, correlationId: row.correlationId ?? row.requestId },
    ),
  );
  if (!written) return;
  ctx.metrics.tunesFailed.inc({ reason });
  ctx.log.error({ requestId: row.requestId, reason, detail }, 'training failed');
}

/** Updates a still-pending request and publishes its event in one transaction; false if it was no longer pending. */
async function finishPending(
  ctx: ImageContext,
  row: PendingTune,
  set: Partial<typeof imaging.tunes.$inferInsert>,
  publish: (tx: AppTransaction) => Promise<unknown>,
): Promise<boolean> {
  return ctx.database.db.transaction(async (tx) => {
    const updated = await tx
      .update(imaging.tunes)
      .set({ ...set, claimedUntil: null, updatedAt: sql`now()` })
      .where(and(eq(imaging.tunes.requestId, row.requestId), eq(imaging.tunes.status, 'pending')))
      .returning({ requestId: imaging.tunes.requestId });
    if (updated.length === 0) return false;
    await publish(tx);
    return true;
  });
}

/** How many prompts the pack renders for the class (so per-prompt callbacks know when they are all in). */
async function countPackPrompts(ctx: ImageContext, packId: number, subjectClass: string): Promise<number | null> {
  try {
    const pack = await ctx.astria.getPack(packId);
    const list = pack?.prompts_per_class?.[subjectClass];
    return Array.isArray(list) && list.length > 0 ? list.length : null;
  } catch (error) {
    if (error instanceof AstriaError && error.kind === 'not_found') throw failureOf(error);
    ctx.log.warn({ err: error, packId }, 'could not read the pack; completion will rely on prompts_callback');
    return null;
  }
}

async function trainNewTune(
  ctx: ImageContext,
  data: PendingTune,
  urls: { tune: string; prompts: string },
): Promise<AstriaTune | null> {
  const title = data.title;
  const rows =
    data.photoIds.length === 0
      ? []
      : await ctx.database.db
          .select()
          .from(imaging.photos)
          .where(
            and(
              inArray(imaging.photos.id, data.photoIds),
              eq(imaging.photos.userId, data.userId),
              eq(imaging.photos.status, 'accepted'),
            ),
          );
  const images: Array<{ bytes: Buffer; filename: string; mimeType: string }> = [];
  for (const row of rows) {
    if (!row.blobKey) continue;
    const blob = await ctx.blobs.get(row.blobKey);
    if (blob)
      images.push({
        bytes: blob.bytes,
        filename: row.blobKey.split('/').pop() ?? `${row.id}.jpg`,
        mimeType: blob.contentType,
      });
  }
  if (images.length === 0) {
    throw new TrainingFailure('photos_missing', `none of the ${data.photoIds.length} photos is stored any more`);
  }
  const characteristics = majorityCharacteristics(rows.filter((r) => r.blobKey).map((r) => r.characteristics));
  return createWithLookup(
    ctx,
    title,
    () =>
      ctx.astria.createTune({
        packId: data.packId,
        title,
        name: data.subjectClass,
        callback: urls.tune,
        promptsCallback: urls.prompts,
        characteristics,
        images,
        ...(ctx.config.ASTRIA_BRANCH ? { branch: ctx.config.ASTRIA_BRANCH } : {}),
      }),
    async () => (await ctx.astria.findTunesByTitle(title))[0] ?? null,
  );
}

async function renderOnExistingTune(
  ctx: ImageContext,
  packId: number,
  tuneId: number,
  subjectClass: string,
  title: string,
  urls: { tune: string; prompts: string },
  requestedAt: Date,
): Promise<AstriaTune | null> {
  const tune = await createWithLookup(
    ctx,
    title,
    () =>
      ctx.astria.createTune({
        packId,
        title,
        name: subjectClass,
        promptsCallback: urls.prompts,
        tuneIds: [tuneId],
        ...(ctx.config.ASTRIA_BRANCH ? { branch: ctx.config.ASTRIA_BRANCH } : {}),
      }),
    // After a timeout: prompts created on the tune since the request mean it went through.
    async () => {
      const prompts = (await ctx.astria.getTunePrompts(tuneId)) as Array<{ created_at?: string }>;
      const since = requestedAt.getTime() - 60_000;
      const created = prompts.some((p) => p.created_at && new Date(p.created_at).getTime() >= since);
      return created ? { id: tuneId } : null;
    },
  );
  // Rendering on an existing tune answers without a tune: keep the existing tune's id; the ETA is unknown.
  return tune && tune.id === tuneId ? { id: tuneId, eta: tune.eta ?? null, expires_at: tune.expires_at ?? null } : tune;
}

/**
 * Creates, and on a 504/timeout looks the result up before trying again (attempts: retries + 1).
 * Other errors were already retried by the client (429/5xx) or must not be (422): they propagate.
 */
async function createWithLookup(
  ctx: ImageContext,
  title: string,
  create: () => Promise<AstriaTune | null>,
  lookup: () => Promise<AstriaTune | null>,
): Promise<AstriaTune | null> {
  const attempts = ctx.config.ASTRIA_MAX_RETRIES + 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await create();
    } catch (error) {
      if (!(error instanceof AstriaError) || !error.probablyProcessed) throw error;
      ctx.log.warn({ title, attempt }, 'Astria timed out creating the tune; looking it up before retrying');
      const found = await lookup();
      if (found) return found;
      if (attempt >= attempts) throw error;
      await new Promise((r) =>
        setTimeout(r, backoffDelay(attempt, { baseMs: ctx.config.ASTRIA_RETRY_BASE_MS, maxMs: 60_000 })),
      );
    }
  }
}
