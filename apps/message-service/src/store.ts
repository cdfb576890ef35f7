import { countAffected, type Executor, messaging, queryRows } from '@astria/db';
import { type OutboundMessage, userHashOf } from '@astria/events';
import { and, eq, type SQL, sql } from 'drizzle-orm';
import { type Conversation, type ConversationState, newConversation } from './conversation/types.js';
import { STATUS_RANK, type StatusUpdate } from './webhook/notification.js';

const { conversations, outboundMessages, feedback, packVideos, erasures } = messaging;

/** What the de-dup record of an inbound message holds. */
export interface InboundRecord {
  id: string;
  userId: string;
  type: string;
  timestamp: number;
}

/**
 * Records the ids of several inbound messages in one statement (its text the same for any number, so
 * the driver's prepared statement serves every group); returns the ids that were new. The ids given
 * must be distinct.
 */
export async function recordInboundMany(tx: Executor, messages: readonly InboundRecord[]): Promise<Set<string>> {
  if (messages.length === 0) return new Set();
  const rows = await queryRows<{ wamid: string }>(tx, sql`${insertInbound(messages)} returning wamid`);
  return new Set(rows.map((r) => r.wamid));
}

type ConversationData = Omit<Conversation, 'userId' | 'state' | 'language'>;

/**
 * Loads the user's conversation, creating it if needed, and locks its row until the transaction
 * ends: turns of one user never interleave, across replicas too. One round trip.
 */
export async function lockConversation(tx: Executor, userId: string): Promise<Conversation> {
  const conversation = (await lockConversations(tx, [userId])).get(userId);
  if (!conversation) throw new Error('conversation upsert returned no row');
  return conversation;
}

/**
 * lockConversation for several users in one statement: the rows are created where missing and locked
 * in user id order (every transaction locks in the same order, so two never deadlock).
 */
export async function lockConversations(tx: Executor, userIds: readonly string[]): Promise<Map<string, Conversation>> {
  if (userIds.length === 0) return new Map();
  const rows = await queryRows<ConversationRow>(
    tx,
    sql`${upsertConversations(userIds, sql``)} returning user_id, state, language, data`,
  );
  return new Map(rows.map((row) => [row.user_id, conversationOf(row)]));
}

/**
 * recordInboundMany, then lockConversations of the users with a new message, in one statement (one
 * round trip): the new ids and the locked conversations.
 */
export async function recordInboundAndLock(
  tx: Executor,
  messages: readonly InboundRecord[],
): Promise<{ fresh: Set<string>; conversations: Map<string, Conversation> }> {
  if (messages.length === 0) return { fresh: new Set(), conversations: new Map() };
  const rows = await queryRows<{ wamid: string | null } & ConversationRow>(
    tx,
    sql`with fresh as (${insertInbound(messages)} returning wamid, user_id),
             locked as (${upsertConversations(
               messages.map((m) => m.userId),
               sql`where v.user_id in (select user_id from fresh)`,
             )} returning user_id, state, language, data)
        select wamid, null::text as user_id, null::text as state, null::text as language, null::jsonb as data from fresh
        union all
        select null, user_id, state, language, data from locked`,
  );
  const fresh = new Set<string>();
  const conversations = new Map<string, Conversation>();
  for (const row of rows) {
    if (row.wamid !== null) fresh.add(row.wamid);
    else conversations.set(row.user_id, conversationOf(row));
  }
  return { fresh, conversations };
}

/** The de-dup insert of recordInboundMany, without its `returning`. */
function insertInbound(messages: readonly InboundRecord[]): SQL {
  const values = messages.map((m) => ({
    wamid: m.id,
    user_id: m.userId,
    type: m.type,
    sent_at: new Date(m.timestamp).toISOString(),
  }));
  return sql`insert into messaging.inbound_messages (wamid, user_id, type, sent_at)
    select v.wamid, v.user_id, v.type, v.sent_at
      from json_to_recordset(${JSON.stringify(values)}::json) as v(wamid text, user_id text, type text, sent_at timestamptz)
    on conflict do nothing`;
}

