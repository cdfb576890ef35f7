import { createTestDatabase, type TestDatabase, waitFor } from '@astria/db/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createOutbox,
  OutboxRelay,
  type OutgoingEvent,
  pendingEvent,
  type Subscriber,
  type Transport,
} from '../src/index.js';

/** A transport that records what it is given: the relay's contract is what reaches `publish`. */
class RecordingTransport implements Transport {
  readonly name = 'recording';
  readonly published: string[] = [];
  failuresLeft = 0;
  async publish(events: readonly OutgoingEvent[]): Promise<void> {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('broker unavailable');
    }
    for (const e of events) this.published.push(e.envelope.id);
  }
  async subscribe(_subscriber: Subscriber): Promise<void> {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  async health() {
    return { ok: true };
  }
}

describe('outbox relay', () => {
  let database: TestDatabase;
  const relays: OutboxRelay[] = [];
  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    for (const r of relays.splice(0)) await r.close();
    await database.destroy();
  });

  async function commit(count: number) {
    const outbox = createOutbox('message-service');
    const ids: string[] = [];
    for (let i = 0; i < count; i += 50) {
      await database.db.transaction(async (tx) => {
        for (let n = i; n < Math.min(count, i + 50); n++) {
          const e = await outbox.add(
            tx,
            'user_message_received',
            {
              userId: `u${n % 7}`,
              messageId: `wamid.${n}`,
              receivedAt: new Date().toISOString(),
              type: 'text',
              text: 'x',
            },
            { key: `u${n % 7}` },
          );
          ids.push(e.id);
        }
      });
    }
    return ids;
  }

  it('several relays on one outbox publish every row exactly once, in order', async () => {
    const transport = new RecordingTransport();
    for (let i = 0; i < 3; i++) {
      const relay = new OutboxRelay({
        database,
        service: 'message-service',
        transport,
        batchSize: 17,
        safetyPollMs: 50,
      });
      relays.push(relay);
      await relay.start();
    }
    const ids = await commit(400);
    await waitFor(() => transport.published.length >= 400, { what: '400 publishes', timeoutMs: 15_000 });
    for (const r of relays) await r.stop();
    expect(transport.published).toHaveLength(400);
    expect(new Set(transport.published).size).toBe(400);
    if (database.driver === 'pglite') expect(transport.published).toEqual(ids);
  });

  it('is woken by the commit itself, not by the safety poll', async () => {
    const transport = new RecordingTransport();
    const relay = new OutboxRelay({ database, service: 'message-service', transport, safetyPollMs: 60_000 });
    relays.push(relay);
    await relay.start();
    const started = Date.now();
    await commit(1);
    await waitFor(() => transport.published.length === 1, { what: 'the NOTIFY-woken publish', timeoutMs: 5000 });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('leaves rows pending when publishing fails, and publishes them later', async () => {
    const transport = new RecordingTransport();
    transport.failuresLeft = 1;
    const relay = new OutboxRelay({ database, service: 'message-service', transport, safetyPollMs: 100 });
    relays.push(relay);
    await relay.start();
    await commit(3);
    await waitFor(() => transport.published.length === 3, { what: 'the retried publish', timeoutMs: 10_000 });
  });
});

describe('outbox.addMany', () => {
  it('writes several events in one statement, in order, and publishes them once committed', async () => {
    const database = await createTestDatabase();
    try {
      const transport = new RecordingTransport();
      const relay = new OutboxRelay({ database, service: 'message-service', transport, safetyPollMs: 60_000 });
      await relay.start();
      const outbox = createOutbox('message-service');
      const envelopes = await database.db.transaction((tx) =>
        outbox.addMany(
          tx,
          Array.from({ length: 12 }, (_, n) =>
            pendingEvent(
              'whatsapp_send_requested',
              { to: 'u1', message: { kind: 'text', body: `reply ${n}` } },
              { key: n % 2 ? 'u1' : null },
            ),
          ),
        ),
      );
      await waitFor(() => transport.published.length === 12, { what: 'the 12 events' });
      expect(transport.published).toEqual(envelopes.map((e) => e.id));
      await expect(
        database.db.transaction((tx) =>
          outbox.addMany(tx, [
            pendingEvent('whatsapp_send_requested', { to: 'u1', message: { kind: 'text', body: '' } }, {}),
          ]),
        ),
      ).rejects.toThrow(/Invalid whatsapp_send_requested payload/);
      await relay.close();
    } finally {
      await database.destroy();
    }
  });
});
