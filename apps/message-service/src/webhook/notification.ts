import { normalizeUserId, payloads } from '@astria/events';
import { z } from 'zod';

/**
 * WhatsApp webhook notifications → our normalized inbound messages and status updates.
 * Pure: no I/O. Unknown fields are tolerated; a malformed message is skipped (counted), never a crash.
 */

const contact = z.looseObject({
  wa_id: z.string().optional(),
  user_id: z.string().optional(),
  profile: z.looseObject({ name: z.string().optional() }).optional(),
});

const message = z.looseObject({
  id: z.string().min(1),
  from: z.string().optional(),
  user_id: z.string().optional(),
  timestamp: z.union([z.string(), z.number()]).optional(),
  type: z.string().min(1),
});

const status = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  timestamp: z.union([z.string(), z.number()]).optional(),
  recipient_id: z.string().optional(),
  errors: z.array(z.looseObject({ code: z.number().optional(), title: z.string().optional() })).optional(),
});

const change = z.looseObject({
  field: z.string().optional(),
  value: z
    .looseObject({
      metadata: z.looseObject({ phone_number_id: z.string().optional() }).optional(),
      contacts: z.array(z.unknown()).optional(),
      messages: z.array(z.unknown()).optional(),
      statuses: z.array(z.unknown()).optional(),
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

export interface ParsedNotification {
  messages: InboundMessage[];
  statuses: StatusUpdate[];
  /** Changes for another phone number id, or another field. */
  ignoredChanges: number;
  /** Messages or statuses that could not be understood. */
  malformed: number;
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
  const result: ParsedNotification = { messages: [], statuses: [], ignoredChanges: 0, malformed: 0 };
  for (const entry of parsed.data.entry) {
    for (const ch of entry.changes) {
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
      for (const raw of value.messages ?? []) {
        const m = message.safeParse(raw);
        if (!m.success) {
          result.malformed++;
          continue;
        }
        const normalized = normalizeMessage(m.data, contacts, now);
        if (normalized) result.messages.push(normalized);
        else result.malformed++;
      }
      for (const raw of value.statuses ?? []) {
        const s = status.safeParse(raw);
        if (!s.success || !(s.data.status in STATUS_RANK)) {
          result.malformed++;
          continue;
        }
        const error = s.data.errors?.[0];
        result.statuses.push({
          wamid: s.data.id,
          status: s.data.status as DeliveryStatus,
          recipient: s.data.recipient_id ?? null,
          timestamp: s.data.timestamp !== undefined ? toMs(s.data.timestamp, now) : null,
          errorCode: error?.code ?? null,
          errorTitle: error?.title ?? null,
        });
      }
    }
  }
  return result;
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
    name: who?.profile?.name ?? null,
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
