import { createHmac } from 'node:crypto';
import { normalizeUserId } from '@astria/events';
import type { Owner } from './owner.js';

/** A Meta WhatsApp notification as far as splitting needs it; every other field is kept as it came. */
interface MetaValue {
  contacts?: unknown[];
  messages?: unknown[];
  statuses?: unknown[];
  [key: string]: unknown;
}
interface MetaChange {
  value?: MetaValue;
  [key: string]: unknown;
}
interface MetaEntry {
  changes?: MetaChange[];
  [key: string]: unknown;
}
export interface MetaNotification {
  object: string;
  entry: MetaEntry[];
  [key: string]: unknown;
}

export interface SplitNotification {
  /** The part the new system handles (null when nothing is left for it). */
  readonly new: MetaNotification | null;
  /** The part to forward to the old app, Meta-shaped (null when nothing is left for it). */
  readonly old: MetaNotification | null;
}

function field(item: unknown, name: string): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const value = (item as Record<string, unknown>)[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** The user a message (`from`), status (`recipient_id`) or contact (`wa_id`) is about. */
function userOf(item: unknown, kind: 'messages' | 'statuses' | 'contacts'): string | null {
  const raw =
    kind === 'messages'
      ? (field(item, 'from') ?? field(item, 'user_id'))
      : kind === 'statuses'
        ? (field(item, 'recipient_id') ?? field(item, 'recipient_user_id'))
        : (field(item, 'wa_id') ?? field(item, 'user_id'));
  return normalizeUserId(raw);
}

/**
 * Splits a notification's messages, statuses and contacts by the owner of their user, keeping the
 * shape Meta sends (entries, changes, metadata), so the old app's part can be forwarded as if Meta
 * had sent it. Items whose user cannot be told go to the new system (which skips and counts them).
 * Pure: `ownerOf` is asked once per user.
 */
export function splitNotification(
  notification: MetaNotification,
  ownerOf: (userId: string) => Owner,
): SplitNotification {
  const owners = new Map<string, Owner>();
  const owner = (userId: string | null): Owner => {
    if (!userId) return 'new';
    let known = owners.get(userId);
    if (!known) {
      known = ownerOf(userId);
      owners.set(userId, known);
    }
    return known;
  };
  const parts: Record<Owner, MetaEntry[]> = { new: [], old: [] };
  for (const entry of notification.entry) {
    const changes: Record<Owner, MetaChange[]> = { new: [], old: [] };
    for (const change of entry.changes ?? []) {
      const value = change.value;
      if (!value) {
        changes.new.push(change);
        continue;
      }
      const split: Record<Owner, MetaValue> = { new: { ...value }, old: { ...value } };
      let any: Record<Owner, boolean> = { new: false, old: false };
      for (const kind of ['messages', 'statuses'] as const) {
        const items = value[kind];
        if (!Array.isArray(items)) continue;
        const byOwner: Record<Owner, unknown[]> = { new: [], old: [] };
        for (const item of items) byOwner[owner(userOf(item, kind))].push(item);
        for (const side of ['new', 'old'] as const) {
          if (byOwner[side].length > 0) {
            split[side][kind] = byOwner[side];
            any = { ...any, [side]: true };
          } else delete split[side][kind];
        }
      }
      if (Array.isArray(value.contacts)) {
        for (const side of ['new', 'old'] as const) {
          const kept = (value.contacts as unknown[]).filter((c) => owner(userOf(c, 'contacts')) === side);
          if (kept.length > 0) split[side].contacts = kept;
          else delete split[side].contacts;
        }
      }
      if (!any.new && !any.old) any = { new: true, old: false };
      for (const side of ['new', 'old'] as const) if (any[side]) changes[side].push({ ...change, value: split[side] });
    }
    for (const side of ['new', 'old'] as const)
      if (changes[side].length > 0) parts[side].push({ ...entry, changes: changes[side] });
  }
  const wrap = (entries: MetaEntry[]): MetaNotification | null =>
    entries.length > 0 ? { ...notification, entry: entries } : null;
  return { new: wrap(parts.new), old: wrap(parts.old) };
}

/** The `X-Hub-Signature-256` header Meta would send for these bytes: the old app sees a genuine-looking notification. */
export function metaSignature(appSecret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

export class ForwardFailed extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ForwardFailed';
  }
}

export interface ForwardOptions {
  readonly url: string;
  /** WhatsApp notifications are re-signed with the app secret; SUMIT posts go as they came. */
  readonly appSecret?: string | undefined;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/**
 * Posts one forward to the old app. Throws on anything but a 2xx, so the outbox consumer that calls
 * it retries with backoff and dead-letters after its budget: a forward may be late, never lost.
 */
export async function forwardToOldApp(body: string, options: ForwardOptions): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.appSecret) headers['x-hub-signature-256'] = metaSignature(options.appSecret, body);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(options.url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    throw new ForwardFailed(`old app unreachable: ${(error as Error).message}`);
  }
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new ForwardFailed(`old app answered ${response.status}`, response.status);
}
