import { createHash } from 'node:crypto';
import type { AppTransaction } from '@astria/db';
import { imaging } from '@astria/db';
import type { EventData, EventEnvelope, PhotoRejectionReason } from '@astria/events';
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { AstriaError } from './astria-client.js';
import { extensionOf } from './blob-storage.js';
import type { ImageContext } from './context.js';
import { type Inspection, judgeInspection } from './domain/inspection.js';
import { downloadWhatsAppMedia, MediaError } from './whatsapp-media.js';

/** A stable photo id per inbound message, so a redelivered event or a retry rewrites the same row and blob. */
export function photoIdOf(messageId: string): string {
  const h = createHash('sha256').update(`photo:${messageId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Blob key of a user's photo; the user id is hashed so keys never show a phone number. */
export function photoBlobKey(userId: string, photoId: string, mimeType: string): string {
  const user = createHash('sha256').update(userId).digest('hex').slice(0, 24);
  return `photos/${user}/${photoId}.${extensionOf(mimeType)}`;
}

export type Outcome = {
  status: 'accepted' | 'rejected';
  reason?: PhotoRejectionReason;
  subjectClass?: string;
  characteristics: Record<string, string>;
  blobKey: string | null;
  mimeType: string | null;
  sizeBytes: number | null;
};

/** A photo the conversation accepted for training: the only inbound message the service acts on. */
export function isTrainingPhoto(data: EventData<'user_message_received'>): boolean {
  return data.trainingPhoto === true && data.type === 'image' && data.image !== undefined;
}

/**
 * `user_message_received` with a training photo: record it as a pending job, in the inbox transaction
 * (no network call while the transaction is open). The job worker then downloads it from WhatsApp
 * (two steps), stores it in blob storage, inspects it with Astria and publishes `image_processed`.
 */
export async function handlePhotoMessage(
  _ctx: ImageContext,
  event: EventEnvelope<'user_message_received', EventData<'user_message_received'>>,
  tx: AppTransaction,
): Promise<void> {
  const data = event.data;
  if (!isTrainingPhoto(data) || !data.image) return;
  const inserted = await tx
    .insert(imaging.photos)
    .values({
      id: photoIdOf(data.messageId),
      userId: data.userId,
      messageId: data.messageId,
      mediaId: data.image.mediaId,
      status: 'pending',
      correlationId: event.correlationId ?? event.id,
    })
    // The same message again finds its row and does nothing, unless the row is a failed download (the media
    // or its URL had expired, or every attempt failed): then it is processed again, with this media id.
    .onConflictDoUpdate({
      target: imaging.photos.messageId,
      set: {
        mediaId: data.image.mediaId,
        status: 'pending',
        reason: null,
        attempts: 0,
        nextAttemptAt: sql`now()`,
        claimedUntil: null,
        lastError: null,
        correlationId: event.correlationId ?? event.id,
        updatedAt: sql`now()`,
      },
      setWhere: sql`${imaging.photos.status} = 'rejected' and ${imaging.photos.blobKey} is null
        and (${imaging.photos.reason} = 'media_expired' or (${imaging.photos.reason} = 'unreadable' and ${imaging.photos.mimeType} is null))`,
    })
    .returning({ id: imaging.photos.id });
  if (inserted.length > 0) await tx.execute(sql`select pg_notify(${JOBS_CHANNEL}, 'photo')`);
}

/** NOTIFY channel that wakes the job worker when a photo or a training request is recorded. */
export const JOBS_CHANNEL = 'imaging_jobs';

export type PendingPhoto = typeof imaging.photos.$inferSelect;

/**
 * The photo job: download, store, inspect — outside any transaction — then, in one short transaction,
 * the verdict and `image_processed`. Missing/expired/oversized media is a rejection, never a retry loop;
 * WhatsApp or Astria being unavailable throws, and the worker retries the job with backoff.
 */
export async function processPendingPhoto(ctx: ImageContext, photo: PendingPhoto): Promise<void> {
  const outcome = await processPhoto(ctx, photo.userId, photo.id, photo.mediaId);
  await publishPhotoOutcome(ctx, photo, outcome);
}

/** Writes a photo's verdict and publishes `image_processed`, once (only a pending photo changes). */
export async function publishPhotoOutcome(ctx: ImageContext, photo: PendingPhoto, outcome: Outcome): Promise<void> {
  const written = await ctx.database.db.transaction(async (tx) => {
    const updated = await tx
      .update(imaging.photos)
      .set({
        blobKey: outcome.blobKey,
        mimeType: outcome.mimeType,
        sizeBytes: outcome.sizeBytes,
        status: outcome.status,
        reason: outcome.reason ?? null,
        subjectClass: outcome.subjectClass ?? null,
        characteristics: outcome.characteristics,
        claimedUntil: null,
        updatedAt: sql`now()`,
      })
      .where(and(eq(imaging.photos.id, photo.id), eq(imaging.photos.status, 'pending')))
      .returning({ id: imaging.photos.id });
    if (updated.length === 0) return false;
    await ctx.outbox.add(
      tx,
      'image_processed',
      {
        userId: photo.userId,
        messageId: photo.messageId,
        photoId: photo.id,
        status: outcome.status,
        ...(outcome.reason ? { reason: outcome.reason } : {}),
        ...(outcome.subjectClass ? { subjectClass: outcome.subjectClass } : {}),
        characteristics: outcome.characteristics,
      },
      { key: photo.userId, correlationId: photo.correlationId ?? photo.id },
    );
    return true;
  });
  if (!written) return;
  ctx.metrics.photos.inc({ outcome: outcome.status, reason: outcome.reason ?? '' });
  ctx.log.info(
    { photoId: photo.id, status: outcome.status, reason: outcome.reason, subjectClass: outcome.subjectClass },
    'photo processed',
  );
}

/** After the last attempt failed: tell the user to send the photo again rather than wait forever. */
export function givenUpPhotoOutcome(): Outcome {
  return {
    status: 'rejected',
    reason: 'unreadable',
    characteristics: {},
    blobKey: null,
    mimeType: null,
    sizeBytes: null,
  };
}

async function processPhoto(ctx: ImageContext, userId: string, photoId: string, mediaId: string): Promise<Outcome> {
  const rejected = (reason: PhotoRejectionReason, extra: Partial<Outcome> = {}): Outcome => ({
    status: 'rejected',
    reason,
    characteristics: {},
    blobKey: null,
    mimeType: null,
    sizeBytes: null,
    ...extra,
  });

  const downloadTimer = ctx.metrics.downloadSeconds.startTimer();
  let media: { bytes: Buffer; mimeType: string };
  try {
    media = await downloadWhatsAppMedia(
      {
        apiUrl: ctx.config.WHATSAPP_API_URL,
        accessToken: ctx.config.WHATSAPP_API_KEY,
        timeoutMs: ctx.config.MEDIA_TIMEOUT_MS,
        maxBytes: ctx.config.MEDIA_MAX_BYTES,
      },
      mediaId,
    );
  } catch (error) {
    if (error instanceof MediaError) {
      ctx.log.warn({ photoId, problem: error.problem }, 'photo media could not be fetched');
      return rejected(error.problem);
    }
    throw error;
  } finally {
    downloadTimer();
  }

  // Decode before anything else: a file that is not an image is rejected, not sent to Astria.
  // sharp (libvips, a native library) loads on first use, not at start.
  const { default: sharp } = await import('sharp');
  try {
    const meta = await sharp(media.bytes).metadata();
    if (!meta.width || !meta.height) throw new Error('no dimensions');
  } catch {
    return rejected('unreadable', { mimeType: media.mimeType, sizeBytes: media.bytes.length });
  }

  const blobKey = photoBlobKey(userId, photoId, media.mimeType);
  await ctx.blobs.put(blobKey, media.bytes, media.mimeType);

  // The class hint Astria's inspect takes: this user's earlier accepted class, else the generic "person".
  const [earlier] = await ctx.database.db
    .select({ subjectClass: imaging.photos.subjectClass })
    .from(imaging.photos)
    .where(
      and(
        eq(imaging.photos.userId, userId),
        eq(imaging.photos.status, 'accepted'),
        isNotNull(imaging.photos.subjectClass),
      ),
    )
    .orderBy(sql`${imaging.photos.createdAt} asc`)
    .limit(1);

  const inspectTimer = ctx.metrics.inspectSeconds.startTimer();
  let inspection: Inspection;
  try {
    inspection = (await ctx.astria.inspect(
      { bytes: media.bytes, filename: `${photoId}.${extensionOf(media.mimeType)}`, mimeType: media.mimeType },
      earlier?.subjectClass ?? 'person',
    )) as Inspection;
  } catch (error) {
    // Not kept while the job waits to retry (the retry downloads it again; media ids live ~7 days).
    await ctx.blobs.delete(blobKey);
    if (error instanceof AstriaError && error.kind === 'validation') {
      return rejected('unreadable', { mimeType: media.mimeType, sizeBytes: media.bytes.length });
    }
    throw error;
  } finally {
    inspectTimer();
  }

  const verdict = judgeInspection(inspection ?? {});
  if (verdict.status === 'rejected') {
    // Privacy: a rejected photo is never used, so it is not kept.
    await ctx.blobs.delete(blobKey);
    return {
      ...verdict,
      blobKey: null,
      mimeType: media.mimeType,
      sizeBytes: media.bytes.length,
    };
  }
  return { ...verdict, blobKey, mimeType: media.mimeType, sizeBytes: media.bytes.length };
}
