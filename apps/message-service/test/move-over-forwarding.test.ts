import { queryRows } from '@astria/db';
import { type TestDatabase, waitFor } from '@astria/db/testing';
import { buildEnvelope, catalog } from '@astria/events';
import { setStage } from '@astria/rollout';
import type { FakeOldApp } from '@astria/rollout/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, type OldAppHarness, startWithOldApp } from './harness.js';

const OLD = '972501110001';
const NEW = '972501110002';
const DOWN_FOR_GOOD = '972501110003';

/**
 * The move-over's forwarding (issue #13) through the real webhook, outbox and consumer: the old
 * app's part of each notification is committed with the de-dup record and posted re-signed to the
 * fake old app, which is down for a while. PGlite, or PostgreSQL with DATABASE_URL.
 */
describe(`move-over: forwarding to the old app through the outbox (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let started: OldAppHarness;
  let h: Harness;
  let oldDb: TestDatabase;
  let oldApp: FakeOldApp;

  beforeAll(async () => {
    started = await startWithOldApp({ ROLLOUT_STAGE_TTL_MS: '20' });
    ({ h, oldDb, oldApp } = started);
    await setStage(h.database.db, { stage: 'canary', percent: 0, allow: [NEW], deny: [] }, 'test');
    await waitFor(async () => (await h.app.rolloutStage.current()).stage === 'canary', {
      timeoutMs: 5000,
      what: 'the canary stage',
    });
  });
  afterAll(async () => {
    await started?.close();
  });

  const count = async (query: ReturnType<typeof sql>) => (await queryRows<{ n: number }>(h.database.db, query))[0]?.n;

  it('retries while the old app is down and delivers each forward once when it is back; Meta retries are not forwarded again', async () => {
    oldApp.setDown(true);
    const first = await h.sim.sendText(OLD, 'hello');
    expect(first.status).toBe(200);
    expect((await h.sim.sendText(OLD, 'hello', { wamid: first.wamid })).status).toBe(200); // Meta's retry
    expect((await h.sim.sendText(OLD, 'second')).status).toBe(200);
    expect((await h.sim.sendText(NEW, 'hi')).status).toBe(200);
    // The new system answers its own user while the old app is down.
    await waitFor(() => h.sim.sent.some((m) => m.to === NEW), { timeoutMs: 10_000, what: 'a reply to the new user' });
    await waitFor(() => oldApp.received.filter((r) => r.status === 503).length >= 4, {
      timeoutMs: 10_000,
      what: 'forwards retried against the down old app',
    });
    oldApp.setDown(false);
    await waitFor(() => oldApp.replies.filter((r) => r.to === OLD).length >= 2, {
      timeoutMs: 10_000,
      what: 'the old app to answer both messages',
    });
    await h.quiesce();
    expect(oldApp.replies.filter((r) => r.to === OLD).map((r) => r.inReplyTo)).toHaveLength(2);
    expect(
      await count(sql`select count(*)::int as n from messaging.outbox where type = 'whatsapp_forward_requested'`),
    ).toBe(2);
    // Re-signed: every forward carried a signature; the old app's user was never answered by this system.
    expect(oldApp.received.filter((r) => r.path === '/whatsapp').every((r) => r.signature?.startsWith('sha256='))).toBe(
      true,
    );
    expect(h.sim.sent.filter((m) => m.to === OLD)).toHaveLength(0);
    expect(oldApp.replies.filter((r) => r.to === NEW)).toHaveLength(0);
    expect(await count(sql`select count(*)::int as n from messaging.conversations where user_id = ${OLD}`)).toBe(0);
    // The forwarded messages have their de-dup record: a retry after a move is not answered again.
    expect(await count(sql`select count(*)::int as n from messaging.inbound_messages where user_id = ${OLD}`)).toBe(2);
  });

  it('dead-letters a forward after its budget (kept for replay, not lost)', async () => {
    await setStage(h.database.db, { deny: [DOWN_FOR_GOOD] }, 'test');
    await waitFor(async () => (await h.app.rolloutStage.current()).deny.includes(DOWN_FOR_GOOD), {
      timeoutMs: 5000,
      what: 'the deny list',
    });
    oldApp.setDown(true);
    try {
      await h.sim.sendText(DOWN_FOR_GOOD, 'anyone there?');
      await waitFor(
        async () =>
          (await count(
            sql`select count(*)::int as n from messaging.dead_letters where type = 'whatsapp_forward_requested'`,
          )) === 1,
        { timeoutMs: 20_000, what: 'the forward dead-lettered' },
      );
    } finally {
      oldApp.setDown(false);
    }
  });

  it('posts a SUMIT payment forward (from payment-service) to the old app once, however often it is delivered', async () => {
    const type = 'sumit_forward_requested' as const;
    const envelope = buildEnvelope(
      type,
      catalog[type].version,
      { paymentId: 'sumit-77', userId: OLD, body: JSON.stringify({ id: 'sumit-77', phone: OLD }) },
      { source: catalog[type].producer, key: OLD },
    );
    oldApp.setDown(true);
    const delivered = h.transport.publish([{ envelope }, { envelope }]);
    await waitFor(() => oldApp.received.some((r) => r.path === '/payment-received' && r.status === 503), {
      timeoutMs: 5000,
      what: 'a refused payment forward',
    });
    oldApp.setDown(false);
    await delivered;
    const payments = await queryRows<{ id: string }>(oldDb.db, sql`select id from payments where id = 'sumit-77'`);
    expect(payments).toHaveLength(1);
    expect(oldApp.received.filter((r) => r.path === '/payment-received' && r.status === 200)).toHaveLength(1);
  });
});
