import { EVENT_TABLES, queryRows } from '@astria/db';
import { createTestDatabase, type TestDatabase } from '@astria/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEnvelope, catalog, createSubscriber, withExternalEffect } from '../src/index.js';

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

  it('records neighbouring external effects of a group with one set-based call, in key order, after one inbox pre-check', async () => {
    const effects: string[] = [];
    const calls: string[][] = [];
    const inboxReads: number[] = [];
    // Every effect waits until all five started, so they finish in one tick and reach the commit together.
    let started = 0;
    let release: () => void = () => {};
    const allStarted = new Promise<void>((resolve) => {
      release = resolve;
    });
    const consumer = createSubscriber({
      database,
      service: 'image-service',
      subscription: 'group-commit-effects',
      maxConcurrentTx: 1,
      maxBatch: 16,
      handlers: {
        user_message_received: withExternalEffect(
          async (e) => {
            effects.push(e.key as string);
            if (++started === 5) release();
            await allStarted;
            return e.data.text;
          },
          async (e, tx, text) => {
            calls.push([`${e.key}:${text}`]);
            await queryRows(tx, sql`select 1`);
          },
          async (tx, entries) => {
            calls.push(entries.map(({ event: e, result }) => `${e.key}:${result}`));
            const [row] = await queryRows<{ n: number }>(
              tx,
              sql`select count(*)::int as n from ${EVENT_TABLES['image-service'].inbox} where subscription = 'group-commit-effects'`,
            );
            inboxReads.push(row?.n ?? -1);
          },
        ),
      },
    });
    const events = ['w3', 'w1', 'w4', 'w0', 'w2'].map((user) => event(user, 'hi'));
    expect(await Promise.all(events.map((e) => consumer.deliver(e, 1)))).toEqual(Array(5).fill('handled'));
    expect(effects.sort()).toEqual(['w0', 'w1', 'w2', 'w3', 'w4']);
    // The first delivery to finish its effect had a transaction to itself; the four that waited were recorded
    // by one call, keys in order.
    expect(calls.map((c) => c.length)).toEqual([1, 4]);
    expect(calls[1]).toEqual([...(calls[1] as string[])].sort());
    expect(calls.flat().sort()).toEqual(['w0:hi', 'w1:hi', 'w2:hi', 'w3:hi', 'w4:hi']);
    // Each call ran inside the transaction that also wrote its inbox rows.
    expect(inboxReads).toEqual([1, 5]);
    // Redelivered together: the pre-check finds them all, no effect runs again.
    effects.length = 0;
    expect(await Promise.all(events.map((e) => consumer.deliver(e, 2)))).toEqual(Array(5).fill('duplicate'));
    expect(effects).toEqual([]);
  });

  it('acknowledges an event its handler would not act on without an inbox row or a call', async () => {
    const handled: string[] = [];
    const consumer = createSubscriber({
      database,
      service: 'image-service',
      subscription: 'group-commit-relevant',
      handlers: {
        user_message_received: async (e) => {
          handled.push(e.data.text as string);
        },
      },
      relevant: { user_message_received: (data) => data.text === 'photo' },
    });
    const chat = event('r1', 'just chatting');
    const photo = event('r1', 'photo');
    expect(await consumer.deliver(chat, 1)).toBe('handled');
    expect(await consumer.deliver(photo, 1)).toBe('handled');
    expect(handled).toEqual(['photo']);
    expect(await inboxOf('group-commit-relevant')).toEqual([photo.id]);
    // An invalid payload is still refused before the filter is asked.
    await expect(consumer.deliver({ ...chat, data: { userId: 'r1' } }, 1)).rejects.toThrow(/invalid_payload|messageId/);
  });
});
