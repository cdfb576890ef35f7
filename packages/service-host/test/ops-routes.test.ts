import { EVENT_TABLES } from '@astria/db';
import { createTestDatabase, type TestDatabase, waitFor } from '@astria/db/testing';
import { MemoryTransport } from '@astria/events';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestService, type TestService } from '../src/testing.js';

/** payment-service (the ping's producer) and message-service (its subscriber) on one broker and database. */
describe('operator endpoints: the ops_ping round trip and the dead-letter count', () => {
  let database: TestDatabase;
  let transport: MemoryTransport;
  let payment: TestService;
  let message: TestService;
  let registry: Registry;

  beforeAll(async () => {
    database = await createTestDatabase();
    transport = new MemoryTransport();
    registry = new Registry();
    const host = (service: 'payment-service' | 'message-service', registry: Registry) =>
      buildTestService({
        service,
        plugin: async () => {},
        options: {},
        database,
        sharedTransport: transport,
        registry,
        events: { relay: { safetyPollMs: 100 } },
      });
    payment = await host('payment-service', new Registry());
    message = await host('message-service', registry);
    await transport.start();
    await payment.startEvents();
    await message.startEvents();
  });
  afterAll(async () => {
    await payment?.close();
    await message?.close();
    await transport?.stop();
    await database?.destroy();
  });

  it('POST /ops/ping publishes through the outbox; GET /ops/ping/:id on the subscriber says when it was handled', async () => {
    const sent = await payment.app.inject({ method: 'POST', url: '/ops/ping', payload: { requestedBy: 'test' } });
    expect(sent.statusCode).toBe(202);
    const { id, occurredAt } = sent.json() as { id: string; occurredAt: string };
    const handled = await waitFor(
      async () => {
        const status = (await message.app.inject(`/ops/ping/${id}`)).json() as { handled: boolean; handledAt: string };
        return status.handled ? status : null;
      },
      { what: 'the ping handled by message-service' },
    );
    expect(Date.parse(handled.handledAt)).toBeGreaterThanOrEqual(Date.parse(occurredAt) - 1000);
    // The broker latency metric counts it like any other event.
    expect(await registry.getSingleMetricAsString('astria_event_broker_latency_seconds')).toMatch(
      /astria_event_broker_latency_seconds_count\{service="message-service",subscription="message-service",type="ops_ping"\} 1/,
    );
  });

  it('an unknown id is not handled; a malformed id is a 400; only the producer publishes and only subscribers answer', async () => {
    const unknown = await message.app.inject('/ops/ping/0190a5b2-0000-7000-8000-000000000000');
    expect(unknown.json()).toEqual({ id: '0190a5b2-0000-7000-8000-000000000000', handled: false, handledAt: null });
    expect((await message.app.inject('/ops/ping/not-an-id')).statusCode).toBe(400);
    // A body-less POST works too (what `pnpm validate` sends is optional).
    const bare = await payment.app.inject({ method: 'POST', url: '/ops/ping' });
    expect(bare.statusCode, bare.body).toBe(202);
    expect((await message.app.inject({ method: 'POST', url: '/ops/ping' })).statusCode).toBe(404);
    expect((await payment.app.inject('/ops/ping/0190a5b2-0000-7000-8000-000000000000')).statusCode).toBe(404);
  });

  it('GET /ops/dead-letters counts the unreplayed dead letters of the service (the database store on this transport)', async () => {
    expect((await message.app.inject('/ops/dead-letters')).json()).toEqual({
      service: 'message-service',
      deadLetters: 0,
      store: 'database',
    });
    const { deadLetters } = EVENT_TABLES['message-service'];
    const row = (eventId: string) => ({
      subscription: 'message-service',
      eventId,
      type: 'image_processed',
      envelope: {},
      reason: 'invalid_payload',
      deliveryCount: 1,
    });
    await database.db
      .insert(deadLetters)
      .values([
        row('0190a5b2-0000-7000-8000-000000000001'),
        { ...row('0190a5b2-0000-7000-8000-000000000002'), replayedAt: new Date() },
      ]);
    expect((await message.app.inject('/ops/dead-letters')).json()).toMatchObject({ deadLetters: 1 });
    expect((await payment.app.inject('/ops/dead-letters')).json()).toMatchObject({ deadLetters: 0 });
  });
});
