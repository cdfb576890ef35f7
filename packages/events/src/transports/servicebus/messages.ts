import type { ServiceBusMessage, ServiceBusReceivedMessage } from '@azure/service-bus';
import { catalog, isEventType, topicName } from '../../catalog.js';
import type { EventEnvelope } from '../../envelope.js';
import type { OutgoingEvent } from '../../transport.js';

/**
 * Application property that addresses a replayed event to one subscription: the topic still fans it
 * out (no broker rules needed), and the other subscriptions' consumers complete it untouched.
 */
export const TARGET_SUBSCRIPTION_PROPERTY = 'targetSubscription';

/** Whether a topic's subscriptions use sessions (ordered events). Unknown types are not ordered. */
export function isOrderedType(type: string): boolean {
  return isEventType(type) && catalog[type].ordered;
}

/** The topic an envelope goes to (`events-<type>`); unknown types still get their topic name. */
export function topicOf(type: string): string {
  return isEventType(type) ? topicName(type) : `events-${type}`;
}

/**
 * The Service Bus message of an outgoing event: `messageId` = event id (duplicate detection),
 * `sessionId` = key for ordered events (the event id when keyless, so it is its own session),
 * `subject` = type, JSON body, trace context and routing in application properties. A replay to
 * one subscription gets its own message id, so the topic's duplicate detection lets it through.
 */
export function toServiceBusMessage(event: OutgoingEvent, now: () => number = Date.now): ServiceBusMessage {
  const { envelope, targetSubscription } = event;
  const applicationProperties: Record<string, string | number> = {
    type: envelope.type,
    v: envelope.v,
    source: envelope.source,
  };
  if (envelope.traceparent) applicationProperties.traceparent = envelope.traceparent;
  if (targetSubscription) applicationProperties[TARGET_SUBSCRIPTION_PROPERTY] = targetSubscription;
  const message: ServiceBusMessage = {
    messageId: targetSubscription ? `${envelope.id}:replay:${targetSubscription}:${now()}` : envelope.id,
    body: envelope,
    contentType: 'application/json',
    subject: envelope.type,
    correlationId: envelope.correlationId,
    applicationProperties,
  };
  if (isOrderedType(envelope.type)) message.sessionId = envelope.key ?? envelope.id;
  return message;
}

/** The envelope in a received message (bodies are JSON; a Buffer or string body is parsed). */
export function envelopeOf(message: Pick<ServiceBusReceivedMessage, 'body'>): unknown {
  const body = message.body as unknown;
  if (Buffer.isBuffer(body) || body instanceof Uint8Array) {
    try {
      return JSON.parse(Buffer.from(body).toString('utf8'));
    } catch {
      return body;
    }
  }
  if (typeof body === 'string') {
    try {
      return JSON.parse(body);
    } catch {
      return body;
    }
  }
  return body;
}

/** What the outcome report needs from a maybe-invalid envelope. */
export function describe(raw: unknown): { type: string; eventId: string; key: string | null; occurredAt?: string } {
  const e = (raw && typeof raw === 'object' ? raw : {}) as Partial<EventEnvelope>;
  return {
    type: typeof e.type === 'string' ? e.type : 'unknown',
    eventId: typeof e.id === 'string' ? e.id : 'unknown',
    key: typeof e.key === 'string' ? e.key : null,
    ...(typeof e.occurredAt === 'string' ? { occurredAt: e.occurredAt } : {}),
  };
}

/** Groups events by topic, keeping their order within each topic. */
export function groupByTopic(events: readonly OutgoingEvent[]): Map<string, OutgoingEvent[]> {
  const out = new Map<string, OutgoingEvent[]>();
  for (const event of events) {
    const topic = topicOf(event.envelope.type);
    const list = out.get(topic) ?? [];
    list.push(event);
    out.set(topic, list);
  }
  return out;
}
