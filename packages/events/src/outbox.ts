import { EVENT_TABLES, type Executor, SERVICE_SCHEMAS } from '@astria/db';
import { context, propagation } from '@opentelemetry/api';
import { sql } from 'drizzle-orm';
import { catalog, type EventInput, type EventType, type ServiceName } from './catalog.js';
import { buildEnvelope, type EnvelopeOptions, type EventEnvelope } from './envelope.js';

export class InvalidEventError extends Error {
  constructor(
    readonly type: string,
    readonly issues: string,
  ) {
    super(`Invalid ${type} payload: ${issues}`);
    this.name = 'InvalidEventError';
  }
}

/** NOTIFY channel the relay of a service listens on. */
export function outboxChannel(service: ServiceName): string {
  return `outbox_${SERVICE_SCHEMAS[service]}`;
}

export type AddOptions = Omit<EnvelopeOptions, 'source'>;

export interface Outbox {
  readonly service: ServiceName;
  /**
   * Adds an event inside the caller's transaction: it is published only if that transaction commits.
   * The payload is validated against the catalog now, so a bad event fails the caller, not a consumer.
   */
  add<T extends EventType>(tx: Executor, type: T, data: EventInput<T>, options: AddOptions): Promise<EventEnvelope<T>>;
  /** Adds several events in one statement (one round trip), in the order given. */
  addMany(tx: Executor, events: readonly PendingEvent[]): Promise<EventEnvelope[]>;
}

/** One event for `addMany`; build it with `pendingEvent` to keep the payload typed. */
export interface PendingEvent {
  type: EventType;
  data: unknown;
  options: AddOptions;
}

export function pendingEvent<T extends EventType>(type: T, data: EventInput<T>, options: AddOptions): PendingEvent {
  return { type, data, options };
}

export function validatePayload<T extends EventType>(type: T, data: unknown) {
  const result = catalog[type].schema.safeParse(data);
  if (!result.success) {
    throw new InvalidEventError(
      type,
      result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    );
  }
  return result.data;
}

/** The W3C traceparent of the active span, when tracing is configured: carried inside the event. */
function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

export function createOutbox(service: ServiceName): Outbox {
  const { outbox } = EVENT_TABLES[service];
  const channel = outboxChannel(service);

  function envelopeOf(type: EventType, data: unknown, options: AddOptions): EventEnvelope {
    const definition = catalog[type];
    if (definition.producer !== service) {
      throw new Error(`${service} cannot publish ${type}: its producer is ${definition.producer}`);
    }
    const payload = validatePayload(type, data);
    const traceparent = options.traceparent ?? currentTraceparent();
    return buildEnvelope(type, definition.version, payload, {
      ...options,
      ...(traceparent ? { traceparent } : {}),
      source: service,
    });
  }

  async function insert(tx: Executor, envelopes: EventEnvelope[]): Promise<void> {
    if (envelopes.length === 0) return;
    const rows = envelopes.map((e, ord) => ({ id: e.id, type: e.type, key: e.key, envelope: e, ord }));
    // One round trip: the rows (seq assigned in the order given), and one NOTIFY that reaches the
    // relay at commit (dropped on rollback). The rows travel as one JSON parameter, so the statement's
    // text is the same for any number of rows and the driver prepares it once per connection.
    await tx.execute(
      sql`with added as (
            insert into ${outbox} (event_id, type, key, envelope)
            select v.id, v.type, v.key, v.envelope
              from json_to_recordset(${JSON.stringify(rows)}::json) as v(id uuid, type text, key text, envelope jsonb, ord int)
             order by v.ord
            returning 1)
          select pg_notify(${channel}, '') from (select 1 from added limit 1) as one`,
    );
  }

  return {
    service,
    async add<T extends EventType>(tx: Executor, type: T, data: EventInput<T>, options: AddOptions) {
      const envelope = envelopeOf(type, data, options);
      await insert(tx, [envelope]);
      return envelope as EventEnvelope<T>;
    },
    async addMany(tx, events) {
      const envelopes = events.map((e) => envelopeOf(e.type, e.data, e.options));
      await insert(tx, envelopes);
      return envelopes;
    },
  };
}
