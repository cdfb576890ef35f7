import type { AppTransaction } from '@astria/db';
import { createTestDatabase, type TestDatabase, waitFor } from '@astria/db/testing';
import type { EventData, EventInput, ServiceName, Transport } from '@astria/events';
import {
  buildEnvelope,
  createEventRuntime,
  type EventEnvelope,
  type EventHandlers,
  type EventRuntime,
  topicName,
  withExternalEffect,
} from '@astria/events';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface ContractDeadLetter {
  eventId: string;
  reason: string;
  lastError?: string | null;
}

/** What a transport under test provides to the contract suite. */
export interface ContractHarness {
  transport: Transport;
  /** Dead letters of one subscription, wherever this transport keeps them. */
  deadLetters(subscription: string): Promise<ContractDeadLetter[]>;
  /** Sends a dead letter back to its subscription (the CLI's replay). */
  replay(subscription: string, eventId: string): Promise<void>;
  close(): Promise<void>;
}

export interface ContractSettings {
  maxDeliveryCount: number;
  retryBaseMs: number;
}

export type HarnessFactory = (database: TestDatabase, settings: ContractSettings) => Promise<ContractHarness>;

const SETTINGS: ContractSettings = { maxDeliveryCount: 3, retryBaseMs: 10 };

function messageInput(userId: string, n: number): EventInput<'user_message_received'> {
  return {
    userId,
    messageId: `wamid.contract.${userId}.${n}`,
    receivedAt: new Date().toISOString(),
    type: 'text',
    text: `message ${n}`,
  };
}

/**
 * The delivery contract every transport must pass (see docs/events.md): fan-out, per-key order,
 * retries, dead letters with reason and error, replay, idempotent redelivery, payload validation.
 * It drives the real path: outbox in a transaction → relay → transport → inbox + handler.
 */