/** The locking upsert of lockConversations (users in id order, `filter` a where clause on v.user_id), without its `returning`. */
function upsertConversations(userIds: readonly string[], filter: SQL): SQL {
  const values = [...new Set(userIds)].sort().map((userId, ord) => {
    const { userId: _u, state, language, ...data } = newConversation(userId);
    return { user_id: userId, state, language, data, ord };
  });
  return sql`insert into messaging.conversations (user_id, state, language, data, updated_at)
    select v.user_id, v.state, v.language, v.data, now()
      from json_to_recordset(${JSON.stringify(values)}::json) as v(user_id text, state text, language text, data jsonb, ord int)
      ${filter}
     order by v.ord
    on conflict (user_id) do update set user_id = excluded.user_id`;
}

type ConversationRow = { user_id: string; state: string; language: string; data: unknown };

function conversationOf(row: ConversationRow): Conversation {
  const stored = (typeof row.data === 'string' ? JSON.parse(row.data) : row.data) as Partial<ConversationData>;
  return {
    ...newConversation(row.user_id),
    ...stored,
    userId: row.user_id,
    state: row.state as ConversationState,
    language: row.language === 'he' ? 'he' : 'en',
  };
}

export async function saveConversation(tx: Executor, conversation: Conversation): Promise<void> {
  await saveConversations(tx, [{ conversation, turns: 1 }]);
}

/**
 * Writes the new state of several conversations (rows the transaction has locked) in one statement;
 * `version` grows by the number of turns each one took.
 */
export async function saveConversations(
  tx: Executor,
  saves: ReadonlyArray<{ conversation: Conversation; turns: number }>,
): Promise<void> {
  if (saves.length === 0) return;
  const values = saves.map(({ conversation: { userId, state, language, ...data }, turns }) => ({
    user_id: userId,
    state,
    language,
    data,
    turns,
  }));
  await tx.execute(
    sql`update messaging.conversations c
           set state = v.state, language = v.language, data = v.data, version = c.version + v.turns, updated_at = now()
          from json_to_recordset(${JSON.stringify(values)}::json) as v(user_id text, state text, language text, data jsonb, turns int)
         where c.user_id = v.user_id`,
  );
}

/**
 * Applies delivery statuses, in the order given, in one statement (its text the same for any number, so
 * the driver's prepared statement serves every group); returns, per status, whether it was applied. A
 * status never moves backwards (sent < delivered < read; failed is terminal): each one is applied when
 * its rank is above the wamid's, as the stored row and the statuses before it in the list leave it, so
 * the stored row is the first status of the highest rank, exactly as one statement per status in the
 * same order would leave it. A status for an erased user (erased, no conversation since) is dropped:
 * Meta reports statuses of messages sent before the erasure for a while after it, and their wamids
 * encode the number. The recipient itself is not kept (the send, `outbound_messages`, links a wamid to
 * its user). A `failed` status's caller holds `lockDeliveries` for its wamid before this statement.
 */
export async function applyStatuses(tx: Executor, statuses: readonly StatusUpdate[]): Promise<boolean[]> {
  if (statuses.length === 0) return [];
  const values = statuses.map((s, ord) => ({
    ord,
    wamid: s.wamid,
    status: s.status,
    rank: STATUS_RANK[s.status],
    error_code: s.errorCode,
    error_title: s.errorTitle?.slice(0, 500) ?? null,
    status_at: s.timestamp !== null ? new Date(s.timestamp).toISOString() : null,
    recipient: s.recipient,
    user_hash: s.recipient !== null ? userHashOf(s.recipient) : null,
  }));
  // One row per wamid is written (on conflict cannot touch a row twice in one statement): the first of the
  // highest rank among the statuses kept. Each status's outcome is worked out from the rank stored before
  // the statement and whether the wamid's row was written (statusOutcomes).
  const rows = await queryRows<StatusRow>(
    tx,
    sql`with v as (
          select * from json_to_recordset(${JSON.stringify(values)}::json)
            as v(ord int, wamid text, status text, rank int, error_code int, error_title text,
                 status_at timestamptz, recipient text, user_hash text)),
        kept as (
          select v.* from v
           where v.recipient is null
              or not exists (select 1 from messaging.erasures e where e.user_hash = v.user_hash)
              or exists (select 1 from messaging.conversations c where c.user_id = v.recipient)),
        stored as (
          select s.wamid, s.rank from messaging.message_statuses s where s.wamid in (select wamid from kept)),
        written as (
          insert into messaging.message_statuses (wamid, status, rank, error_code, error_title, status_at)
          select distinct on (k.wamid) k.wamid, k.status, k.rank, k.error_code, k.error_title, k.status_at
            from kept k
           order by k.wamid, k.rank desc, k.ord
          on conflict (wamid) do update
             set status = excluded.status, rank = excluded.rank, error_code = excluded.error_code,
                 error_title = excluded.error_title, status_at = excluded.status_at, updated_at = now()
           where messaging.message_statuses.rank < excluded.rank
          returning wamid)
        select k.ord, coalesce(s.rank, 0) as stored_rank, exists (select 1 from written w where w.wamid = k.wamid) as written
          from kept k left join stored s on s.wamid = k.wamid`,
  );
  return statusOutcomes(statuses, rows);
}

