import { randomUUID } from 'node:crypto';
import { type AppTransaction, type Database, EVENT_TABLES, queryRows } from '@astria/db';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { sql } from 'drizzle-orm';
import { catalog, type EventData, type EventType, isEventType, type ServiceName } from './catalog.js';
import { type EventEnvelope, envelopeSchema } from './envelope.js';
import { groupCommit } from './group-commit.js';
import { PermanentDeliveryError, type Subscriber } from './transport.js';

/** A handler gets the validated event and the transaction its effect must be written in. */
export type EventHandler<T extends EventType> = (
  event: EventEnvelope<T, EventData<T>>,
  tx: AppTransaction,
) => Promise<void>;

/** What an external effect's handler commits with the inbox row: a step, set-based where it can be. */
export interface EffectRecord {
  (tx: AppTransaction): Promise<void>;
  /**
   * The set-based form: deliveries of one inbox transaction that are next to each other in key order
   * and share this `recordMany` are recorded by one call (one statement per table) instead of one step
   * each. Their order in `entries` is the key order, the order their rows must be locked in.
   */
  readonly many?: { readonly recordMany: RecordMany; readonly entry: unknown };
}

// biome-ignore lint/suspicious/noExplicitAny: entries of any handler's result type share one signature here
type RecordMany = (tx: AppTransaction, entries: any[]) => Promise<void>;

/**
 * A handler with an external effect (an HTTP call) that must not hold a database transaction open:
 * `outsideTransaction` runs first, with no connection held, once the inbox shows the event is new;
 * the step it returns is then committed together with the inbox row. Use `withExternalEffect`.
 */
export interface ExternalEffectHandler<T extends EventType> {
  readonly outsideTransaction: (event: EventEnvelope<T, EventData<T>>) => Promise<EffectRecord>;
}

/** One delivery's effect and its event, as `recordMany` gets them. */
export interface EffectEntry<T extends EventType, R> {
  event: EventEnvelope<T, EventData<T>>;
  result: R;
}

/**
 * Builds an ExternalEffectHandler: `effect` runs outside any transaction (throw to have the event
 * retried); `record` writes its result in the inbox transaction. Per-key ordering means an event is
 * never in two deliveries at once, so the effect runs once per event except when the process dies
 * between the effect and the commit (at-least-once, as the external API allows).
 * With `recordMany`, the deliveries that share an inbox transaction are recorded together (it must do
 * for each entry exactly what `record` does for one, in the order given).
 */
export function withExternalEffect<T extends EventType, R>(
  effect: (event: EventEnvelope<T, EventData<T>>) => Promise<R>,
  record: (event: EventEnvelope<T, EventData<T>>, tx: AppTransaction, result: R) => Promise<void>,
  recordMany?: (tx: AppTransaction, entries: EffectEntry<T, R>[]) => Promise<void>,
): ExternalEffectHandler<T> {
  return {
    async outsideTransaction(event) {
      const result = await effect(event);
      const step = (tx: AppTransaction) => record(event, tx, result);
      if (!recordMany) return step;
      return Object.assign(step, { many: { recordMany, entry: { event, result } satisfies EffectEntry<T, R> } });
    },
  };
}

export type EventHandlers = { [T in EventType]?: EventHandler<T> | ExternalEffectHandler<T> };

/**
 * Per event type, which events the handler acts on at all. An event it would do nothing with is
 * acknowledged without an inbox row or a transaction (nothing to repeat, so nothing to de-duplicate):
 * e.g. the image service gets every inbound message and acts on training photos only.
 */
export type EventRelevance = { [T in EventType]?: (data: EventData<T>) => boolean };

export interface ConsumerOptions {
  database: Database;
  service: ServiceName;
  /** Defaults to the service name (one subscription per service, as on Service Bus). */
  subscription?: string;
  handlers: EventHandlers;
  /** Events the handlers act on (the rest are acknowledged without a transaction). Default: all. */
  relevant?: EventRelevance;
  maxDeliveryCount?: number;
  /**
   * Group commit: at most this many inbox transactions run at once; deliveries that arrive meanwhile
   * (other keys: a key is never in two deliveries at once) share the next one. Default 4.
   */
  maxConcurrentTx?: number;
  /** The most deliveries one inbox transaction takes. Default 32. */
  maxBatch?: number;
}

const tracer = trace.getTracer('@astria/events');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates an incoming envelope and payload against the catalog; throws PermanentDeliveryError if it never could be handled. */
export function parseIncoming(raw: unknown): EventEnvelope {
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) {
    throw new PermanentDeliveryError(
      'invalid_envelope',
      envelope.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    );
  }
  const { type, v } = envelope.data;
  if (!isEventType(type)) throw new PermanentDeliveryError('unknown_type', `unknown event type ${type}`);
  const definition = catalog[type];
  if (v > definition.version) {
    throw new PermanentDeliveryError(
      'unsupported_version',
      `${type} v${v} is newer than the supported v${definition.version}`,
    );
  }
  const payload = definition.schema.safeParse(envelope.data.data);
  if (!payload.success) {
    throw new PermanentDeliveryError(
      'invalid_payload',
      payload.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    );
  }
  return { ...(envelope.data as EventEnvelope), data: payload.data };
}

/**
 * The idempotent consumer: the handler's effect and the inbox row `(subscription, event id)` commit
 * in one transaction, so a redelivered event finds its inbox row and has no second effect.
 */