export function describeTransportContract(name: string, createHarness: HarnessFactory): void {
  describe(`transport contract: ${name}`, () => {
    let database: TestDatabase;
    let harness: ContractHarness;
    let runtimes: EventRuntime[];

    beforeEach(async () => {
      database = await createTestDatabase();
      await database.db.execute(
        sql`create table public.contract_effects (subscription text not null, event_id uuid not null, key text, n int, at timestamptz default clock_timestamp())`,
      );
      harness = await createHarness(database, SETTINGS);
      runtimes = [];
    });

    afterEach(async () => {
      for (const r of runtimes) await r.stop();
      await harness.transport.stop(2000);
      for (const r of runtimes) await r.close();
      await harness.close();
      await database.destroy();
    });

    async function runtime(
      service: ServiceName,
      consumers: Array<{ handlers: EventHandlers; subscription?: string }> = [],
    ) {
      const r = createEventRuntime({
        database,
        service,
        transport: harness.transport,
        maxDeliveryCount: SETTINGS.maxDeliveryCount,
        relay: { safetyPollMs: 200 },
      });
      for (const c of consumers) r.consume(c.handlers, c.subscription ? { subscription: c.subscription } : undefined);
      runtimes.push(r);
      return r;
    }

    async function startAll() {
      await harness.transport.start();
      for (const r of runtimes) await r.start();
    }

    async function publishMessages(producer: EventRuntime, items: Array<{ userId: string; n: number }>) {
      const envelopes: EventEnvelope[] = [];
      for (const item of items) {
        await database.db.transaction(async (tx) => {
          envelopes.push(
            await producer.outbox.add(tx, 'user_message_received', messageInput(item.userId, item.n), {
              key: item.userId,
            }),
          );
        });
      }
      return envelopes;
    }

    const recordEffect =
      (subscription: string) =>
      async (event: EventEnvelope<'user_message_received', EventData<'user_message_received'>>, tx: AppTransaction) => {
        const n = Number(event.data.text?.split(' ')[1]);
        await tx.execute(
          sql`insert into public.contract_effects (subscription, event_id, key, n) values (${subscription}, ${event.id}, ${event.key}, ${n})`,
        );
      };

    async function effects(subscription: string) {
      const result = (await database.db.execute(
        sql`select event_id, key, n from public.contract_effects where subscription = ${subscription} order by at, n`,
      )) as unknown;
      const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{
        event_id: string;
        key: string;
        n: number;
      }>;
      return rows;
    }

    it('delivers each committed event once, validated and typed', async () => {
      const producer = await runtime('message-service');
      await runtime('image-service', [{ handlers: { user_message_received: recordEffect('image-service') } }]);
      await startAll();
      const sent = await publishMessages(
        producer,
        [1, 2, 3].map((n) => ({ userId: 'u1', n })),
      );
      const rows = await waitFor(
        async () => ((await effects('image-service')).length === 3 ? effects('image-service') : null),
        {
          what: 'three deliveries',
        },
      );
      expect(rows.map((r) => r.event_id)).toEqual(sent.map((e) => e.id));
    });

    it('does not publish events of a rolled-back transaction', async () => {
      const producer = await runtime('message-service');
      await runtime('image-service', [{ handlers: { user_message_received: recordEffect('image-service') } }]);
      await startAll();
      await expect(
        database.db.transaction(async (tx) => {
          await producer.outbox.add(tx, 'user_message_received', messageInput('u1', 1), { key: 'u1' });
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      await publishMessages(producer, [{ userId: 'u1', n: 2 }]);
      await waitFor(async () => (await effects('image-service')).length === 1, { what: 'the committed event' });
      expect((await effects('image-service')).map((r) => r.n)).toEqual([2]);
    });

    it('fans out to every subscription of a type', async () => {
      const producer = await runtime('message-service');
      await runtime('image-service', [
        { handlers: { user_message_received: recordEffect('image-service') } },
        {
          handlers: { user_message_received: recordEffect('image-service-audit') },
          subscription: 'image-service-audit',
        },
      ]);
      await startAll();
      await publishMessages(
        producer,
        [1, 2].map((n) => ({ userId: 'u1', n })),
      );
      await waitFor(
        async () =>
          (await effects('image-service')).length === 2 && (await effects('image-service-audit')).length === 2,
        {
          what: 'both subscriptions',
        },
      );
    });

    it('keeps publish order per key and never runs one key concurrently', async () => {
      const producer = await runtime('message-service');
      const active = new Map<string, number>();
      let overlap = 0;
      const record = recordEffect('image-service');
      await runtime('image-service', [
        {
          handlers: {
            user_message_received: async (event, tx) => {
              const key = event.key as string;
              active.set(key, (active.get(key) ?? 0) + 1);
              if ((active.get(key) ?? 0) > 1) overlap++;
              await new Promise((r) => setImmediate(r));
              await record(event, tx);
              active.set(key, (active.get(key) ?? 1) - 1);
            },
          },
        },
      ]);
      await startAll();
      const items = [];
      for (let n = 0; n < 60; n++) items.push({ userId: `k${n % 4}`, n });
      await publishMessages(producer, items);
      const rows = await waitFor(
        async () => ((await effects('image-service')).length === 60 ? effects('image-service') : null),
        {
          what: '60 deliveries',
          timeoutMs: 15_000,
        },
      );
      for (const key of ['k0', 'k1', 'k2', 'k3']) {
        const ns = rows.filter((r) => r.key === key).map((r) => r.n);
        expect(ns).toEqual([...ns].sort((a, b) => a - b));
        expect(ns).toHaveLength(15);
      }
      expect(overlap).toBe(0);
    });

    it('retries a failing handler with backoff, then applies it once', async () => {
      const producer = await runtime('message-service');
      let calls = 0;
      const record = recordEffect('image-service');
      await runtime('image-service', [
        {
          handlers: {
            user_message_received: async (event, tx) => {
              calls++;
              await record(event, tx);
              if (calls < 3) throw new Error(`transient failure ${calls}`);
            },
          },
        },
      ]);
      await startAll();
      await publishMessages(producer, [{ userId: 'u1', n: 1 }]);
      await waitFor(async () => (await effects('image-service')).length === 1, { what: 'the third attempt' });
      expect(calls).toBe(3);
    });

    it('dead-letters after maxDeliveryCount with reason and last error, and goes on with the key', async () => {
      const producer = await runtime('message-service');
      const record = recordEffect('image-service');
      let fail = true;
      await runtime('image-service', [
        {
          handlers: {
            user_message_received: async (event, tx) => {
              if (event.data.text === 'message 1' && fail) throw new Error('handler is broken');
              await record(event, tx);
            },
          },
        },
      ]);
      await startAll();
      const [poison] = await publishMessages(
        producer,
        [1, 2].map((n) => ({ userId: 'u1', n })),
      );
      const letters = await waitFor(
        async () => {
          const l = await harness.deadLetters('image-service');
          return l.length === 1 ? l : null;
        },
        { what: 'a dead letter' },
      );
      expect(letters[0]).toMatchObject({ eventId: poison?.id, reason: 'max_delivery_count_exceeded' });
      expect(letters[0]?.lastError).toContain('handler is broken');
      await waitFor(async () => (await effects('image-service')).length === 1, { what: 'the next event of the key' });

      fail = false;
      await harness.replay('image-service', poison?.id as string);
      await waitFor(async () => (await effects('image-service')).length === 2, { what: 'the replayed event' });
      expect((await effects('image-service')).map((r) => r.n).sort()).toEqual([1, 2]);
    });

    it('has no second effect when an event is delivered again', async () => {
      await runtime('image-service', [{ handlers: { user_message_received: recordEffect('image-service') } }]);
      await startAll();
      const envelope = buildEnvelope('user_message_received', 1, messageInput('u1', 1), {
        source: 'message-service',
        key: 'u1',
      });
      await harness.transport.publish([{ envelope }]);
      await harness.transport.publish([{ envelope }]);
      await Promise.all([harness.transport.publish([{ envelope }]), harness.transport.publish([{ envelope }])]);
      await waitFor(async () => (await effects('image-service')).length >= 1, { what: 'the delivery' });
      // The last publish resolves only after its delivery settled (or was accepted by a broker): give
      // redeliveries the time of one more round trip through the producer path to show up.
      const producer = await runtime('message-service');
      await producer.start();
      await publishMessages(producer, [{ userId: 'u1', n: 2 }]);
      await waitFor(async () => (await effects('image-service')).some((r) => r.n === 2), {
        what: 'a later event of the key',
      });
      expect((await effects('image-service')).filter((r) => r.n === 1)).toHaveLength(1);
    });

    it('runs an external effect outside the transaction, once per event, retrying when it fails', async () => {
      const producer = await runtime('message-service');
      const calls: number[] = [];
      let failures = 1;
      const record = recordEffect('image-service');
      await runtime('image-service', [
        {
          handlers: {
            user_message_received: withExternalEffect(
              async (event) => {
                calls.push(Number(event.data.text?.split(' ')[1]));
                if (failures-- > 0) throw new Error('provider timeout');
                return 'sent';
              },
              async (event, tx, result) => {
                expect(result).toBe('sent');
                await record(event, tx);
              },
            ),
          },
        },
      ]);
      await startAll();
      const [first] = await publishMessages(
        producer,
        [1, 2].map((n) => ({ userId: 'u1', n })),
      );
      await waitFor(async () => (await effects('image-service')).length === 2, { what: 'both effects' });
      expect(calls).toEqual([1, 1, 2]);
      await harness.transport.publish([{ envelope: first as EventEnvelope }]);
      await publishMessages(producer, [{ userId: 'u1', n: 3 }]);
      await waitFor(async () => (await effects('image-service')).length === 3, { what: 'the third effect' });
      expect(calls).toEqual([1, 1, 2, 3]);
    });

    it('dead-letters an invalid payload at once, without retrying', async () => {
      let calls = 0;
      await runtime('image-service', [
        {
          handlers: {
            user_message_received: async () => {
              calls++;
            },
          },
        },
      ]);
      await startAll();
      const envelope = buildEnvelope(
        'user_message_received',
        1,
        { userId: 'u1', type: 'not-a-type' },
        {
          source: 'message-service',
          key: 'u1',
        },
      );
      await harness.transport.publish([{ envelope }]);
      const letters = await waitFor(
        async () => {
          const l = await harness.deadLetters('image-service');
          return l.length === 1 ? l : null;
        },
        { what: 'a dead letter' },
      );
      expect(letters[0]?.reason).toBe('invalid_payload');
      expect(letters[0]?.lastError).toMatch(/messageId|type/);
      expect(calls).toBe(0);
      // A broker with its own dead-letter store counts them too (GET /ops/dead-letters, pnpm validate).
      if (harness.transport.countDeadLetters) {
        const entity = { topic: topicName('user_message_received'), subscription: 'image-service' };
        expect(await harness.transport.countDeadLetters([entity])).toBe(1);
      }
    });

    it('dead-letters an event of a newer version it does not understand', async () => {
      await runtime('image-service', [{ handlers: { user_message_received: recordEffect('image-service') } }]);
      await startAll();
      const envelope = buildEnvelope('user_message_received', 2, messageInput('u1', 1), {
        source: 'message-service',
        key: 'u1',
      });
      await harness.transport.publish([{ envelope }]);
      const letters = await waitFor(
        async () => {
          const l = await harness.deadLetters('image-service');
          return l.length === 1 ? l : null;
        },
        { what: 'a dead letter' },
      );
      expect(letters[0]?.reason).toBe('unsupported_version');
    });

    it('refuses to publish a payload that breaks its schema', async () => {
      const producer = await runtime('message-service');
      await startAll();
      await expect(
        database.db.transaction(async (tx) => {
          await producer.outbox.add(
            tx,
            'whatsapp_send_requested',
            {
              to: 'u1',
              message: {
                kind: 'buttons',
                body: 'Pick one',
                buttons: [1, 2, 3, 4].map((n) => ({ id: `b:${n}`, title: `B${n}` })),
              },
            },
            { key: 'u1' },
          );
        }),
      ).rejects.toThrow(/Invalid whatsapp_send_requested payload: message.buttons/);
    });
  });
}
