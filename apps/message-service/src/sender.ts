import type { AppTransaction } from '@astria/db';
import { type EffectEntry, type EventHandlers, withExternalEffect } from '@astria/events';
import { maskPhone } from '@astria/service-kit';
import { GraphApiError, type GraphClient } from './graph/client.js';
import type { DeliveryFailedHandler, Logger, RefusedSendHandler } from './ingest.js';
import type { MessageMetrics } from './metrics.js';
import type { PairPacer } from './pair-pacer.js';
import type { SendAttempts } from './send-attempts.js';
import { lockDeliveries, recordSends, type SendRecord } from './store.js';

/** Graph's "re-engagement message": free-form send outside the 24-hour window. */
const WINDOW_CLOSED = 131047;
/** Graph's pair rate limit: too many messages to one user. */
const PAIR_RATE_HIT = 131056;

/** What a Graph send came to, recorded with the inbox row. */
type SendOutcome =
  | { ok: true; wamid: string | null; attempts: number; skipped?: true }
  | { ok: false; errorCode: number | null; errorMessage: string };

export interface SenderDeps {
  /** The Graph client; it retries 429/5xx/network/130429/131056 itself (WHATSAPP_SEND_ATTEMPTS). */
  graph: GraphClient;
  /** The number's send budget (WHATSAPP_MAX_MPS) shared by every pod: `SendLimiter` (src/send-limiter.ts). */
  limiter: { acquire(): Promise<void> };
  /** The per-user pair rate: `PairPacer` (src/pair-pacer.ts); waiting on it holds back this user only. */
  pacer: Pick<PairPacer, 'acquire' | 'backOff'>;
  metrics: MessageMetrics;
  logger: Logger;
  /** A free-form send refused with 131047 (24-hour window closed): held, and a template sent instead. */
  onWindowClosed?: RefusedSendHandler;
  /** A `failed` status that came before the send was recorded: acted on once the send is. */
  onDeliveryFailed?: DeliveryFailedHandler;
  /** Marks each send attempted before the Graph call (send-attempts.ts): a cut-short send is counted, a read receipt never repeated. */
  attempts?: SendAttempts;
}

/**
 * The ordered outbound sender: the consumer of `whatsapp_send_requested` (keyed by user, so one
 * user's messages go out in order). The Graph call runs outside any transaction (no pooled
 * connection held while waiting on the send limiter or WhatsApp); its outcome is recorded with the
 * inbox row afterwards. Retryable errors that outlast the client's retries go back to the
 * transport, which holds the user's later messages; permanent ones are recorded and alerted.
 */
