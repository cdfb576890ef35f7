import type { MessageServiceConfig } from '@astria/config';
import type { Database, Executor } from '@astria/db';
import { type Outbox, pendingEvent } from '@astria/events';
import {
  type MetaNotification,
  type Owner,
  readStage,
  resolveOwner,
  type StageReader,
  type StageSettings,
  splitNotification,
} from '@astria/rollout';
import { parseJson } from '@astria/service-kit';
import { sql } from 'drizzle-orm';
import { recordInboundMany } from '../store.js';
import type { InboundMessage, ParsedNotification } from '../webhook/notification.js';

/** The old app's part of a notification, to be committed as `whatsapp_forward_requested`. */
export interface ForwardPart {
  /** The exact JSON the old app gets (re-signed by the consumer). */
  readonly body: string;
  /** Inbound messages it carries. */
  readonly messages: readonly InboundMessage[];
  readonly statuses: number;
  /**
   * Shadow: this system ingests the same messages (their de-dup record is written by the ingest);
   * otherwise the forward writes their de-dup record itself.
   */
  readonly shadow: boolean;
  /** Ordering key: the first user of the part. */
  readonly key: string;
}

export interface RoutedNotification {
  /** What this system handles. */
  readonly notification: ParsedNotification;
  readonly forward: ForwardPart | null;
}

export interface NotificationRouterDeps {
  readonly config: Pick<MessageServiceConfig, 'MONOLITH_WEBHOOK_URL'>;
  readonly database: Database;
  readonly stage: StageReader;
  /** Read-only: is the user mid-training in the old app? (MONOLITH_DATABASE_URL) */
  readonly midTrainingInOldApp?: ((userId: string) => Promise<boolean>) | undefined;
  /** Called in the transaction that moves a user to this system (first-touch import). */
  readonly onMove?: ((tx: Executor, userId: string, settings: StageSettings) => Promise<void>) | undefined;
}

export interface NotificationRouter {
  /** Whether an old app is configured at all (no old app: this system serves everyone, nothing is forwarded). */
  readonly active: boolean;
  /** `raw`: the verified bytes Meta sent; `parsed`: what parseNotification made of them. */
  route(raw: Buffer, parsed: ParsedNotification): Promise<RoutedNotification>;
}

/**
 * The move-over's split of a verified notification (issue #13): at shadow and fallback the old app
 * gets everything (at shadow this system also runs it, its effects suppressed); at canary and full
 * each user's messages and statuses go to their owner, the old app's part Meta-shaped.
 */
