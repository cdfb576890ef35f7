import type { Executor } from '@astria/db';
import type { PendingEvent } from '@astria/events';
import { EXTERNAL_EFFECT_TYPES, effectsSuppressed, readStage, recordSuppressed } from '@astria/rollout';

/**
 * Filters a turn's outgoing events before they reach the outbox: returns those to publish. Injected
 * into Turns (ingest.ts) only when an old app is configured.
 */
export type EffectGuard = (
  tx: Executor,
  userId: string,
  inputKind: string,
  events: PendingEvent[],
  correlationId: string,
  /** Decided by the webhook's routing for its messages (the same decision as the split): true keeps back. */
  routedShadow?: boolean,
) => Promise<PendingEvent[]>;

/**
 * The move-over's guard: for a user this system does not serve (everyone at shadow), a turn still
 * runs and its state is kept, but its WhatsApp sends and Astria requests are recorded in
 * rollout.suppressed_effects instead of published (shadow-report reads them). A webhook's messages
 * follow the routing's decision (a stage change between the split and the turn cannot leave a message
 * unanswered); other turns (events) are decided here from the stage and the owner rows.
 */
export function moveOverEffectGuard(): EffectGuard {
  return async (tx, userId, inputKind, events, correlationId, routedShadow) => {
    if (!events.some((e) => EXTERNAL_EFFECT_TYPES.has(e.type))) return events;
    if (routedShadow === false) return events;
    // Read in the turn's transaction (one primary-key row): the decision agrees with the owner rows it sees.
    const settings = await readStage(tx);
    if (routedShadow !== true && !(await effectsSuppressed(tx, settings, userId, inputKind))) return events;
    const kept = events.filter((e) => EXTERNAL_EFFECT_TYPES.has(e.type));
    await recordSuppressed(tx, settings, userId, kept, correlationId);
    return events.filter((e) => !EXTERNAL_EFFECT_TYPES.has(e.type));
  };
}