/** A status that applyStatuses kept (not an erased user's): the wamid's rank before the statement, and whether its row was written. */
type StatusRow = { ord: number; stored_rank: number; written: boolean };

/**
 * Whether each status was applied, as one statement per status in the same order would have said: its
 * rank above the stored one and above those of the wamid's statuses before it (pure). `written` false
 * means the wamid's row already held a rank as high (a concurrent transaction may have raised it since
 * the statement's snapshot): none of its statuses counts. The stored rank is the snapshot's, so while
 * another transaction writes the same wamid the count of the statuses below the highest may be off by
 * the other's write (the stored row is always right); a `failed` status's outcome is exact (its
 * delivery lock, held before this statement, serializes every writer of a failure).
 */
function statusOutcomes(statuses: readonly StatusUpdate[], kept: readonly StatusRow[]): boolean[] {
  const byOrd = new Map(kept.map((row) => [Number(row.ord), row]));
  const ranks = new Map<string, number>();
  return statuses.map((status, ord) => {
    const row = byOrd.get(ord);
    if (!row) return false;
    const rank = STATUS_RANK[status.status];
    const before = ranks.get(status.wamid) ?? Number(row.stored_rank);
    if (rank <= before) return false;
    ranks.set(status.wamid, rank);
    return row.written === true;
  });
}

/**
 * Serializes, per wamid, recording a send and applying its `failed` status (until the transaction
 * ends), so that a failure reported before the send was recorded is acted on exactly once: by
 * whichever of the two commits second. One statement for any number of wamids, the locks taken in wamid
 * order (every transaction takes them in the same order).
 */
export async function lockDeliveries(tx: Executor, wamids: readonly string[]): Promise<void> {
  if (wamids.length === 0) return;
  // Volatile functions in the select list run after the sort: the locks are taken in wamid order.
  await queryRows(
    tx,
    sql`select pg_advisory_xact_lock(hashtext('messaging.delivery'), hashtext(w.wamid))
          from json_array_elements_text(${JSON.stringify([...new Set(wamids)])}::json) as w(wamid)
         order by w.wamid`,
  );
}

/** A send's outcome as `messaging.outbound_messages` records it. */
export interface SendRecord {
  eventId: string;
  recipient: string;
  kind: string;
  wamid: string | null;
  /** `skipped`: a redelivered read receipt that was not repeated (send-attempts.ts). */
  outcome: 'sent' | 'failed' | 'skipped';
  errorCode?: number | null;
  errorMessage?: string | null;
  attempts: number;
  message?: OutboundMessage;
}

export async function recordSend(tx: Executor, send: SendRecord): Promise<void> {
  await recordSends(tx, [send]);
}

/**
 * Records several sends' outcomes: two statements for any number. Each replaces the `attempted` mark
 * committed before its Graph call (send-attempts.ts); a record is never overwritten. A send to a user who
 * erased their data meanwhile (in flight during the erasure, or its confirmation) is not recorded, and its
 * mark (which names the recipient) goes too. The share locks on the recipients' conversation rows wait for
 * an erasure holding one, so the two never interleave; the check is in the second statement, so that it
 * sees an erasure committed while the first one waited. Returns the `failed` statuses already stored for
 * the recorded wamids (a failure WhatsApp reported before the send was recorded: the caller, holding
 * lockDeliveries, acts on it).
 */
