import { createTestDatabase, type TestDatabase, waitFor } from '@astria/db/testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerLatencySeconds, createEventRuntime, MemoryTransport } from '../src/index.js';

describe('astria_event_broker_latency_seconds (publish → handled)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.destroy();
  });

  it('is measured from the envelope occurredAt, only for handled deliveries', () => {
    const base = { subscription: 's', type: 't', eventId: 'e', key: null, deliveryCount: 1, durationMs: 1 };
    const at = '2026-12-01T10:00:00.000Z';
    const now = Date.parse(at) + 1500;
    expect(brokerLatencySeconds({ ...base, outcome: 'handled', occurredAt: at }, now)).toBe(1.5);
    expect(brokerLatencySeconds({ ...base, outcome: 'retry', occurredAt: at }, now)).toBeNull();
    expect(brokerLatencySeconds({ ...base, outcome: 'handled' }, now)).toBeNull();
    expect(brokerLatencySeconds({ ...base, outcome: 'handled', occurredAt: 'garbage' }, now)).toBeNull();
    // a producer clock ahead of the consumer's never gives a negative latency
    expect(brokerLatencySeconds({ ...base, outcome: 'handled', occurredAt: at }, now - 5000)).toBe(0);
  });

  it("is observed on the consumer's registry per subscription and type", async () => {
    const transport = new MemoryTransport();
    const registry = new Registry();
    const producer = createEventRuntime({ database, service: 'message-service', transport });
    const consumer = createEventRuntime({ database, service: 'image-service', transport, registry });
    let handled = 0;
    consumer.consume({
      user_message_received: async () => {
        handled++;
      },
    });
    await transport.start();
    await consumer.start();
    await producer.start();
    await database.db.transaction(async (tx) => {
      for (const n of [1, 2]) {
        await producer.outbox.add(
          tx,
          'user_message_received',
          { userId: 'u1', messageId: `wamid.l${n}`, receivedAt: new Date().toISOString(), type: 'text', text: 'hi' },
          { key: 'u1' },
        );
      }
    });
    await waitFor(() => handled === 2, { what: 'both deliveries' });
    // A delivery is observed once its transaction committed, after its handler ran: wait for both.
    const latency = async () =>
      ((await registry.getSingleMetric('astria_event_broker_latency_seconds')?.get())?.values ?? []) as Array<{
        metricName?: string;
        value: number;
        labels: Record<string, unknown>;
      }>;
    const countOf = (values: Awaited<ReturnType<typeof latency>>) =>
      values.find(
        (v) =>
          v.metricName === 'astria_event_broker_latency_seconds_count' && v.labels.type === 'user_message_received',
      );
    await waitFor(async () => (countOf(await latency())?.value ?? 0) >= 2, { what: 'both deliveries observed' });
    const values = await latency();
    const count = countOf(values);
    expect(count?.value).toBe(2);
    expect(count?.labels.subscription).toBeTruthy();
    const sum = values.find((v) => v.metricName === 'astria_event_broker_latency_seconds_sum');
    expect(sum?.value).toBeGreaterThanOrEqual(0);
    expect(sum?.value).toBeLessThan(60);
    await producer.stop();
    await transport.stop();
    await consumer.close();
    await producer.close();
  });
});
