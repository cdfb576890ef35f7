import { normalizeUserId, payloads } from '@astria/events';
import { sanitizeText, storableId, textProblem } from '@astria/service-kit';
import { z } from 'zod';

/**
 * WhatsApp webhook notifications → our normalized inbound messages and status updates.
 * Pure: no I/O. Unknown fields are tolerated; a message or status that is malformed, or carries a value
 * PostgreSQL cannot hold (NUL, lone surrogate, an id with control characters, anything over the limits
 * below), is refused with its reason (`refused`), never a crash and never a retry: its neighbours are kept.
 */

/** Explicit limits on what a notification may carry (Meta's own are far lower: wamids are ~60 characters). */
export const NOTIFICATION_LIMITS = {
  /** wamids, media ids, context and reaction ids. */
  id: 256,
  /** `from`, `user_id`, `recipient_id`, `wa_id`: phone digits or a business-scoped user id. */
  user: 128,
  /** Message `type`, status `status`. */
  kind: 64,
  /** A text body or an image caption (WhatsApp allows 65,536 characters in a user's message). */
  text: 65_536,
  /** Button/list reply ids and titles, template button payloads. */
  reply: 1024,
  /** A profile name is kept, sanitized and cut to this (WhatsApp allows 25 characters). */
  name: 256,
  /** Timestamps as strings. */
  timestamp: 32,
  /** Messages and statuses in one change. */
  items: 10_000,
} as const;

const L = NOTIFICATION_LIMITS;
const userRef = storableId(L.user).optional();
const tsValue = z.union([z.string().max(L.timestamp), z.number()]).optional();

const contact = z.looseObject({
  wa_id: z.string().optional(),
  user_id: z.string().optional(),
  profile: z.looseObject({ name: z.string().optional() }).optional(),
});

const message = z.looseObject({
  id: storableId(L.id),
  from: userRef,
  user_id: userRef,
  timestamp: tsValue,
  type: storableId(L.kind),
});

const status = z.looseObject({
  id: storableId(L.id),
  status: z.string().min(1).max(L.kind),
  timestamp: tsValue,
  recipient_id: userRef,
  errors: z
    .array(z.looseObject({ code: z.number().int().optional(), title: z.string().optional() }))
    .max(100)
    .optional(),
});

const change = z.looseObject({
  field: z.string().optional(),
  value: z
    .looseObject({
      metadata: z.looseObject({ phone_number_id: z.string().optional() }).optional(),
      contacts: z.array(z.unknown()).max(L.items).optional(),
      messages: z.array(z.unknown()).max(L.items).optional(),
      statuses: z.array(z.unknown()).max(L.items).optional(),
    })
    .optional(),
});

export const notificationSchema = z.looseObject({
  object: z.literal('whatsapp_business_account'),
  entry: z.array(z.looseObject({ id: z.string().optional(), changes: z.array(change).default([]) })).max(10_000),
});

/** The message types WhatsApp sends, as the catalog's `user_message_received` knows them. */
export const INBOUND_TYPES: readonly InboundType[] = payloads.inboundMessageType.options;
export type InboundType = z.infer<typeof payloads.inboundMessageType>;

export interface InboundMessage {
  /** wamid: the de-duplication key. */
  id: string;
  userId: string;
  /** Phone digits when the user shows their number. */
  phone: string | null;
  name: string | null;
  /** Milliseconds since the epoch (WhatsApp's timestamp, or the time we got it). */
  timestamp: number;
  type: InboundType;
  text?: string;
  /** Button / list-row id of an interactive reply (or the payload of a template quick reply). */
  replyId?: string;
  replyTitle?: string;
  image?: { mediaId: string; mimeType: string; sha256?: string; caption?: string };
  /** The message this one replies to (`context.id`). */
  contextId?: string;
  /** For reactions: the message reacted to. */
  reactionTo?: string;
}

export const STATUS_RANK = { sent: 1, delivered: 2, read: 3, failed: 4 } as const;
export type DeliveryStatus = keyof typeof STATUS_RANK;

