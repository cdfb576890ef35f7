import { createTestDatabase, type TestDatabase, waitFor } from '@astria/db/testing';
import { createEventRuntime, type EventRuntime } from '@astria/events';
import { ServiceBusTransport } from '@astria/events/servicebus';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AmqpTestPeer, declareCatalog, PEER_RETRY_OPTIONS } from '../src/amqp-peer/index.js';

async function rows(database: TestDatabase): Promise<Array<{ event_id: string; n: number }>> {
  const result = (await database.db.execute(sql`select event_id, n from public.fault_effects order by n`)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{
    event_id: string;
    n: number;
  }>;
}

describe('servicebus transport: faults', () => {
  let database: TestDatabase;
  let peer: AmqpTestPeer;
  let transport: ServiceBusTransport;
  let runtimes: EventRuntime[];

  beforeEach(async () => {
    database = await createTestDatabase();
    await database.db.execute(sql`create table public.fault_effects (event_id uuid primary key, key text, n int)`);
    peer = await AmqpTestPeer.start({ sessionWaitMs: 500 });
    declareCatalog(peer, { maxDeliveryCount: 10 });
    transport = new ServiceBusTransport({
      connectionString: peer.connectionString,
      retry: { baseMs: 20, maxMs: 200 },
      sessionIdleMs: 200,
      maxConcurrentSessions: 4,
      settleTimeoutMs: 1000,
      retryOptions: PEER_RETRY_OPTIONS,
    });
    runtimes = [];
  });

  afterEach(async () => {
    for (const r of runtimes) await r.stop();
    await transport.stop(2000);
    for (const r of runtimes) await r.close();
    await transport.close(2000);
    await peer.close();
    await database.destroy();
  });

  it('reconnects after the connection drops mid-stream: nothing lost, nothing handled twice', async () => {
    let handlerCalls = 0;
    const producer = createEventRuntime({
      database,
      service: 'message-service',
      transport,
      relay: { safetyPollMs: 200 },
    });
    const consumer = createEventRuntime({ database, service: 'image-service', transport, maxDeliveryCount: 10 });
    consumer.consume({
      user_message_received: async (event, tx) => {
        handlerCalls++;
        const n = Number(event.data.text?.split(' ')[1]);
        await tx.execute(
          sql`insert into public.fault_effects (event_id, key, n) values (${event.id}, ${event.key}, ${n})`,
        );
      },
    });
    runtimes.push(producer, consumer);
    await transport.start();
    await producer.start();
    await consumer.start();

    const total = 40;
    const publish = async (from: number, to: number) => {
      for (let n = from; n < to; n++) {
        await database.db.transaction(async (tx) => {
          await producer.outbox.add(
            tx,
            'user_message_received',
            {
              userId: `u${n % 5}`,
              messageId: `wamid.fault.${n}`,
              receivedAt: new Date().toISOString(),
              type: 'text',
              text: `message ${n}`,
            },
            { key: `u${n % 5}` },
          );
        });
      }
    };
    await publish(0, total / 2);
    await waitFor(async () => (await rows(database)).length >= 5, { what: 'the first deliveries' });
    expect(peer.dropConnections()).toBeGreaterThan(0);
    await publish(total / 2, total);
    const effects = await waitFor(
      async () => {
        const r = await rows(database);
        return r.length === total ? r : null;
      },
      { what: `all ${total} events after the reconnect`, timeoutMs: 20_000 },
    );
    expect(new Set(effects.map((e) => e.n)).size).toBe(total);
    expect(peer.stats.connections).toBeGreaterThan(1);
    // Every handler run that committed is one row: none ran to commit twice for the same event.
    expect(handlerCalls).toBeGreaterThanOrEqual(total);
    await waitFor(async () => peer.depth('events-user_message_received/Subscriptions/image-service') === 0, {
      what: 'the subscription to drain (every message completed)',
    });
  });
});
