import { z } from 'zod';

/**
 * Payload schemas of every event, version 1. Consumers must tolerate unknown fields,
 * so objects are loose: a producer may add a field without breaking older consumers.
 */

/** Our id for a WhatsApp user: the phone number (digits, with country code) or the business-scoped user id (`US.…`). */
export const userId = z.string().min(1).max(128);
export const tier = z.enum(['lite', 'standard', 'premium']);
export type Tier = z.infer<typeof tier>;

export const photoRejectionReason = z.enum([
  'no_person',
  'funny_face',
  'blurry',
  'sunglasses',
  'multiple_people',
  'hat',
  'unreadable',
  'too_large',
  'unsupported_type',
  'media_expired',
]);
export type PhotoRejectionReason = z.infer<typeof photoRejectionReason>;

export const inboundMessageType = z.enum([
  'text',
  'image',
  'interactive',
  'button',
  'reaction',
  'audio',
  'video',
  'document',
  'sticker',
  'location',
  'contacts',
  'order',
  'system',
  'request_welcome',
  'unsupported',
]);

export const userMessageReceived = z.looseObject({
  userId,
  /** `wamid.…` of the inbound message. */
  messageId: z.string().min(1),
  receivedAt: z.iso.datetime({ offset: true }),
  type: inboundMessageType,
  text: z.string().optional(),
  /** Button or list-row id for interactive replies. */
  replyId: z.string().optional(),
  image: z
    .looseObject({
      mediaId: z.string().min(1),
      mimeType: z.string().min(1),
      sha256: z.string().optional(),
      caption: z.string().optional(),
    })
    .optional(),
  /** True when the conversation accepted this photo as a training photo: image-service acts on these only. */
  trainingPhoto: z.boolean().default(false),
});

export const imageProcessed = z.looseObject({
  userId,
  /** The inbound message that carried the photo (quoted when replying). */
  messageId: z.string().min(1),
  /** image-service's id of the stored photo; used in training_requested. */
  photoId: z.string().min(1),
  status: z.enum(['accepted', 'rejected']),
  reason: photoRejectionReason.optional(),
  subjectClass: z.string().optional(),
  characteristics: z.record(z.string(), z.string()).default({}),
});

export const paymentReceived = z.looseObject({
  provider: z.enum(['sumit', 'stripe']),
  paymentId: z.string().min(1),
  userId,
  tier,
  amount: z.number().nonnegative().nullable(),
  currency: z.string().nullable(),
  name: z.string().nullable(),
});

export const trainingRequested = z.looseObject({
  /** Unique per request; Astria's tune title is derived from it, so a retry finds the same tune. */
  requestId: z.string().min(1),
  userId,
  packId: z.number().int().positive(),
  tier,
  subjectClass: z.string().min(1),
  /** Accepted photos (image-service ids) for a new model; empty when reusing a tune. */
  photoIds: z.array(z.string().min(1)).default([]),
  /** Render the pack on this existing tune instead of training a new one. */
  existingTuneId: z.number().int().positive().optional(),
  paymentId: z.string().min(1),
});

export const tuneCreated = z.looseObject({
  requestId: z.string().min(1),
  userId,
  tuneId: z.number().int().positive().nullable(),
  packId: z.number().int().positive(),
  eta: z.iso.datetime({ offset: true }).nullable(),
  expiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
  subjectClass: z.string().optional(),
});

export const generatedImage = z.looseObject({
  url: z.url(),
  kind: z.enum(['image', 'video']),
  promptId: z.number().int().optional(),
});

export const imagesGenerated = z.looseObject({
  requestId: z.string().min(1),
  userId,
  tuneId: z.number().int().positive(),
  packId: z.number().int().positive(),
  images: z.array(generatedImage),
  expiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
});

export const trainingFailed = z.looseObject({
  requestId: z.string().min(1),
  userId,
  reason: z.string().min(1),
  detail: z.string().optional(),
});

export const packImagesUpdated = z.looseObject({
  packId: z.number().int().positive(),
  subjectClass: z.string().min(1),
  url: z.url(),
});

