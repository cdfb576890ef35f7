import type { AppTransaction } from '@astria/db';
import type { EventHandlers } from '@astria/events';
import type { EngineInput } from './conversation/types.js';
import type { Turns } from './ingest.js';
import { upsertPackVideo } from './store.js';

type DomainEventHandlers = Pick<
  EventHandlers,
  | 'image_processed'
  | 'payment_received'
  | 'tune_created'
  | 'images_generated'
  | 'training_failed'
  | 'pack_images_updated'
>;

/**
 * The consumers of the domain events this service subscribes to: each is a turn of the user's
 * conversation (or, for pack preview videos, a row), committed with its inbox row.
 */
export function domainEventConsumers(turns: Turns): DomainEventHandlers {
  const turn = async (tx: AppTransaction, userId: string, input: EngineInput, correlationId: string | null) => {
    const packs = await turns.packsFor([input]);
    await turns.apply(tx, userId, input, packs, correlationId ?? userId);
  };
  return {
    image_processed: (event, tx) =>
      turn(tx, event.data.userId, { kind: 'image_processed', data: event.data }, event.correlationId),
    payment_received: (event, tx) =>
      turn(tx, event.data.userId, { kind: 'payment_received', data: event.data }, event.correlationId),
    tune_created: (event, tx) =>
      turn(tx, event.data.userId, { kind: 'tune_created', data: event.data }, event.correlationId),
    images_generated: (event, tx) =>
      turn(tx, event.data.userId, { kind: 'images_generated', data: event.data }, event.correlationId),
    training_failed: (event, tx) =>
      turn(tx, event.data.userId, { kind: 'training_failed', data: event.data }, event.correlationId),
    pack_images_updated: async (event, tx) => {
      await upsertPackVideo(tx, event.data.packId, event.data.subjectClass, event.data.url);
    },
  };
}