export function createSubscriber(options: ConsumerOptions): Subscriber {
  const tables = EVENT_TABLES[options.service];
  const subscription = options.subscription ?? options.service;
  const types = Object.keys(options.handlers).filter(isEventType);
  for (const type of types) {
    if (!(catalog[type].subscribers as readonly string[]).includes(options.service)) {
      throw new Error(`${options.service} is not a subscriber of ${type} in the catalog`);
    }
  }
  // The inbox pre-check of external effects, one statement for the deliveries that wait on it together.
  const alreadyHandled = groupCommit<string, boolean>({ maxConcurrentTx: 2, maxBatch: 256 }, async (ids) => {
    const rows = await queryRows<{ event_id: string }>(
      options.database.db,
      sql`select event_id from ${tables.inbox}
           where subscription = ${subscription}
             and event_id in (select v.id from json_to_recordset(${JSON.stringify(ids.map((id) => ({ id })))}::json) as v(id uuid))`,
    );
    const seen = new Set(rows.map((r) => r.event_id.toLowerCase()));
    return ids.map((id) => seen.has(id.toLowerCase()));
  });
  const commit = groupCommit<Delivery, DeliveryOutcome>(
    { maxConcurrentTx: options.maxConcurrentTx ?? 4, maxBatch: options.maxBatch ?? 32 },
    (batch) =>
      options.database.db.transaction(async (tx) => {
        // One multi-row inbox insert for the group; the handlers then run in key order (the order rows
        // are locked in, the same in every transaction), each delivery's effect only if its row is new.
        const rows = await queryRows<{ event_id: string }>(
          tx,
          sql`insert into ${tables.inbox} (subscription, event_id)
            select ${subscription}, v.id from json_to_recordset(${JSON.stringify(batch.map((d) => ({ id: d.event.id })))}::json) as v(id uuid)
            on conflict do nothing
            returning event_id`,
        );
        const fresh = new Set(rows.map((r) => r.event_id.toLowerCase()));
        const outcomes = new Map<Delivery, DeliveryOutcome>();
        // Neighbours in key order with the same set-based record share one call; the rest run one by one.
        let run: { recordMany: RecordMany; entries: unknown[] } | null = null;
        for (const delivery of [...batch].sort((a, b) => compareKeys(a.event.key, b.event.key))) {
          const id = delivery.event.id.toLowerCase();
          if (!fresh.delete(id)) {
            outcomes.set(delivery, 'duplicate');
            continue;
          }
          outcomes.set(delivery, 'handled');
          const many = delivery.step.many;
          if (run && many?.recordMany === run.recordMany) {
            run.entries.push(many.entry);
            continue;
          }
          if (run) await run.recordMany(tx, run.entries);
          run = null;
          if (many) run = { recordMany: many.recordMany, entries: [many.entry] };
          else await delivery.step(tx);
        }
        if (run) await run.recordMany(tx, run.entries);
        return batch.map((d) => outcomes.get(d) as DeliveryOutcome);
      }),
  );
  return {
    subscription,
    service: options.service,
    types,
    maxDeliveryCount: options.maxDeliveryCount ?? 10,
    async deliver(raw, _deliveryCount) {
      const event = parseIncoming(raw);
      const handler = options.handlers[event.type as EventType] as
        | EventHandler<EventType>
        | ExternalEffectHandler<EventType>
        | undefined;
      if (!handler) throw new PermanentDeliveryError('no_handler', `${subscription} has no handler for ${event.type}`);
      const relevant = options.relevant?.[event.type as EventType] as ((data: unknown) => boolean) | undefined;
      if (relevant && !relevant(event.data)) return 'handled';
      // The handler runs in a consumer span whose parent is the producer's trace, carried in the event.
      const parent = event.traceparent
        ? propagation.extract(context.active(), { traceparent: event.traceparent })
        : context.active();
      return tracer.startActiveSpan(
        `${event.type} process`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'astria-events',
            'messaging.operation.type': 'process',
            'messaging.destination.name': event.type,
            'messaging.consumer.group.name': subscription,
            'messaging.message.id': event.id,
            'messaging.message.conversation_id': event.correlationId,
          },
        },
        parent,
        async (span) => {
          const typed = event as EventEnvelope<EventType, EventData<EventType>>;
          try {
            let step: EffectRecord;
            if (typeof handler === 'function') {
              step = (tx) => handler(typed, tx);
            } else {
              if (await alreadyHandled(event.id)) return 'duplicate' as const;
              step = await handler.outsideTransaction(typed);
            }
            return await commit({ event, step });
          } catch (error) {
            span.setStatus({
              code: SpanStatusCode.ERROR,
              message: error instanceof Error ? error.message : String(error),
            });
            throw error;
          } finally {
            span.end();
          }
        },
      );
    },
    async storeDeadLetter(record) {
      const envelope = record.envelope as Partial<EventEnvelope> | undefined;
      await options.database.db
        .insert(tables.deadLetters)
        .values({
          subscription: record.subscription,
          eventId: typeof envelope?.id === 'string' && UUID.test(envelope.id) ? envelope.id : randomUUID(),
          type: typeof envelope?.type === 'string' ? envelope.type : 'unknown',
          key: typeof envelope?.key === 'string' ? envelope.key : null,
          envelope: record.envelope,
          reason: record.reason,
          lastError: record.lastError?.slice(0, 4000) ?? null,
          deliveryCount: record.deliveryCount,
        })
        .onConflictDoUpdate({
          target: [tables.deadLetters.subscription, tables.deadLetters.eventId],
          set: {
            reason: record.reason,
            lastError: record.lastError?.slice(0, 4000) ?? null,
            deliveryCount: record.deliveryCount,
            deadLetteredAt: sql`now()`,
            replayedAt: null,
          },
        });
    },
  };
}

type DeliveryOutcome = 'handled' | 'duplicate';

interface Delivery {
  event: EventEnvelope;
  step: EffectRecord;
}

function compareKeys(a: string | null | undefined, b: string | null | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}