// ---- Outbound WhatsApp messages: WhatsApp's limits are part of the schema, so a bad reply never leaves.
const buttonTitle = z.string().min(1).max(20);
const replyButton = z.object({ id: z.string().min(1).max(256), title: buttonTitle });
const listRow = z.object({
  id: z.string().min(1).max(200),
  title: z.string().min(1).max(24),
  description: z.string().max(72).optional(),
});
const listSection = z.object({ title: z.string().max(24).optional(), rows: z.array(listRow).min(1).max(10) });
const header = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string().min(1).max(60) }),
  z.object({ type: z.literal('image'), link: z.url() }),
  z.object({ type: z.literal('video'), link: z.url() }),
]);

export const outboundMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text'), body: z.string().min(1).max(4096), previewUrl: z.boolean().optional() }),
  z.object({
    kind: z.literal('buttons'),
    body: z.string().min(1).max(1024),
    header: header.optional(),
    footer: z.string().max(60).optional(),
    buttons: z.array(replyButton).min(1).max(3),
  }),
  z
    .object({
      kind: z.literal('list'),
      body: z.string().min(1).max(4096),
      header: z.string().max(60).optional(),
      footer: z.string().max(60).optional(),
      button: z.string().min(1).max(20),
      sections: z.array(listSection).min(1).max(10),
    })
    .refine((m) => m.sections.reduce((n, s) => n + s.rows.length, 0) <= 10, 'a list has at most 10 rows in all'),
  z.object({
    kind: z.literal('cta_url'),
    body: z.string().min(1).max(1024),
    header: header.optional(),
    footer: z.string().max(60).optional(),
    displayText: z.string().min(1).max(20),
    url: z.url(),
  }),
  z.object({ kind: z.literal('image'), link: z.url(), caption: z.string().max(1024).optional() }),
  z.object({ kind: z.literal('video'), link: z.url(), caption: z.string().max(1024).optional() }),
  /** An approved message template (the only kind WhatsApp delivers outside the 24-hour customer-service window). */
  z.object({
    kind: z.literal('template'),
    name: z.string().min(1).max(512),
    language: z.string().min(2).max(15),
    /** What it is for (metrics): e.g. payment_received, images_ready, follow_up. */
    purpose: z.string().min(1).max(64),
    /** Body parameters {{1}}, {{2}}… in order. */
    parameters: z.array(z.string().min(1).max(1024)).max(10).optional(),
    /** The payload of the template's quick-reply button (echoed back when the user taps it). */
    buttonPayload: z.string().min(1).max(256).optional(),
  }),
  z.object({ kind: z.literal('reaction'), messageId: z.string().min(1), emoji: z.string() }),
  z.object({ kind: z.literal('mark_read'), messageId: z.string().min(1), typing: z.boolean().default(true) }),
]);
export type OutboundMessage = z.infer<typeof outboundMessage>;

export const whatsappSendRequested = z.looseObject({
  /** Recipient: phone number (wa_id) or business-scoped user id. */
  to: userId,
  /** Quote this inbound message (`context.message_id`). */
  replyTo: z.string().optional(),
  message: outboundMessage,
});

/** The SHA-256 (hex) of a user id: how an erased user is named from then on (no personal data). */
export const userHash = z.string().regex(/^[0-9a-f]{64}$/);

export const userDataErased = z.looseObject({
  /** SHA-256 (hex) of the user id: the subscribers find the user's rows by hashing their user ids. */
  userHash,
  erasedAt: z.iso.datetime({ offset: true }),
});

/** The operators' broker round trip (`pnpm validate`): carries nothing a consumer acts on. */
export const opsPing = z.looseObject({
  /** Who asked, for the logs: e.g. "pnpm validate". */
  requestedBy: z.string().min(1).max(100),
});

/**
 * The move-over (issue #13): the old app's part of a WhatsApp notification, Meta-shaped, to be
 * posted re-signed to MONOLITH_WEBHOOK_URL. `body` is the exact JSON the old app receives (and the
 * signature covers); `messageIds` are the inbound messages it carries (for the logs and tests).
 */
export const whatsappForwardRequested = z.looseObject({
  body: z.string().min(2),
  messageIds: z.array(z.string().min(1)).default([]),
  /** True at the shadow stage: the new system also handled the notification, side effects suppressed. */
  shadow: z.boolean().default(false),
});

/** The move-over: a SUMIT payment of a user the old app serves, posted as it came to MONOLITH_PAYMENT_URL. */
export const sumitForwardRequested = z.looseObject({
  paymentId: z.string().min(1),
  userId,
  /** The SUMIT webhook body exactly as SUMIT sent it. */
  body: z.string().min(2),
});