export interface StatusUpdate {
  wamid: string;
  status: DeliveryStatus;
  recipient: string | null;
  timestamp: number | null;
  errorCode: number | null;
  errorTitle: string | null;
}

/** A message or status of a notification that was not taken, and why (e.g. `messages.0.id: too_long`). */
export interface Refusal {
  part: 'message' | 'status';
  /** `malformed` (wrong type, missing), `too_long`, `unstorable` (NUL, lone surrogate, control character). */
  reason: 'malformed' | 'too_long' | 'unstorable';
  /** Where, e.g. `entry.0.changes.0.value.messages.1.id`, and what zod said, sanitized and cut. */
  detail: string;
}

export interface ParsedNotification {
  messages: InboundMessage[];
  statuses: StatusUpdate[];
  /** Changes for another phone number id, or another field. */
  ignoredChanges: number;
  /** Messages or statuses that were refused (malformed, or holding what cannot be stored). */
  refused: Refusal[];
}

export class NotAWhatsAppNotification extends Error {}

function toMs(ts: string | number | undefined, fallback: number): number {
  const n = typeof ts === 'number' ? ts : ts !== undefined ? Number(ts) : Number.NaN;
  // Seconds; anything not a plausible date (negative, NaN, beyond year 9999) falls back to now.
  return Number.isFinite(n) && n > 0 && n < 253_402_300_800 ? Math.round(n * 1000) : fallback;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Parses a verified webhook body. Throws NotAWhatsAppNotification when it is not one. */
export function parseNotification(body: unknown, phoneNumberId: string, now = Date.now()): ParsedNotification {
  const parsed = notificationSchema.safeParse(body);
  if (!parsed.success) throw new NotAWhatsAppNotification(parsed.error.issues[0]?.message ?? 'invalid notification');
  const result: ParsedNotification = { messages: [], statuses: [], ignoredChanges: 0, refused: [] };
  for (const [e, entry] of parsed.data.entry.entries()) {
    for (const [c, ch] of entry.changes.entries()) {
      const at = `entry.${e}.changes.${c}.value`;
      const value = ch.value;
      if (!value || (ch.field !== undefined && ch.field !== 'messages')) {
        result.ignoredChanges++;
        continue;
      }
      if (value.metadata?.phone_number_id !== phoneNumberId) {
        result.ignoredChanges++;
        continue;
      }
      const contacts = (value.contacts ?? [])
        .map((c) => contact.safeParse(c))
        .flatMap((c) => (c.success ? [c.data] : []));
      for (const [i, raw] of (value.messages ?? []).entries()) {
        const where = `${at}.messages.${i}`;
        const m = message.safeParse(raw);
        if (!m.success) {
          result.refused.push(refusalOf('message', where, m.error));
          continue;
        }
        const normalized = normalizeMessage(m.data, contacts, now);
        const problem = normalized ? unstorableField(normalized) : null;
        if (normalized && !problem) result.messages.push(normalized);
        else
          result.refused.push(
            problem
              ? { part: 'message', ...problem, detail: `${where}.${problem.detail}` }
              : {
                  part: 'message',
                  reason: 'malformed',
                  detail: `${where}: no user or no content for its type`,
                },
          );
      }
      for (const [i, raw] of (value.statuses ?? []).entries()) {
        const where = `${at}.statuses.${i}`;
        const s = status.safeParse(raw);
        if (!s.success) {
          result.refused.push(refusalOf('status', where, s.error));
          continue;
        }
        if (!(s.data.status in STATUS_RANK)) {
          result.refused.push({ part: 'status', reason: 'malformed', detail: `${where}.status: unknown status` });
          continue;
        }
        const error = s.data.errors?.[0];
        result.statuses.push({
          wamid: s.data.id,
          status: s.data.status as DeliveryStatus,
          recipient: s.data.recipient_id ?? null,
          timestamp: s.data.timestamp !== undefined ? toMs(s.data.timestamp, now) : null,
          errorCode: error?.code ?? null,
          errorTitle: error?.title !== undefined ? sanitizeText(error.title, 500) : null,
        });
      }
    }
  }
  return result;
}

function refusalOf(part: Refusal['part'], where: string, error: z.ZodError): Refusal {
  const issue = error.issues[0];
  const message = issue?.message ?? 'invalid';
  const reason = message.startsWith('too_long')
    ? 'too_long'
    : message.startsWith('unstorable')
      ? 'unstorable'
      : 'malformed';
  const path = issue?.path.length ? `.${issue.path.join('.')}` : '';
  return { part, reason, detail: sanitizeText(`${where}${path}: ${message}`, 300) };
}

/** The strings of a normalized message that are stored or published, with their limits. */
const MESSAGE_FIELDS: ReadonlyArray<[string, (m: InboundMessage) => string | undefined | null, number]> = [
  ['text.body', (m) => m.text, L.text],
  ['reply.id', (m) => m.replyId, L.reply],
  ['reply.title', (m) => m.replyTitle, L.reply],
  ['image.id', (m) => m.image?.mediaId, L.id],
  ['image.mime_type', (m) => m.image?.mimeType, L.kind],
  ['image.sha256', (m) => m.image?.sha256, L.id],
  ['image.caption', (m) => m.image?.caption, L.text],
  ['context.id', (m) => m.contextId, L.id],
  ['reaction.message_id', (m) => m.reactionTo, L.id],
  ['user', (m) => m.userId, L.user],
];

/** The first stored field of a message that is too long or cannot be stored, or null. */
function unstorableField(m: InboundMessage): Omit<Refusal, 'part'> | null {
  for (const [field, get, max] of MESSAGE_FIELDS) {
    const value = get(m);
    if (typeof value !== 'string') continue;
    if (value.length > max) return { reason: 'too_long', detail: `${field}: ${value.length} characters, limit ${max}` };
    const problem = textProblem(value);
    if (problem) return { reason: 'unstorable', detail: `${field}: ${problem}` };
  }
  return null;
}

function normalizeMessage(
  m: z.infer<typeof message>,
  contacts: Array<z.infer<typeof contact>>,
  now: number,
): InboundMessage | null {
  const phone = normalizeUserId(m.from);
  const phoneOk = phone !== null && !/[A-Za-z]/.test(phone) ? phone : null;
  const who =
    contacts.find((c) => (phoneOk && c.wa_id === m.from) || (m.user_id && c.user_id === m.user_id)) ?? contacts[0];
  const userId = phoneOk ?? normalizeUserId(m.user_id ?? who?.user_id);
  if (!userId) return null;
  const type: InboundType = (INBOUND_TYPES as readonly string[]).includes(m.type)
    ? (m.type as InboundType)
    : 'unsupported';
  const out: InboundMessage = {
    id: m.id,
    userId,
    phone: phoneOk,
    name: typeof who?.profile?.name === 'string' ? sanitizeText(who.profile.name, L.name) : null,
    timestamp: toMs(m.timestamp, now),
    type,
  };
  const context = obj(m.context);
  const contextId = str(context?.id);
  if (contextId) out.contextId = contextId;
  const typed = obj(m[m.type]);
  switch (type) {
    case 'text': {
      const body = str(typed?.body);
      if (body === undefined) return null;
      out.text = body;
      break;
    }
    case 'image': {
      const id = str(typed?.id);
      if (!id) return null;
      out.image = { mediaId: id, mimeType: str(typed?.mime_type) ?? 'image/jpeg' };
      const sha = str(typed?.sha256);
      if (sha) out.image.sha256 = sha;
      const caption = str(typed?.caption);
      if (caption) out.image.caption = caption;
      break;
    }
    case 'interactive': {
      const kind = str(typed?.type);
      const reply = kind ? obj(typed?.[kind]) : undefined;
      const id = str(reply?.id);
      if (id) out.replyId = id;
      const title = str(reply?.title);
      if (title) out.replyTitle = title;
      break;
    }
    case 'button': {
      const payload = str(typed?.payload);
      if (payload) out.replyId = payload;
      const text = str(typed?.text);
      if (text) out.replyTitle = text;
      break;
    }
    case 'reaction': {
      const to = str(typed?.message_id);
      if (to) out.reactionTo = to;
      break;
    }
    default:
      break;
  }
  return out;
}