export async function recordSends(
  tx: Executor,
  sends: readonly SendRecord[],
): Promise<Array<{ wamid: string; errorCode: number | null; eventId: string }>> {
  if (sends.length === 0) return [];
  const recipients = [...new Set(sends.map((s) => s.recipient))].sort();
  await queryRows(
    tx,
    sql`select 1 from messaging.conversations
         where user_id in (select json_array_elements_text(${JSON.stringify(recipients)}::json))
         order by user_id for share`,
  );
  const values = sends.map((send) => ({
    event_id: send.eventId,
    recipient: send.recipient,
    user_hash: userHashOf(send.recipient),
    kind: send.kind,
    wamid: send.wamid,
    outcome: send.outcome,
    error_code: send.errorCode ?? null,
    error_message: send.errorMessage?.slice(0, 1000) ?? null,
    attempts: send.attempts,
    message: send.message ?? null,
  }));
  return (
    await queryRows<{ wamid: string; error_code: number | null; event_id: string }>(
      tx,
      sql`with v as (
            select * from json_to_recordset(${JSON.stringify(values)}::json) as v(
              event_id uuid, recipient text, user_hash text, kind text, wamid text, outcome text,
              error_code int, error_message text, attempts int, message jsonb)
          ),
          erased as (
            select v.event_id from v
             where not exists (select 1 from messaging.conversations c where c.user_id = v.recipient)
               and exists (select 1 from messaging.erasures e where e.user_hash = v.user_hash)
          ),
          gone as (
            delete from messaging.outbound_messages o using erased where o.event_id = erased.event_id
          ),
          recorded as (
            insert into messaging.outbound_messages
                   (event_id, recipient, kind, wamid, outcome, error_code, error_message, attempts, message, sent_at)
            select v.event_id, v.recipient, v.kind, v.wamid, v.outcome, v.error_code, v.error_message, v.attempts, v.message, now()
              from v where v.event_id not in (select event_id from erased)
            on conflict (event_id) do update
               set recipient = excluded.recipient, kind = excluded.kind, wamid = excluded.wamid,
                   outcome = excluded.outcome, error_code = excluded.error_code, error_message = excluded.error_message,
                   attempts = excluded.attempts, message = excluded.message, sent_at = now()
             where outbound_messages.outcome = 'attempted'
          )
          select s.wamid, s.error_code, v.event_id from v
            join messaging.message_statuses s on s.wamid = v.wamid and s.status = 'failed'
           where v.outcome = 'sent' and v.event_id not in (select event_id from erased)`,
    )
  ).map((row) => ({ wamid: row.wamid, errorCode: row.error_code, eventId: row.event_id }));
}

export interface SentRecord {
  eventId: string;
  recipient: string;
  message: OutboundMessage | null;
  /** This send was already requested again once. */
  retried: boolean;
  /** This send is itself the retry of an earlier one. */
  isRetry: boolean;
}

/** What we sent under a wamid, with whether it was retried or is a retry. One round trip. */
export async function sentByWamid(tx: Executor, wamid: string): Promise<SentRecord | null> {
  const [row] = await queryRows<{
    event_id: string;
    recipient: string;
    message: unknown;
    retry_event_id: string | null;
    is_retry: boolean;
  }>(
    tx,
    sql`select o.event_id, o.recipient, o.message, o.retry_event_id,
               exists (select 1 from messaging.outbound_messages p where p.retry_event_id = o.event_id) as is_retry
          from messaging.outbound_messages o where o.wamid = ${wamid} limit 1`,
  );
  if (!row) return null;
  const message = typeof row.message === 'string' ? JSON.parse(row.message) : row.message;
  return {
    eventId: row.event_id,
    recipient: row.recipient,
    message: (message ?? null) as OutboundMessage | null,
    retried: row.retry_event_id !== null,
    isRetry: row.is_retry,
  };
}

export async function markRetried(tx: Executor, eventId: string, retryEventId: string): Promise<void> {
  await tx.update(outboundMessages).set({ retryEventId }).where(eq(outboundMessages.eventId, eventId));
}

