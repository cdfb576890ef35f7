import { type Database, queryRows } from '@astria/db';
import { groupCommit, type OutboundMessage } from '@astria/events';
import { maskPhone } from '@astria/service-kit';
import { sql } from 'drizzle-orm';
import type { Logger } from './ingest.js';
import type { MessageMetrics } from './metrics.js';

/**
 * The at-least-once window of a WhatsApp send, made visible and as small as it can be. WhatsApp has no
 * idempotency key, and the Graph call cannot share a transaction with the inbox row that records it, so a
 * process killed (or a commit failed) after Graph accepted a message and before the record committed gets
 * the event redelivered with no trace of the send. So, before every Graph call, an `attempted` row is
 * committed in `messaging.outbound_messages` (one statement); the record of the outcome replaces it in the
 * inbox transaction. An event that finds its own `attempted` row was cut short after that point:
 * - a read receipt or typing indicator (`mark_read`) is NOT repeated: it is recorded `skipped`;
 * - anything else is sent again (a reply must not be lost), logged and counted as a possible duplicate.
 * Both are counted in `whatsapp_send_redeliveries_total{kind,action}`. A Graph error that proves the
 * message was not sent (a retryable one handed back to the transport) clears the mark first, so an
 * ordinary retry is not counted. See docs/reliability.md ("What the sender guarantees").
 */
export interface SendAttempts {
  /** Marks the send attempted (committed); says whether to send or, for a repeated read receipt, skip. */
  begin(event: { id: string; data: { to: string; message: OutboundMessage } }): Promise<'send' | 'skip'>;
  /** The Graph call failed without sending: the next delivery is an ordinary retry. */
  notSent(eventId: string): Promise<void>;
}

/** Kinds whose repetition is never worth a possible duplicate. */
const NOT_REPEATED: ReadonlySet<OutboundMessage['kind']> = new Set(['mark_read']);

export function sendAttempts(deps: {
  database: Database;
  metrics: Pick<MessageMetrics, 'sendRedeliveries'>;
  logger: Logger;
}): SendAttempts {
  const { database, metrics, logger } = deps;
  // The marks of the sends about to call Graph at once go in one statement (attempts per event id;
  // none back for an event whose outcome is already recorded). Each event is in one delivery at a time.
  const mark = groupCommit<{ id: string; to: string; kind: string }, number | undefined>(
    { maxConcurrentTx: 2, maxBatch: 256 },
    async (sends) => {
      const rows = await queryRows<{ event_id: string; attempts: number }>(
        database.db,
        sql`insert into messaging.outbound_messages (event_id, recipient, kind, outcome, attempts)
            select v.id, v.recipient, v.kind, 'attempted', 1
              from json_to_recordset(${JSON.stringify(sends.map((s) => ({ id: s.id, recipient: s.to, kind: s.kind })))}::json)
                   as v(id uuid, recipient text, kind text)
            on conflict (event_id) do update set attempts = outbound_messages.attempts + 1
              where outbound_messages.outcome = 'attempted'
            returning event_id, attempts`,
      );
      const attempts = new Map(rows.map((r) => [r.event_id.toLowerCase(), Number(r.attempts)]));
      return sends.map((s) => attempts.get(s.id.toLowerCase()));
    },
  );
  return {
    async begin(event) {
      const { to, message } = event.data;
      // attempts counts deliveries that reached the Graph call; the record of the outcome overwrites it.
      const attempts = await mark({ id: event.id, to, kind: message.kind });
      // No row back: the outcome is already recorded (the inbox would have caught it first); never resend.
      if (attempts === undefined) return 'skip';
      if (attempts === 1) return 'send';
      const action = NOT_REPEATED.has(message.kind) ? 'skipped' : 'resent';
      metrics.sendRedeliveries.inc({ kind: message.kind, action });
      logger.warn(
        { eventId: event.id, to: maskPhone(to), kind: message.kind, attempts, action },
        action === 'skipped'
          ? 'send redelivered after an interrupted attempt: read receipt not repeated'
          : 'send redelivered after an interrupted attempt: sent again (the user may get it twice)',
      );
      return action === 'skipped' ? 'skip' : 'send';
    },
    async notSent(eventId) {
      await queryRows(
        database.db,
        sql`delete from messaging.outbound_messages where event_id = ${eventId} and outcome = 'attempted'`,
      );
    },
  };
}
