/**
 * bench:payments — payment webhooks through the whole app (Fastify inject → verify → store → outbox),
 * against a baseline measured in the same run: the bare insert transaction the webhook cannot avoid.
 * PostgreSQL when DATABASE_URL is set (a fresh database), PGlite otherwise. Bounded: BENCH_N (400).
 */
import { randomUUID } from 'node:crypto';
import { loadConfig, paymentServiceConfigSchema } from '@astria/config';
import { payments as schema } from '@astria/db';
import { createTestDatabase } from '@astria/db/testing';
import { createEventRuntime, MemoryTransport } from '@astria/events';
import { createService } from '@astria/service-host';
import { sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { paymentServiceApp } from '../src/app.js';

const N = Number(process.env.BENCH_N ?? 400);
const TOKEN = 'bench-token';
const SECRET = 'whsec_bench';

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return {
    p50: +at(0.5).toFixed(3),
    p99: +at(0.99).toFixed(3),
    perSecond: +((1000 * s.length) / s.reduce((a, b) => a + b, 0)).toFixed(0),
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const database = await createTestDatabase({ poolMax: 25 });
const transport = new MemoryTransport();
const events = createEventRuntime({ database, service: 'payment-service', transport });
const config = loadConfig('payment-service', paymentServiceConfigSchema, {
  LOG_LEVEL: 'silent',
  SUMIT_WEBHOOK_TOKEN: TOKEN,
  STRIPE_WEBHOOK_SECRET: SECRET,
  STRIPE_TIER_BY_ID: 'plink_std:standard',
});
const app = await createService(
  { service: 'payment-service', config, database, transport, events, logger: false, ownsDatabase: false },
  paymentServiceApp,
  { config },
);
await app.ready();

const sumitBody = (id: number) =>
  JSON.stringify({
    EntityID: id,
    Properties: {
      'Property_M-3': [{ Name: 'Standard' }],
      'Property_M-5': ['972501234567'],
      'Property_M-10': ['Bench'],
      'Property_M-12': [89],
    },
  });
const sumit = async (id: number) => {
  const r = await app.inject({
    method: 'POST',
    url: `/payment-received?token=${TOKEN}`,
    headers: { 'content-type': 'application/json' },
    payload: sumitBody(id),
  });
  if (r.statusCode !== 200) throw new Error(`SUMIT ${r.statusCode} ${r.body}`);
  return r.json().status as string;
};

try {
  // Warm-up (JIT, pool).
  for (let i = 0; i < 20; i++) await sumit(1_000_000 + i);

  const baseline: number[] = [];
  for (let i = 0; i < N; i++) {
    baseline.push(
      await timed(() =>
        database.db.transaction(async (tx) => {
          await tx
            .insert(schema.payments)
            .values({
              id: randomUUID(),
              provider: 'sumit',
              providerPaymentId: `baseline-${i}`,
              status: 'applied',
              rawPayload: JSON.parse(sumitBody(i)),
            })
            .onConflictDoNothing();
        }),
      ),
    );
  }
  const applied: number[] = [];
  for (let i = 0; i < N; i++) applied.push(await timed(() => sumit(i)));
  const duplicates: number[] = [];
  for (let i = 0; i < N; i++) duplicates.push(await timed(() => sumit(i)));

  const stripe: number[] = [];
  for (let i = 0; i < N / 2; i++) {
    const payload = JSON.stringify({
      id: `evt_b${i}`,
      object: 'event',
      type: 'checkout.session.completed',
      data: {
        object: {
          id: `cs_b${i}`,
          object: 'checkout.session',
          amount_total: 2400,
          currency: 'usd',
          client_reference_id: '972501234567',
          customer_details: { name: 'Bench' },
          payment_link: 'plink_std',
          payment_status: 'paid',
        },
      },
    });
    stripe.push(
      await timed(async () => {
        const r = await app.inject({
          method: 'POST',
          url: '/stripe/webhook',
          headers: {
            'content-type': 'application/json',
            'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
          },
          payload,
        });
        if (r.json().status !== 'applied') throw new Error(r.body);
      }),
    );
  }

  // 20 payments, each delivered 20 times at once.
  const t0 = process.hrtime.bigint();
  const answers = await Promise.all(Array.from({ length: 400 }, (_, i) => sumit(2_000_000 + (i % 20))));
  const burstMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const [published] = await database.db
    .execute(
      sql`select count(*)::int as n from payments.outbox where envelope->'data'->>'paymentId' similar to '20000(0|1)[0-9]'`,
    )
    .then((r) => (Array.isArray(r) ? r : ((r as { rows: unknown[] }).rows ?? [])) as Array<{ n: number }>);

  const result = {
    driver: database.driver,
    n: N,
    baselineInsertMs: stats(baseline),
    sumitAppliedMs: stats(applied),
    sumitDuplicateMs: stats(duplicates),
    stripeAppliedMs: stats(stripe),
    appliedVsBaselineP50: +(stats(applied).p50 / stats(baseline).p50).toFixed(2),
    burst: {
      requests: 400,
      payments: 20,
      applied: answers.filter((a) => a === 'applied').length,
      eventsPublished: published?.n,
      ms: +burstMs.toFixed(0),
      perSecond: +((400 * 1000) / burstMs).toFixed(0),
    },
  };
  console.log(`driver ${result.driver}, n=${N}`);
  console.log(`baseline insert tx  p50 ${result.baselineInsertMs.p50} ms  p99 ${result.baselineInsertMs.p99} ms`);
  console.log(
    `SUMIT applied       p50 ${result.sumitAppliedMs.p50} ms  p99 ${result.sumitAppliedMs.p99} ms  (×${result.appliedVsBaselineP50} baseline)`,
  );
  console.log(`SUMIT duplicate     p50 ${result.sumitDuplicateMs.p50} ms  p99 ${result.sumitDuplicateMs.p99} ms`);
  console.log(`Stripe applied      p50 ${result.stripeAppliedMs.p50} ms  p99 ${result.stripeAppliedMs.p99} ms`);
  console.log(
    `burst: 400 deliveries of 20 payments in ${result.burst.ms} ms (${result.burst.perSecond}/s): ${result.burst.applied} applied, ${result.burst.eventsPublished} events`,
  );
  console.log(JSON.stringify(result));
} finally {
  await app.close();
  await database.destroy();
}
