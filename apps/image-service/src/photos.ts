import { createHash } from 'node:crypto';
import type { AppTransaction } from '@astria/db';
import { imaging } from '@astria/db';
import type { EventData, EventEnvelope, PhotoRejectionReason } from '@astria/events';
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import sharp from 'sharp';
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

type Outcome = {
  status: 'accepted' | 'rejected';
  reason?: PhotoRejectionReason;
  subjectClass?: string;
  characteristics: Record<string, string>;
  blobKey: string | null;
  mimeType: string | null;
  sizeBytes: number | null;
};

/**
 * `user_message_received` with a training photo: download it from WhatsApp (two steps), store it in
 * blob storage at once, inspect it with Astria, and publish `image_processed` (accepted, or rejected
 * with a code). Missing/expired/oversized media is a rejection, never a retry loop. Astria being down
 * throws, so the event is retried with backoff (the blob key is stable: a retry overwrites it).
 */
export async function handlePhotoMessage(
  ctx: ImageContext,
  event: EventEnvelope<'user_message_received', EventData<'user_message_received'>>,
  tx: AppTransaction,
): Promise<void> {
  const data = event.data;
  if (!data.trainingPhoto || data.type !== 'image' || !data.image) return;
  const photoId = photoIdOf(data.messageId);
  const existing = await tx
    .select({ id: imaging.photos.id })
    .from(imaging.photos)
    .where(eq(imaging.photos.messageId, data.messageId));
  if (existing.length > 0) return; // already processed (e.g. the same message re-published)

  const outcome = await processPhoto(ctx, data.userId, photoId, data.image.mediaId, tx);
  await tx.insert(imaging.photos).values({
    id: photoId,
    userId: data.userId,
    messageId: data.messageId,
    mediaId: data.image.mediaId,
    blobKey: outcome.blobKey,
    mimeType: outcome.mimeType,
    sizeBytes: outcome.sizeBytes,
    status: outcome.status,
    reason: outcome.reason ?? null,
    subjectClass: outcome.subjectClass ?? null,
    characteristics: outcome.characteristics,
  });
  await ctx.outbox.add(
    tx,
    'image_processed',
    {
      userId: data.userId,
      messageId: data.messageId,
      photoId,
      status: outcome.status,
      ...(outcome.reason ? { reason: outcome.reason } : {}),
      ...(outcome.subjectClass ? { subjectClass: outcome.subjectClass } : {}),
      characteristics: outcome.characteristics,
    },
    { key: data.userId, correlationId: event.correlationId ?? event.id },
  );
  ctx.metrics.photos.inc({ outcome: outcome.status, reason: outcome.reason ?? '' });
  ctx.log.info(
    { photoId, status: outcome.status, reason: outcome.reason, subjectClass: outcome.subjectClass },
    'photo processed',
  );
}

async function processPhoto(
  ctx: ImageContext,
  userId: string,
  photoId: string,
  mediaId: string,
  tx: AppTransaction,
): Promise<Outcome> {
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
  try {
    const meta = await sharp(media.bytes).metadata();
    if (!meta.width || !meta.height) throw new Error('no dimensions');
  } catch {
    return rejected('unreadable', { mimeType: media.mimeType, sizeBytes: media.bytes.length });
  }

  const blobKey = photoBlobKey(userId, photoId, media.mimeType);
  await ctx.blobs.put(blobKey, media.bytes, media.mimeType);

  // The class hint Astria's inspect takes: this user's earlier accepted class, else the generic "person".
  const [earlier] = await tx
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
    if (error instanceof AstriaError && error.kind === 'validation') {
      await ctx.blobs.delete(blobKey);
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
