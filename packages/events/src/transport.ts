import type { EventType, ServiceName } from './catalog.js';
import type { EventEnvelope } from './envelope.js';

/** An event on its way out of an outbox. */
export interface OutgoingEvent {
  envelope: EventEnvelope;
  /** Set on a dead-letter replay: deliver to this subscription only. */
  targetSubscription?: string | null;
}

/**
 * Raised by a delivery to send the event straight to the dead-letter store (invalid payload,
 * unsupported version): retrying could never succeed.
 */
export class PermanentDeliveryError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
    this.reason = reason;
  }
}

export interface DeadLetterRecord {
  subscription: string;
  envelope: EventEnvelope;
  reason: string;
  lastError: string | null;
  deliveryCount: number;
}

/** What a consumer registers with a transport. */
export interface Subscriber {
  /** Subscription name; on Service Bus it is the subscription on each topic (named after the service). */
  subscription: string;
  service: ServiceName;
  types: readonly EventType[];
  maxDeliveryCount: number;
  /**
   * Applies one delivery. Resolves when the effect (and inbox row) committed or the event was a
   * duplicate. Throws PermanentDeliveryError to dead-letter at once, anything else to retry.
   */
  deliver(envelope: unknown, deliveryCount: number): Promise<'handled' | 'duplicate'>;
  /** Stores a dead letter, for transports without a dead-letter store of their own (memory). */
  storeDeadLetter(record: DeadLetterRecord): Promise<void>;
  /** Told every delivery outcome, for metrics and logs. */
  onOutcome?(info: DeliveryInfo): void;
}

export interface DeliveryInfo {
  subscription: string;
  type: string;
  eventId: string;
  key: string | null;
  /** The envelope's occurredAt (written with the outbox row, just before publishing), when it has one. */
  occurredAt?: string;
  outcome: 'handled' | 'duplicate' | 'retry' | 'dead_lettered';
  deliveryCount: number;
  durationMs: number;
  error?: string;
  reason?: string;
}

export interface TransportHealth {
  ok: boolean;
  detail?: string;
}

export interface Transport {
  readonly name: string;
  /**
   * Publishes events in the order given (per key order is kept across calls too). Resolves once
   * the transport is responsible for them: accepted by the broker, or, for the memory transport,
   * settled by every local subscription (so an outbox row stays pending until then).
   */
  publish(events: readonly OutgoingEvent[]): Promise<void>;
  subscribe(subscriber: Subscriber): Promise<void>;
  start(): Promise<void>;
  /** Stops taking deliveries and waits for the ones in progress (bounded by the timeout). */
  stop(timeoutMs?: number): Promise<void>;
  health(): Promise<TransportHealth>;
  /**
   * Dead letters waiting in the broker's own dead-letter store for these subscriptions (Service Bus).
   * Absent on transports that store them through the subscriber (memory: each service's dead_letters table).
   */
  countDeadLetters?(entities: ReadonlyArray<{ topic: string; subscription: string }>): Promise<number>;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
