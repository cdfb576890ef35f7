import { readFileSync } from 'node:fs';
import { loadConfig, type PaymentServiceConfig, paymentServiceConfigSchema } from '@astria/config';
import { queryRows } from '@astria/db';
import type { TestDatabase } from '@astria/db/testing';
import { type BuildTestServiceOptions, buildTestService } from '@astria/service-host/testing';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import Stripe from 'stripe';
import { type PaymentServiceAppOptions, paymentServiceApp } from '../src/index.js';

export const SUMIT_TOKEN = 'sumit-test-token-0123456789';
export const STRIPE_SECRET = 'whsec_test_0123456789abcdef';

/** Real-shaped SUMIT and Stripe payloads, kept beside the tests in `fixtures/`. */
export function fixture(name: 'sumit-payment.json' | 'stripe-checkout-completed.json'): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
}

export function testConfig(env: Record<string, string> = {}): PaymentServiceConfig {
  return loadConfig('payment-service', paymentServiceConfigSchema, {
    LOG_LEVEL: 'silent',
    SUMIT_WEBHOOK_TOKEN: SUMIT_TOKEN,
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    STRIPE_TIER_BY_ID: 'plink_1QPwzzLkdIwHu7ixLit:lite,plink_1QPwzzLkdIwHu7ixStd:standard,price_premium1:premium',
    ...env,
  });
}

export interface TestApp {
  app: FastifyInstance;
  database: TestDatabase;
  close(): Promise<void>;
}

export async function startTestApp(
  options: { env?: Record<string, string>; poolMax?: number } & Pick<
    BuildTestServiceOptions<Record<string, unknown>>,
    'wrapEvents'
  > &
    Omit<PaymentServiceAppOptions, 'config'> = {},
): Promise<TestApp> {
  const { env, poolMax, wrapEvents, ...appOptions } = options;
  const { app, database, close } = await buildTestService({
    service: 'payment-service',
    plugin: paymentServiceApp,
    options: { config: testConfig(env), ...appOptions },
    poolMax: poolMax ?? 25,
    ...(wrapEvents ? { wrapEvents } : {}),
  });
  return { app, database, close };
}

export function postSumit(
  app: FastifyInstance,
  body: unknown,
  token: string | null = SUMIT_TOKEN,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: token === null ? '/payment-received' : `/payment-received?token=${encodeURIComponent(token)}`,
    headers: { 'content-type': 'application/json' },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Signs like Stripe does, with Stripe's own test helper. */
export function stripeHeaders(payload: string, secret = STRIPE_SECRET, timestamp?: number) {
  return {
    'content-type': 'application/json; charset=utf-8',
    'stripe-signature': Stripe.webhooks.generateTestHeaderString({
      payload,
      secret,
      ...(timestamp ? { timestamp } : {}),
    }),
  };
}

export function postStripe(
  app: FastifyInstance,
  event: unknown,
  headers?: Record<string, string>,
): Promise<LightMyRequestResponse> {
  const payload = JSON.stringify(event);
  return app.inject({ method: 'POST', url: '/stripe/webhook', headers: headers ?? stripeHeaders(payload), payload });
}

export async function rows<T extends Record<string, unknown>>(database: TestDatabase, query: ReturnType<typeof sql>) {
  return queryRows<T>(database.db, query);
}

export async function outboxEnvelopes(database: TestDatabase) {
  const result = await rows<{ envelope: unknown }>(
    database,
    sql`select envelope from payments.outbox where type = 'payment_received' order by seq`,
  );
  return result.map((r) => (typeof r.envelope === 'string' ? JSON.parse(r.envelope) : r.envelope)) as Array<{
    id: string;
    key: string;
    data: Record<string, unknown>;
  }>;
}

export async function storedPayments(database: TestDatabase) {
  return rows<{
    provider: string;
    provider_payment_id: string;
    provider_event_id: string | null;
    status: string;
    review_reason: string | null;
    user_id: string | null;
    tier: string | null;
    amount: string | number | null;
    currency: string | null;
    name: string | null;
    raw_payload: unknown;
    event_id: string | null;
  }>(database, sql`select * from payments.payments order by received_at, id`);
}

/** A Stripe event like the fixture, with another event and session id. */
export function stripeEvent(overrides: { id?: string; type?: string; session?: Record<string, unknown> } = {}) {
  const base = fixture('stripe-checkout-completed.json') as {
    data: { object: Record<string, unknown> };
  } & Record<string, unknown>;
  return {
    ...base,
    id: overrides.id ?? base.id,
    type: overrides.type ?? base.type,
    data: { object: { ...base.data.object, ...overrides.session } },
  };
}
