import { EVENT_TABLES, queryRows } from '@astria/db';
import { createTestDatabase, type TestDatabase } from '@astria/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEnvelope, catalog, createSubscriber } from '../src/index.js';

function event(user: string, text: string) {
  return buildEnvelope(
    'user_message_received',
    catalog.user_message_received.version,
    { userId: user, messageId: `wamid.${user}.${text}`, receivedAt: new Date().toISOString(), type: 'text', text },
    { source: 'message-service', key: user },
  );
}

describe('inbox group commit', () => {
  let database: TestDatabase;
  /** The transaction each handled event's effect was written in. */
  const txOf = new Map<string, string>();
  let subscriptions = 0;
  const subscriber = () =>
    createSubscriber({
      database,
      service: 'image-service',
      subscription: `group-commit-${++subscriptions}`,
      // One transaction at a time: every delivery arriving meanwhile joins the next group.
      maxConcurrentTx: 1,
      maxBatch: 16,
      handlers: {
        user_message_received: async (e, tx) => {
          if (e.data.text === 'boom') throw new Error('handler failed');
          const [row] = await queryRows<{ txid: string }>(tx, sql`select txid_current()::text as txid`);
          txOf.set(e.id, row?.txid as string);
        },
      },
    });
  const inboxOf = async (subscription: string) =>
    (
      await queryRows<{ event_id: string }>(
        database.db,
        sql`select event_id::text from ${EVENT_TABLES['image-service'].inbox} where subscription = ${subscription} order by event_id`,
      )
    ).map((r) => r.event_id);

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.destroy();
  });

  it('commits concurrent deliveries of different keys together, each exactly once', async () => {
    const consumer = subscriber();
    const events = Array.from({ length: 8 }, (_, i) => event(`u${i}`, 'hi'));
    // Delivered in one tick: the first gets a transaction at once, the other seven share the next.
    const outcomes = await Promise.all(events.map((e) => consumer.deliver(e, 1)));
    expect(outcomes).toEqual(Array(8).fill('handled'));
    expect(new Set(events.map((e) => txOf.get(e.id))).size).toBe(2);
    expect(await inboxOf(consumer.subscription)).toEqual(events.map((e) => e.id).sort());
    // Redelivered (together again): no second effect.
    txOf.clear();
    expect(await Promise.all(events.map((e) => consumer.deliver(e, 2)))).toEqual(Array(8).fill('duplicate'));
    expect(txOf.size).toBe(0);
  });

  it('a failing handler fails its own delivery only; the others of its group commit', async () => {
    const consumer = subscriber();
    const good = Array.from({ length: 4 }, (_, i) => event(`v${i}`, 'hi'));
    const bad = event('v9', 'boom');
    const outcomes = await Promise.allSettled([event('v8', 'first'), ...good, bad].map((e) => consumer.deliver(e, 1)));
    expect(outcomes.map((o) => o.status)).toEqual([...Array(5).fill('fulfilled'), 'rejected']);
    expect(await inboxOf(consumer.subscription)).not.toContain(bad.id);
    expect(await inboxOf(consumer.subscription)).toEqual(expect.arrayContaining(good.map((e) => e.id)));
  });
});
