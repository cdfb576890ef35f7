import { loadConfig, messageServiceConfigSchema, paymentServiceConfigSchema } from '@astria/config';
import { type Database, queryRows } from '@astria/db';
import { createTestDatabase, type TestDatabase, waitFor } from '@astria/db/testing';
import { createEventRuntime, MemoryTransport } from '@astria/events';
import { messageServiceApp } from '@astria/message-service';
import { paymentServiceApp } from '@astria/payment-service';
import { migrateToMonolith, readStage, type StageChange, setStage } from '@astria/rollout';
import { type FakeOldApp, startFakeOldApp } from '@astria/rollout/testing';
import { createService } from '@astria/service-host';
import { startWhatsAppSimulator, type WhatsAppSimulator } from '@astria/simulators/whatsapp';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const NUMBER_ID = '100000000000077';
const APP_SECRET = 'move-over-app-secret';
const SUMIT_TOKEN = 'move-over-sumit-token';
const USERS = Array.from({ length: 50 }, (_, i) => `1555${String(3000000 + i)}`);

/** The walk of issue #13: each step is switched while the previous one's traffic is in flight. */
const STEPS: Array<{ name: string; change: StageChange }> = [
  { name: 'shadow', change: { stage: 'shadow' } },
  { name: 'canary 10 %', change: { stage: 'canary', percent: 10 } },
  { name: 'canary 50 %', change: { stage: 'canary', percent: 50 } },
  { name: 'full', change: { stage: 'full' } },
  { name: 'fallback', change: { stage: 'fallback' } },
  { name: 'full again', change: { stage: 'full' } },
];

type Service = { app: FastifyInstance; close(): Promise<void> };

async function startService(
  service: 'message-service' | 'payment-service',
  database: Database,
  transport: MemoryTransport,
  options: Record<string, unknown>,
): Promise<Service> {
  const registry = new Registry();
  const events = createEventRuntime({ database, service, transport, registry, relay: { safetyPollMs: 100 } });
  const app = await createService(
    {
      service,
      config: options.config as never,
      database,
      transport,
      events,
      registry,
      logger: process.env.E2E_LOG === '1',
      ownsDatabase: false,
    },
    (service === 'message-service' ? messageServiceApp : paymentServiceApp) as unknown as FastifyPluginAsync<
      Record<string, unknown>
    >,
    options,
  );
  await app.ready();
  return {
    app,
    async start() {
      await events.start();
    },
    close: () => app.close(),
  } as Service & { start(): Promise<void> };
}

/**
 * (E2E_LOG=1 shows both services' error logs.)
 *
 * End to end through both services, the fake old app and the WhatsApp simulator: 50 users walk
 * shadow → 10 % → 50 % → 100 % → fallback (with the export) → 100 %, each stage switched while messages
 * and SUMIT payments are in flight. Every inbound message is answered exactly once by exactly one
 * system, every payment applied exactly once, and no credit is lost across a switch (fallback export included).
 */
