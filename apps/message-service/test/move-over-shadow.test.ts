import { queryRows } from '@astria/db';
import { type TestDatabase, waitFor } from '@astria/db/testing';
import { buildEnvelope, catalog } from '@astria/events';
import { formatShadowReport, shadowReport } from '@astria/rollout';
import type { FakeOldApp } from '@astria/rollout/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, type OldAppHarness, startWithOldApp } from './harness.js';

const ALICE = '15551230001';
const BOB = '15551230002';

/**
 * The shadow stage (issue #13): the old app gets every notification and answers; this system runs the
 * same conversations with their effects kept back (recorded, never sent), and shadow-report compares
 * the states. PGlite, or PostgreSQL with DATABASE_URL.
 */
describe(`move-over: the shadow stage (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let started: OldAppHarness;
  let h: Harness;
  let oldDb: TestDatabase;
  let oldApp: FakeOldApp;

  beforeAll(async () => {
    started = await startWithOldApp();
    ({ h, oldDb, oldApp } = started);
  });
  afterAll(async () => {
    await started?.close();
  });

  const suppressed = async (userId: string) =>
    queryRows<{ type: string }>(
      h.database.db,
      sql`select type from rollout.suppressed_effects where user_id = ${userId} order by id`,
    );

  it('forwards every message to the old app, runs it here too, and sends nothing itself', async () => {
    expect((await h.app.rolloutStage.current()).stage).toBe('shadow');
    const first = await h.sim.sendText(ALICE, 'hello');
    await h.sim.sendText(ALICE, 'hello', { wamid: first.wamid }); // Meta's retry
    await h.sim.sendText(BOB, 'hi');
    await waitFor(() => oldApp.replies.length >= 2, { timeoutMs: 10_000, what: 'the old app to answer' });
    await h.quiesce();
    expect(oldApp.replies.map((r) => r.to).sort()).toEqual([ALICE, BOB]);
    expect(h.sim.sent).toHaveLength(0);
    const conversations = await queryRows<{ user_id: string }>(
      h.database.db,
      sql`select user_id from messaging.conversations order by user_id`,
    );
    expect(conversations.map((c) => c.user_id)).toEqual([ALICE, BOB]);
    const kept = await suppressed(ALICE);
    expect(kept.length).toBeGreaterThan(0);
    expect(new Set(kept.map((k) => k.type))).toEqual(new Set(['whatsapp_send_requested']));
    expect(
      (
        await queryRows<{ n: number }>(
          h.database.db,
          sql`select count(*)::int as n from messaging.outbox where type = 'whatsapp_send_requested'`,
        )
      )[0]?.n,
    ).toBe(0);
  });

  it('applies a payment in its own tables only: the reply is kept back', async () => {
    const type = 'payment_received' as const;
    const before = (await suppressed(BOB)).length;
    await h.transport.publish([
      {
        envelope: buildEnvelope(
          type,
          catalog[type].version,
          {
            provider: 'sumit',
            paymentId: 'shadow-pay-1',
            userId: BOB,
            tier: 'standard',
            amount: 79,
            currency: 'ILS',
            name: 'Bob',
          },
          { source: catalog[type].producer, key: BOB },
        ),
      },
    ]);
    await h.quiesce();
    expect((await suppressed(BOB)).length).toBeGreaterThan(before);
    expect(h.sim.sent).toHaveLength(0);
    const [row] = await queryRows<{ data: unknown }>(
      h.database.db,
      sql`select data from messaging.conversations where user_id = ${BOB}`,
    );
    const data = (typeof row?.data === 'string' ? JSON.parse(row.data) : row?.data) as { paymentsSeen: string[] };
    expect(data.paymentsSeen).toContain('shadow-pay-1');
  });

  it('shadow-report compares each user with the old app and prints the divergences with their count', async () => {
    // The fake old app never took Bob's payment (it went to this system in this test): a divergence.
    const report = await shadowReport(h.database.db, oldDb.db);
    expect(report.users).toBe(2);
    expect(report.divergences.map((d) => d.userId)).toEqual([BOB]);
    expect(report.divergences[0]?.fields).toEqual({ credits: [true, false] });
    expect(report.suppressed.whatsapp_send_requested).toBeGreaterThan(0);
    const lines = formatShadowReport(report);
    expect(lines[0]).toBe('users compared 2: matching 1, divergent 1');
    expect(lines.at(-1)).toBe('divergences: 1');
    expect(lines.join('\n')).toMatch(/…0002: credits new=true old=false; would have replied \d+×/);
  });
});