/** The user's language (en when the conversation is unknown), without locking the row. */
export async function languageOf(tx: Executor, userId: string): Promise<'en' | 'he'> {
  const [row] = await tx
    .select({ language: conversations.language })
    .from(conversations)
    .where(eq(conversations.userId, userId));
  return row?.language === 'he' ? 'he' : 'en';
}

/** Ratings and written feedback, of one or several users, in one statement. */
export async function storeFeedback(
  tx: Executor,
  items: ReadonlyArray<{ userId: string; rating: number | null; text: string | null }>,
): Promise<void> {
  if (items.length === 0) return;
  await tx.insert(feedback).values(items.map((f) => ({ userId: f.userId, rating: f.rating, text: f.text })));
}

export async function upsertPackVideo(tx: Executor, packId: number, subjectClass: string, url: string): Promise<void> {
  await tx
    .insert(packVideos)
    .values({ packId, subjectClass, url })
    .onConflictDoUpdate({
      target: [packVideos.packId, packVideos.subjectClass],
      set: { url, updatedAt: sql`now()` },
    });
}

export async function packVideosOf(tx: Executor, packId: number): Promise<Record<string, string>> {
  const rows = await tx
    .select()
    .from(packVideos)
    .where(and(eq(packVideos.packId, packId)));
  return Object.fromEntries(rows.map((r) => [`${r.packId}:${r.subjectClass}`, r.url]));
}

/** What an erasure removed, by table (the audit row's `counts`). */
export type ErasureCounts = Record<string, number>;

/**
 * "Delete my data", confirmed: everything of the user in the message service's tables goes, inside the
 * turn's transaction (the caller holds the conversation lock): the conversation, feedback, what was sent
 * and its statuses, the user's events in the outbox and dead letters, the de-dup records of the user's
 * messages (Meta's message ids encode the number). Of the de-dup records only what prevents a double
 * payment stays: the applied payment ids, as hashes in the audit row. The audit row has no personal data.
 */
export async function eraseUserData(
  tx: Executor,
  userId: string,
  paymentsSeen: readonly string[],
): Promise<{ userHash: string; counts: ErasureCounts }> {
  const count = (statement: SQL) => countAffected(tx, statement);
  const counts: ErasureCounts = {
    conversations: await count(sql`delete from messaging.conversations where user_id = ${userId}`),
    feedback: await count(sql`delete from messaging.feedback where user_id = ${userId}`),
    // Before the sends: a status is found through its send's wamid (rows written before statuses dropped the recipient also by it).
    message_statuses: await count(
      sql`delete from messaging.message_statuses where recipient = ${userId}
             or wamid in (select wamid from messaging.outbound_messages where recipient = ${userId} and wamid is not null)`,
    ),
    outbound_messages: await count(sql`delete from messaging.outbound_messages where recipient = ${userId}`),
    outbox: await count(sql`delete from messaging.outbox where key = ${userId}`),
    dead_letters: await count(sql`delete from messaging.dead_letters where key = ${userId}`),
    // Meta's message ids encode the number: the de-dup records go too (WhatsApp redelivers only unanswered webhooks).
    inbound_messages: await count(sql`delete from messaging.inbound_messages where user_id = ${userId}`),
    // The move-over's sticky owner (shared schema): a returning user is routed afresh.
    rollout_owners: await count(sql`delete from rollout.owners where user_id = ${userId}`),
  };
  const userHash = userHashOf(userId);
  await tx.insert(erasures).values({ userHash, counts, paymentHashes: paymentsSeen.map(userHashOf) });
  return { userHash, counts };
}

/**
 * Whether a domain event for this user belongs to data the user had erased: the user was erased and has
 * no conversation since, or the payment is one applied before the erasure. One round trip.
 */
export async function erasedBefore(tx: Executor, userId: string, paymentId: string | null): Promise<boolean> {
  const userHash = userHashOf(userId);
  const [row] = await queryRows<{ erased: boolean }>(
    tx,
    sql`select exists (select 1 from messaging.erasures e where e.user_hash = ${userHash}
                   and (not exists (select 1 from messaging.conversations c where c.user_id = ${userId})
                        or e.payment_hashes @> ${JSON.stringify(paymentId === null ? [] : [userHashOf(paymentId)])}::jsonb
                           and ${paymentId !== null})) as erased`,
  );
  return row?.erased === true;
}