describe(`move-over: the stage walk with 50 users (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDatabase;
  let oldDb: TestDatabase;
  let oldApp: FakeOldApp;
  let sim: WhatsAppSimulator;
  let transport: MemoryTransport;
  let message: Service & { start(): Promise<void> };
  let payment: Service & { start(): Promise<void> };
  /** wamid → how often this system marked it read (its answer to that message). */
  const answeredHere = new Map<string, number>();

  beforeAll(async () => {
    [db, oldDb] = await Promise.all([createTestDatabase(), createTestDatabase({ migrate: false })]);
    oldApp = await startFakeOldApp(oldDb);
    sim = await startWhatsAppSimulator({ phoneNumberId: NUMBER_ID, accessToken: 'token', appSecret: APP_SECRET });
    sim.onMarkRead(({ messageId }) => answeredHere.set(messageId, (answeredHere.get(messageId) ?? 0) + 1));
    transport = new MemoryTransport({ retry: { baseMs: 20, maxMs: 200 } });
    const common = {
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.E2E_LOG === '1' ? 'error' : 'silent',
      ROLLOUT_STAGE_TTL_MS: '20',
    };
    const messageConfig = loadConfig('message-service', messageServiceConfigSchema, {
      ...common,
      WHATSAPP_API_URL: sim.url,
      WHATSAPP_NUMBER_ID: NUMBER_ID,
      WHATSAPP_API_KEY: 'token',
      WHATSAPP_APP_SECRET: APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: 'verify',
      ASTRIA_API_URL: 'http://127.0.0.1:9',
      ASTRIA_API_KEY: 'astria',
      LITE_TIER_PRICE: '49',
      STANDARD_TIER_PRICE: '79',
      PREMIUM_TIER_PRICE: '119',
      LITE_TIER_PAYMENT_LINK: 'https://pay.example/lite',
      STANDARD_TIER_PAYMENT_LINK: 'https://pay.example/standard',
      PREMIUM_TIER_PAYMENT_LINK: 'https://pay.example/premium',
      SUPPORT_CONTACT: 'support@example.com',
      MONOLITH_WEBHOOK_URL: `${oldApp.url}/whatsapp`,
      MONOLITH_PAYMENT_URL: `${oldApp.url}/payment-received`,
    });
    const paymentConfig = loadConfig('payment-service', paymentServiceConfigSchema, {
      ...common,
      SUMIT_WEBHOOK_TOKEN: SUMIT_TOKEN,
      STRIPE_WEBHOOK_SECRET: 'whsec_test',
      MONOLITH_PAYMENT_URL: `${oldApp.url}/payment-received`,
    });
    message = (await startService('message-service', db, transport, {
      config: messageConfig,
      monolithDatabase: oldDb,
    })) as typeof message;
    payment = (await startService('payment-service', db, transport, { config: paymentConfig })) as typeof payment;
    const address = await message.app.listen({ host: '127.0.0.1', port: 0 });
    sim.setWebhookUrl(`${address}/whatsapp/webhook`);
    await transport.start();
    await message.start();
    await payment.start();
  });
  afterAll(async () => {
    await message?.close();
    await payment?.close();
    await transport?.stop();
    await sim?.close();
    await oldApp?.close();
    await Promise.all([db?.destroy(), oldDb?.destroy()]);
  });

  /** Like Meta: a webhook answered 503 (a pod under pressure) is delivered again later, same wamid. */
  const deliver = async (user: string, text: string, wamid?: string): Promise<string> => {
    let id = wamid;
    return waitFor(
      async () => {
        const delivery = await sim.sendText(user, text, id ? { wamid: id } : {});
        expect([200, 503]).toContain(delivery.status);
        id = delivery.wamid;
        return delivery.status === 200 ? delivery.wamid : null;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `a 200 for a message of ${user}` },
    );
  };

  /** Like SUMIT: posted again later until answered 200; returns the status it reported. */
  const pay = (id: string, phone: string): Promise<string> =>
    waitFor(
      async () => {
        const answer = await payment.app.inject({
          method: 'POST',
          url: `/payment-received?token=${SUMIT_TOKEN}`,
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({
            EntityID: id,
            Properties: { 'Property_M-3': [{ Name: 'Standard' }], 'Property_M-5': [phone], 'Property_M-12': [79] },
          }),
        });
        expect([200, 503]).toContain(answer.statusCode);
        return answer.statusCode === 200 ? (answer.json().status as string) : null;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `a 200 for payment ${id}` },
    );

  const drained = () =>
    waitFor(
      async () => {
        const pending = await queryRows<{ type: string; n: number }>(
          db.db,
          sql`select type, count(*)::int as n from (
                select type from messaging.outbox where published_at is null
                union all select type from payments.outbox where published_at is null) p group by type`,
        );
        if (pending.length > 0) throw new Error(JSON.stringify(pending));
        return true;
      },
      { timeoutMs: 20_000, what: 'both outboxes published' },
    );

  // payment-service routes by the recorded owner (a fallback hands everyone back in the same
  // transaction), so only message-service's cached stage matters here.
  const seesVersion = async (version: number) => {
    await waitFor(async () => (await message.app.rolloutStage.current()).version >= version, {
      timeoutMs: 5000,
      what: `message-service at stage version ${version}`,
    });
  };

  it('answers every message exactly once by one system, applies every payment once, and loses no state', async () => {
    const started = Date.now();
    const wamids: string[] = [];
    const log = new Map<string, unknown>();
    const payments: Array<{ id: string; phone: string; shadow: boolean }> = [];
    let round = 0;
    /** One message from every user (and some Meta retries), and the payments of this round, concurrently. */
    const traffic = async (payers: string[], shadow: boolean) => {
      round++;
      const sends = USERS.map(async (user, i) => {
        const wamid = await deliver(user, `hello ${round}`);
        wamids.push(wamid);
        log.set(wamid, { round, user, stage: (await readStage(db.db)).stage });
        if (i % 10 === round % 10) await deliver(user, `hello ${round}`, wamid); // Meta's retry
      });
      const paid = payers.map(async (phone) => {
        const id = `sumit-${round}-${phone}`;
        payments.push({ id, phone, shadow });
        expect(await pay(id, phone)).not.toBe('duplicate');
        expect(await pay(id, phone)).toBe('duplicate'); // SUMIT's retry
      });
      await Promise.all([...sends, ...paid]);
    };

    for (const [index, step] of STEPS.entries()) {
      const before = await readStage(db.db);
      const shadow = before.stage === 'shadow';
      // This round's traffic is in flight while the next stage is set.
      const payers = USERS.filter((_, i) => i % STEPS.length === index);
      const inFlight = traffic(payers, shadow);
      const settings = await setStage(db.db, step.change, 'e2e');
      await inFlight;
      await seesVersion(settings.version);
      if (step.change.stage === 'fallback') {
        // The runbook: every pod follows, the outboxes drain, then the export.
        await drained();
        await waitFor(async () => (await forwardsPending()) === 0, { timeoutMs: 20_000, what: 'forwards delivered' });
        await migrateToMonolith({ db: db.db, oldDb: oldDb.db });
      }
    }
    // A last round at full: every user writes once more and so moves (imported from the old app).
    await traffic([], false);
    await drained();
    await waitFor(async () => (await forwardsPending()) === 0, { timeoutMs: 20_000, what: 'forwards delivered' });
    await waitFor(
      () => {
        const open = wamids.filter((w) => (answeredHere.get(w) ?? 0) + oldAnswers(w) === 0);
        if (open.length > 0)
          throw new Error(
            `${open.length} unanswered, e.g. ${JSON.stringify(open.slice(0, 3).map((w) => ({ w, round: log.get(w) })))}`,
          );
        return true;
      },
      {
        timeoutMs: 20_000,
        what: 'every message answered',
      },
    );

    // Every inbound message answered exactly once, by exactly one system.
    const wrong = wamids.filter((w) => (answeredHere.get(w) ?? 0) + oldAnswers(w) !== 1);
    expect(wrong.map((w) => ({ w, at: log.get(w), here: answeredHere.get(w), old: oldAnswers(w) }))).toEqual([]);
    expect(new Set(wamids).size).toBe(USERS.length * (STEPS.length + 1));
    const byOld = wamids.filter((w) => oldAnswers(w) === 1).length;
    expect(byOld).toBeGreaterThan(USERS.length); // shadow and fallback at least
    expect(wamids.length - byOld).toBeGreaterThan(USERS.length);

    // Every payment applied exactly once: forwarded, the old app applied it (at shadow this system ran it
    // beside, in its own tables only); otherwise this system applied it and the old app never saw it.
    // What the old app applied itself (the fallback export also writes ids there, without a credit).
    const oldPayments = new Set(oldApp.payments);
    expect(oldPayments.size).toBe(oldApp.payments.length);
    const published = async (type: string) =>
      new Map(
        (
          await queryRows<{ id: string; n: number }>(
            db.db,
            sql`select envelope->'data'->>'paymentId' as id, count(*)::int as n from payments.outbox
                where type = ${type} group by 1`,
          )
        ).map((r) => [r.id, Number(r.n)]),
      );
    const applied = await published('payment_received');
    const forwarded = await published('sumit_forward_requested');
    for (const p of payments) {
      const outcome = {
        id: p.id,
        here: applied.get(p.id) ?? 0,
        forwarded: forwarded.get(p.id) ?? 0,
        there: oldPayments.has(p.id) ? 1 : 0,
      };
      if (outcome.forwarded)
        expect(outcome).toMatchObject({ forwarded: 1, there: 1, here: p.shadow ? outcome.here : 0 });
      else expect(outcome).toEqual({ id: p.id, here: 1, forwarded: 0, there: 0 });
      expect(outcome.here).toBeLessThanOrEqual(1);
    }

    // No state lost: everyone is served here now, and every payer still holds the credit they paid for.
    const owners = await queryRows<{ owner: string; n: number }>(
      db.db,
      sql`select owner, count(*)::int as n from rollout.owners group by owner`,
    );
    expect(owners).toEqual([{ owner: 'new', n: USERS.length }]);
    const conversations = await queryRows<{ user_id: string; data: unknown }>(
      db.db,
      sql`select user_id, data from messaging.conversations`,
    );
    const credit = new Map(
      conversations.map((c) => [
        c.user_id,
        Boolean(((typeof c.data === 'string' ? JSON.parse(c.data) : c.data) as { credit?: unknown }).credit),
      ]),
    );
    const payers = new Set(payments.map((p) => p.phone));
    for (const user of USERS) expect({ user, credit: credit.get(user) }).toEqual({ user, credit: payers.has(user) });
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 90_000);

  function oldAnswers(wamid: string): number {
    return oldApp.replies.filter((r) => r.inReplyTo === wamid).length;
  }

  async function forwardsPending(): Promise<number> {
    const rows = await queryRows<{ n: number }>(
      db.db,
      sql`select count(*)::int as n from messaging.outbox o
          where o.type in ('whatsapp_forward_requested', 'sumit_forward_requested')
            and not exists (select 1 from messaging.inbox i where i.event_id = o.event_id)
            and not exists (select 1 from messaging.dead_letters d where d.event_id = o.event_id)`,
    );
    return rows[0]?.n ?? 0;
  }
});
