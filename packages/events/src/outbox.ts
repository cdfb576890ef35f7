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
  return {
    service,
    async add<T extends EventType>(tx: Executor, type: T, data: EventInput<T>, options: AddOptions) {
      const definition = catalog[type];
      if (definition.producer !== service) {
        throw new Error(`${service} cannot publish ${type}: its producer is ${definition.producer}`);
      }
      const payload = validatePayload(type, data);
      const traceparent = options.traceparent ?? currentTraceparent();
      const envelope = buildEnvelope(type, definition.version, payload, {
        ...options,
        ...(traceparent ? { traceparent } : {}),
        source: service,
      });
      // One round trip: the row, and a NOTIFY that reaches the relay at commit (dropped on rollback;
      // identical notifies in one transaction fold into one).
      await tx.execute(
        sql`with added as (
              insert into ${outbox} (event_id, type, key, envelope)
              values (${envelope.id}, ${type}, ${envelope.key}, ${JSON.stringify(envelope)}::jsonb)
              returning 1)
            select pg_notify(${channel}, '') from added`,
      );
      return envelope;
    },
  };
}