export function whatsappSender(deps: SenderDeps): Pick<EventHandlers, 'whatsapp_send_requested'> {
  const { graph, limiter, pacer, metrics, logger, onWindowClosed, onDeliveryFailed, attempts } = deps;

  /** True when the send was a free-form message refused because the 24-hour window closed (it is held). */
  const refusedForWindow = ({ event, result }: SendEntry): boolean =>
    !result.ok &&
    result.errorCode === WINDOW_CLOSED &&
    event.data.message.kind !== 'template' &&
    event.data.message.kind !== 'mark_read' &&
    onWindowClosed !== undefined;

  /**
   * Records sends' outcomes in the inbox transaction, in key order: two statements for a run of sends
   * (recordSends) plus one for their wamids' delivery locks. A refused send's hold writes the user's
   * conversation, so it is recorded on its own, in its place in the order.
   */
  const recordOutcomes = async (tx: AppTransaction, entries: readonly SendEntry[]): Promise<void> => {
    let run: SendEntry[] = [];
    const flush = async () => {
      if (run.length === 0) return;
      const sends = run;
      run = [];
      // A failed status may have come before this commit: whichever commits second acts on it.
      await lockDeliveries(
        tx,
        sends.flatMap(({ result }) => (result.ok && result.wamid ? [result.wamid] : [])),
      );
      const failed = await recordSends(tx, sends.map(sendRecordOf));
      if (!onDeliveryFailed) return;
      for (const { wamid, errorCode, eventId } of failed) {
        const event = sends.find((entry) => entry.event.id === eventId)?.event;
        await onDeliveryFailed(tx, wamid, errorCode, event?.correlationId ?? eventId);
      }
    };
    for (const entry of entries) {
      if (!refusedForWindow(entry)) {
        run.push(entry);
        continue;
      }
      await flush();
      const { to, message, replyTo } = entry.event.data;
      await onWindowClosed?.(
        tx,
        to,
        { message, ...(replyTo ? { replyTo } : {}) },
        entry.event.correlationId ?? entry.event.id,
      );
      run.push(entry);
      await flush();
    }
    await flush();
  };

  return {
    whatsapp_send_requested: withExternalEffect(
      async (event): Promise<SendOutcome> => {
        const { to, message, replyTo } = event.data;
        const started = performance.now();
        // A read receipt is not a message to the user: no pair-rate slot.
        if (message.kind !== 'mark_read') await pacer.acquire(to);
        await limiter.acquire();
        // Marked right before the call, so only a send cut short in the Graph call or before its record is counted.
        if (attempts && (await attempts.begin(event)) === 'skip')
          return { ok: true, wamid: null, attempts: 0, skipped: true };
        try {
          const sent = await graph.send(to, message, replyTo);
          metrics.sends.inc({ kind: message.kind, outcome: 'sent', code: '' });
          if (message.kind === 'template') metrics.templateSends.inc({ purpose: message.purpose, outcome: 'sent' });
          metrics.sendDuration.observe({ outcome: 'sent' }, (performance.now() - started) / 1000);
          return { ok: true, wamid: sent.wamid, attempts: sent.attempts };
        } catch (error) {
          if (!(error instanceof GraphApiError)) throw error;
          if (error.code === PAIR_RATE_HIT) pacer.backOff(to);
          if (error.retryable) {
            // Hand it back: the transport retries later and keeps later messages to this user waiting.
            metrics.sends.inc({ kind: message.kind, outcome: 'retry_later', code: error.label });
            await attempts?.notSent(event.id);
            throw error;
          }
          metrics.sends.inc({ kind: message.kind, outcome: 'failed', code: error.label });
          if (message.kind === 'template') metrics.templateSends.inc({ purpose: message.purpose, outcome: 'failed' });
          metrics.sendDuration.observe({ outcome: 'failed' }, (performance.now() - started) / 1000);
          metrics.alerts.inc({ kind: `send_${error.label}` });
          logger.error(
            {
              alert: true,
              to: maskPhone(to),
              kind: message.kind,
              code: error.code,
              status: error.status,
              err: error.message,
            },
            'WhatsApp send failed permanently; not retried',
          );
          return { ok: false, errorCode: error.code ?? error.status, errorMessage: error.message };
        }
      },
      (event, tx, outcome) => recordOutcomes(tx, [{ event, result: outcome }]),
      (tx, entries) => recordOutcomes(tx, entries),
    ),
  };
}

type SendEntry = EffectEntry<'whatsapp_send_requested', SendOutcome>;

/** What outbound_messages records for a send's outcome. */
function sendRecordOf({ event, result }: SendEntry): SendRecord {
  const { message } = event.data;
  const base = {
    eventId: event.id,
    recipient: event.data.to,
    kind: message.kind,
    ...(message.kind !== 'mark_read' ? { message } : {}),
  };
  if (!result.ok) {
    return {
      ...base,
      wamid: null,
      outcome: 'failed',
      errorCode: result.errorCode,
      errorMessage: result.errorMessage,
      attempts: 1,
    };
  }
  return {
    ...base,
    wamid: result.wamid,
    outcome: result.skipped ? 'skipped' : 'sent',
    attempts: result.attempts,
  };
}
