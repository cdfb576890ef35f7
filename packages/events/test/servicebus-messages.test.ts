import { describe, expect, it } from 'vitest';
import { buildEnvelope } from '../src/envelope.js';
import {
  envelopeOf,
  groupByTopic,
  TARGET_SUBSCRIPTION_PROPERTY,
  toServiceBusMessage,
} from '../src/transports/servicebus/messages.js';

const ordered = buildEnvelope(
  'user_message_received',
  1,
  { userId: 'u1' },
  { source: 'message-service', key: 'u1', traceparent: '00-abc-def-01', correlationId: 'corr-1' },
);
const unordered = buildEnvelope('pack_images_updated', 1, { packId: 1 }, { source: 'image-service' });

describe('envelope ↔ Service Bus message', () => {
  it('maps an ordered event: messageId = id, sessionId = key, subject = type, JSON, trace context', () => {
    expect(toServiceBusMessage({ envelope: ordered })).toEqual({
      messageId: ordered.id,
      sessionId: 'u1',
      subject: 'user_message_received',
      contentType: 'application/json',
      correlationId: 'corr-1',
      body: ordered,
      applicationProperties: {
        type: 'user_message_received',
        v: 1,
        source: 'message-service',
        traceparent: '00-abc-def-01',
      },
    });
  });

  it('gives keyless ordered events their own session and unordered events none', () => {
    const keyless = buildEnvelope('user_message_received', 1, {}, { source: 'message-service' });
    expect(toServiceBusMessage({ envelope: keyless }).sessionId).toBe(keyless.id);
    expect(toServiceBusMessage({ envelope: unordered }).sessionId).toBeUndefined();
  });

  it('addresses a replay to one subscription under a message id of its own', () => {
    const message = toServiceBusMessage({ envelope: ordered, targetSubscription: 'image-service' }, () => 42);
    expect(message.messageId).toBe(`${ordered.id}:replay:image-service:42`);
    expect(message.applicationProperties?.[TARGET_SUBSCRIPTION_PROPERTY]).toBe('image-service');
    expect(message.body).toBe(ordered);
  });

  it('reads JSON bodies however they arrive', () => {
    expect(envelopeOf({ body: ordered })).toBe(ordered);
    expect(envelopeOf({ body: Buffer.from(JSON.stringify({ a: 1 })) })).toEqual({ a: 1 });
    expect(envelopeOf({ body: '{"b":2}' })).toEqual({ b: 2 });
    expect(envelopeOf({ body: 'not json' })).toBe('not json');
  });

  it('groups a publish by topic, keeping order within each', () => {
    const second = buildEnvelope('user_message_received', 1, {}, { source: 'message-service', key: 'u1' });
    const groups = groupByTopic([{ envelope: ordered }, { envelope: unordered }, { envelope: second }]);
    expect([...groups.keys()]).toEqual(['events-user_message_received', 'events-pack_images_updated']);
    expect(groups.get('events-user_message_received')?.map((e) => e.envelope.id)).toEqual([ordered.id, second.id]);
  });
});