export function createNotificationRouter(deps: NotificationRouterDeps): NotificationRouter {
  const active = deps.config.MONOLITH_WEBHOOK_URL !== undefined;
  const empty: ParsedNotification = { messages: [], statuses: [], ignoredChanges: 0, refused: [] };

  async function ownerOf(settings: StageSettings, userId: string): Promise<Owner> {
    if (settings.stage === 'shadow' || settings.stage === 'fallback') return 'old';
    return deps.database.db.transaction(async (tx) => {
      // The stage row, shared-locked: a `rollout set` (which locks it for update and, at fallback, hands
      // every user back) is either wholly before this decision or wholly after it, so a pod whose cached
      // stage is a few ms old can never move a user after the fallback handed them back.
      await tx.execute(sql`select 1 from rollout.stage where id = 1 for share`);
      const current = await readStage(tx);
      if (current.version !== settings.version && (current.stage === 'shadow' || current.stage === 'fallback'))
        return 'old';
      const decision = await resolveOwner(tx, current, userId, {
        ...(deps.midTrainingInOldApp ? { midTrainingInOldApp: deps.midTrainingInOldApp } : {}),
      });
      // A move (not a user already here): the same transaction imports them, so a concurrent pod
      // waits on the owner row and finds them imported.
      if (decision.owner === 'new' && decision.reason !== 'sticky' && deps.onMove)
        await deps.onMove(tx, userId, current);
      return decision.owner;
    });
  }

  return {
    active,
    async route(raw, parsed) {
      if (!active) return { notification: parsed, forward: null };
      const settings = await deps.stage.current();
      const meta = parseJson(raw) as MetaNotification;
      const users = new Set<string>();
      for (const message of parsed.messages) users.add(message.userId);
      for (const status of parsed.statuses) if (status.recipient) users.add(status.recipient);
      const owners = new Map<string, Owner>();
      for (const userId of [...users].sort()) owners.set(userId, await ownerOf(settings, userId));
      const isOld = (userId: string | null) => userId !== null && owners.get(userId) === 'old';
      const oldMessages = parsed.messages.filter((m) => isOld(m.userId));
      const oldStatuses = parsed.statuses.filter((s) => isOld(s.recipient));
      const firstOld = [...owners].find(([, owner]) => owner === 'old')?.[0];
      if (!firstOld) return { notification: parsed, forward: null };
      const shadow = settings.stage === 'shadow';
      const otherwise: Owner = shadow || settings.stage === 'fallback' ? 'old' : 'new';
      const split = splitNotification(meta, (userId) => owners.get(userId) ?? otherwise);
      const forward: ForwardPart | null = split.old
        ? {
            body: JSON.stringify(split.old),
            messages: oldMessages,
            statuses: oldStatuses.length,
            shadow,
            key: firstOld,
          }
        : null;
      if (shadow) return { notification: parsed, forward };
      return {
        notification: {
          ...empty,
          ignoredChanges: parsed.ignoredChanges,
          refused: parsed.refused,
          messages: parsed.messages.filter((m) => !isOld(m.userId)),
          statuses: parsed.statuses.filter((s) => !isOld(s.recipient)),
        },
        forward,
      };
    },
  };
}

/** A forward to commit, with the correlation id of its webhook. */
export interface ForwardRequest {
  readonly forward: ForwardPart;
  readonly correlationId: string;
}

/**
 * Inside the webhook transaction (a group of webhooks): each forward is committed as an outbox event with
 * the de-dup records of its messages, so Meta's retry of a forwarded message is not forwarded (nor
 * answered) again. `freshHere` are the messages this transaction recorded itself (shadow: the ingest
 * did). A forward with nothing new (every message seen before, no status) is not forwarded. One de-dup
 * insert for every forward's messages and one outbox insert for the events, in the order given; returns,
 * per forward, whether it was forwarded.
 */
export async function commitForwards(
  tx: Executor,
  outbox: Outbox,
  requests: readonly ForwardRequest[],
  freshHere: ReadonlySet<string>,
): Promise<boolean[]> {
  const toRecord = new Map<string, InboundMessage>();
  for (const { forward } of requests)
    if (!forward.shadow)
      for (const message of forward.messages) if (!toRecord.has(message.id)) toRecord.set(message.id, message);
  const recorded = await recordInboundMany(tx, [...toRecord.values()]);
  const forwarded = forwardsToCommit(requests, recorded, freshHere);
  await outbox.addMany(
    tx,
    requests
      .filter((_, i) => forwarded[i])
      .map(({ forward, correlationId }) =>
        pendingEvent(
          'whatsapp_forward_requested',
          { body: forward.body, messageIds: forward.messages.map((m) => m.id), shadow: forward.shadow },
          { key: forward.key, correlationId },
        ),
      ),
  );
  return forwarded;
}

/**
 * Which forwards go (pure): those with a status, or with a message new here. A message id `recorded` by
 * the shared de-dup insert counts as new for the first forward carrying it only, as one insert per
 * message in the same order would have found it.
 */
export function forwardsToCommit(
  requests: readonly ForwardRequest[],
  recorded: ReadonlySet<string>,
  freshHere: ReadonlySet<string>,
): boolean[] {
  const claimed = new Set<string>();
  return requests.map(({ forward }) => {
    let fresh = false;
    for (const { id } of forward.messages) {
      if (forward.shadow) fresh ||= freshHere.has(id);
      else if (recorded.has(id) && !claimed.has(id)) {
        claimed.add(id);
        fresh = true;
      }
    }
    return fresh || forward.statuses > 0;
  });
}
