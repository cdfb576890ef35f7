/**
 * pnpm bench:ingest — signed, realistic WhatsApp text webhooks (unique wamids, 1,000 users) POSTed
 * with autocannon to the message service on real PostgreSQL (DATABASE_URL), and in the same run:
 * - the ceiling of one transaction per webhook: the same SQL in a loop, at the pool's concurrency;
 * - a bare Fastify hello-world taking the same bodies;
 * - p99 at half the measured maximum rate, peak RSS;
 * - webhook → first Graph call (mark-as-read) latency at a fixed 200 msg/s, sender running
 *   against the WhatsApp simulator.
 * Last line: one JSON object with the figures.
 */
import { randomUUID } from 'node:crypto';
import { loadConfig, type MessageServiceConfig, messageServiceConfigSchema } from '@astria/config';
import { type Database, queryRows } from '@astria/db';
import { createTestDatabase, type TestDatabase } from '@astria/db/testing';
import { createEventRuntime, MemoryTransport } from '@astria/events';
import { createService } from '@astria/service-host';
import { metaSerialize, signWebhookBody, startWhatsAppSimulator } from '@astria/simulators/whatsapp';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { messageServiceApp } from '../src/app.js';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const POOL = Number(process.env.BENCH_POOL ?? 10);
const USERS = 1000;
const FIXED_RATE = Number(process.env.BENCH_FIXED_RATE ?? 200);
const SEND_CONCURRENCY = Number(process.env.BENCH_SEND_CONCURRENCY ?? 32); // sends no longer hold a pooled connection during the Graph call
const NUMBER_ID = '106540352242922';
const APP_SECRET = 'bench-app-secret';
const TOKEN = 'bench-token';

let counter = 0;
const runId = randomUUID().slice(0, 8);

function webhookBody(): { body: string; wamid: string } {
  counter++;
  const phone = `1555${String(1_000_000 + (counter % USERS)).slice(1)}`;
  const wamid = `wamid.bench.${runId}.${counter}`;
  const notification = {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: NUMBER_ID },
              contacts: [{ profile: { name: 'Bench User' }, wa_id: phone }],
              messages: [
                {
                  from: phone,
                  id: wamid,
                  timestamp: String(Math.floor(Date.now() / 1000)),
                  type: 'text',
                  text: { body: counter % 3 === 0 ? 'שלום, אפשר פרטים?' : 'Hi there' },
                },
              ],
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
  return { body: metaSerialize(notification), wamid };
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  total: number;
}

async function cannon(
  url: string,
  options: { overallRate?: number; onRequest?: (wamid: string) => void; signed?: boolean } = {},
): Promise<Run> {
  const result = await autocannon({
    url,
    connections: options.overallRate ? Math.min(CONNECTIONS, 16) : CONNECTIONS,
    duration: DURATION,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    requests: [
      {
        method: 'POST',
        setupRequest: (request: Record<string, unknown>) => {
          const { body, wamid } = webhookBody();
          options.onRequest?.(wamid);
          return {
            ...request,
            body,
            headers: {
              'content-type': 'application/json',
              'x-hub-signature-256': signWebhookBody(APP_SECRET, body),
            },
          };
        },
      },
    ],
  });
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    total: result.requests.total,
  };
}

function benchConfig(apiUrl: string, extra: Record<string, string> = {}): MessageServiceConfig {
  return loadConfig('message-service', messageServiceConfigSchema, {
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    WHATSAPP_API_URL: apiUrl,
    WHATSAPP_NUMBER_ID: NUMBER_ID,
    WHATSAPP_API_KEY: TOKEN,
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: 'bench',
    ASTRIA_API_URL: 'http://127.0.0.1:9',
    ASTRIA_API_KEY: 'bench',
    LITE_TIER_PRICE: '49',
    STANDARD_TIER_PRICE: '79',
    PREMIUM_TIER_PRICE: '119',
    LITE_TIER_PAYMENT_LINK: 'https://pay.example.com/lite',
    STANDARD_TIER_PAYMENT_LINK: 'https://pay.example.com/standard',
    PREMIUM_TIER_PAYMENT_LINK: 'https://pay.example.com/premium',
    SUPPORT_CONTACT: 'support@example.com',
    ...(process.env.INGEST_MAX_CONCURRENT_TX ? { INGEST_MAX_CONCURRENT_TX: process.env.INGEST_MAX_CONCURRENT_TX } : {}),
    ...(process.env.INGEST_MAX_BATCH ? { INGEST_MAX_BATCH: process.env.INGEST_MAX_BATCH } : {}),
    ...extra,
  }) as MessageServiceConfig;
}

async function startApp(database: Database, config: MessageServiceConfig, transport: MemoryTransport) {
  const registry = new Registry();
  const events = createEventRuntime({ database, service: 'message-service', transport, registry });
  const app = await createService(
    {
      service: 'message-service',
      config,
      database,
      transport,
      events,
      registry,
      logger: false,
      ownsDatabase: false,
    },
    messageServiceApp,
    { config },
  );
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, events, url: `${address}/whatsapp/webhook` };
}

/** The ceiling: the SQL of one text webhook (de-dup, conversation upsert + update, 3 outbox rows + notify), one transaction each. */
async function measureCeiling(database: Database): Promise<number> {
  const deadline = performance.now() + DURATION * 1000;
  let done = 0;
  const envelope = JSON.stringify({ data: { text: 'Hi there' }, pad: 'x'.repeat(600) });
  await Promise.all(
    Array.from({ length: POOL }, async () => {
      while (performance.now() < deadline) {
        const n = counter++;
        const user = `1555${String(1_000_000 + (n % USERS)).slice(1)}`;
        await database.db.transaction(async (tx) => {
          await tx.execute(
            sql`insert into messaging.inbound_messages (wamid, user_id, type, sent_at) values (${`wamid.ceiling.${runId}.${n}`}, ${user}, 'text', now()) on conflict do nothing returning wamid`,
          );
          await tx.execute(
            sql`insert into messaging.conversations (user_id, state, language, data, updated_at) values (${user}, 'collecting_photos', 'en', '{}'::jsonb, now())
                on conflict (user_id) do update set user_id = excluded.user_id returning state, language, data`,
          );
          await tx.execute(
            sql`update messaging.conversations set state = 'collecting_photos', data = ${envelope}::jsonb, version = version + 1, updated_at = now() where user_id = ${user}`,
          );
          for (let k = 0; k < 3; k++) {
            await tx.execute(
              sql`insert into messaging.outbox (event_id, type, key, envelope) values (${randomUUID()}, 'whatsapp_send_requested', ${user}, ${envelope}::jsonb)`,
            );
            await tx.execute(sql`select pg_notify('outbox_messaging_bench', '')`);
          }
        });
        done++;
      }
    }),
  );
  return Math.round(done / DURATION);
}

async function helloWorld(): Promise<{ app: FastifyInstance; url: string }> {
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
  app.post('/', async () => ({ ok: true }));
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: address };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function main() {
  if (!process.env.DATABASE_URL) {
    process.stderr.write(
      'bench:ingest needs DATABASE_URL (real PostgreSQL), e.g. postgres://postgres@127.0.0.1:5432/test\n',
    );
    process.exit(2);
  }
  // postgres.js may throw from a timer when DROP DATABASE … WITH (FORCE) tears a pooled connection down
  // between phases: report it, keep measuring.
  process.on('uncaughtException', (error) => process.stderr.write(`between phases: ${error.message}\n`));
  let peakRss = 0;
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  const log = (line: string) => process.stdout.write(`${line}\n`);

  // 1. Bare Fastify hello-world, same bodies and signatures computed by the client.
  const hello = await helloWorld();
  const helloRun = await cannon(hello.url);
  await hello.app.close();
  log(`hello-world fastify: ${helloRun.rps} req/s, p50 ${helloRun.p50} ms, p99 ${helloRun.p99} ms`);

  // 2. The ceiling: one transaction per webhook, the same SQL, at the pool's concurrency.
  // Measured before and after the ingest run (the machine is shared: load drifts); the ratio uses the mean.
  const ceilingDb: TestDatabase = await createTestDatabase({ poolMax: POOL });
  const ceilingBefore = await measureCeiling(ceilingDb);
  log(`one-transaction ceiling (before): ${ceilingBefore} tx/s (${POOL} connections)`);

  // 3. Ingest at full speed (sender not running: this measures the webhook path alone).
  const db: TestDatabase = await createTestDatabase({ poolMax: POOL });
  const transport = new MemoryTransport();
  const service = await startApp(db, benchConfig('http://127.0.0.1:9/v21.0'), transport);
  await cannon(service.url).catch(() => undefined); // warm-up (JIT, pool, 1,000 conversations)
  const max = await cannon(service.url);
  log(
    `ingest max: ${max.rps} req/s, p50 ${max.p50} ms, p99 ${max.p99} ms, non-2xx ${max.non2xx}, errors ${max.errors}`,
  );
  const half = await cannon(service.url, { overallRate: Math.max(1, Math.round(max.rps / 2)) });
  log(`ingest at ${Math.round(max.rps / 2)} req/s: p50 ${half.p50} ms, p99 ${half.p99} ms, non-2xx ${half.non2xx}`);
  const [stored] = await queryRows<{ n: number }>(
    db.db,
    sql`select count(*)::int as n from messaging.inbound_messages`,
  );
  await service.app.close();
  await db.destroy();
  const ceilingAfter = await measureCeiling(ceilingDb);
  await ceilingDb.destroy();
  const ceiling = Math.round((ceilingBefore + ceilingAfter) / 2);
  log(`one-transaction ceiling (after): ${ceilingAfter} tx/s; mean ${ceiling} tx/s`);

  // 4. Webhook → first Graph call (mark-as-read + typing) at a fixed rate, sender running.
  const sim = await startWhatsAppSimulator({ phoneNumberId: NUMBER_ID, accessToken: TOKEN, appSecret: APP_SECRET });
  const db2: TestDatabase = await createTestDatabase({ poolMax: POOL });
  // Each send holds its inbox transaction (a pooled connection) during the Graph call: keep the
  // consumer concurrency under the pool so webhooks still get connections.
  const transport2 = new MemoryTransport({ concurrencyPerSubscription: SEND_CONCURRENCY });
  const running = await startApp(db2, benchConfig(sim.url, { WHATSAPP_MAX_MPS: '2000' }), transport2);
  await transport2.start();
  await running.events.start();
  const postedAt = new Map<string, number>();
  const firstCall: number[] = [];
  sim.onMarkRead((read) => {
    const at = postedAt.get(read.messageId);
    if (at !== undefined) firstCall.push(performance.now() - at);
  });
  const fixed = await cannon(running.url, {
    overallRate: FIXED_RATE,
    onRequest: (wamid) => postedAt.set(wamid, performance.now()),
  });
  const deadline = Date.now() + 30_000;
  while (firstCall.length < fixed.total - fixed.non2xx && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  firstCall.sort((a, b) => a - b);
  const firstCallP50 = Math.round(percentile(firstCall, 50));
  const firstCallP99 = Math.round(percentile(firstCall, 99));
  log(
    `webhook → first Graph call at ${FIXED_RATE} msg/s: p50 ${firstCallP50} ms, p99 ${firstCallP99} ms (${firstCall.length}/${fixed.total} seen)`,
  );
  clearInterval(rssTimer);
  await running.app.close();
  await sim.close();
  await db2.destroy().catch((error: unknown) => process.stderr.write(`cleanup: ${String(error)}\n`));

  const figures = {
    bench: 'ingest',
    durationSeconds: DURATION,
    connections: CONNECTIONS,
    pool: POOL,
    helloWorldRps: helloRun.rps,
    ceilingTxPerSecond: ceiling,
    ceilingBefore,
    ceilingAfter,
    ingestRps: max.rps,
    ingestP50Ms: max.p50,
    ingestP99Ms: max.p99,
    ingestNon2xx: max.non2xx,
    ratioToCeiling: Number((max.rps / ceiling).toFixed(2)),
    ratioToHelloWorld: Number((max.rps / helloRun.rps).toFixed(3)),
    halfRate: Math.round(max.rps / 2),
    halfRateP99Ms: half.p99,
    storedMessages: stored?.n ?? 0,
    firstGraphCallRate: FIXED_RATE,
    sendConcurrency: SEND_CONCURRENCY,
    firstGraphCallP50Ms: firstCallP50,
    firstGraphCallP99Ms: firstCallP99,
    peakRssMb: Math.round(peakRss / 1024 / 1024),
  };
  log(JSON.stringify(figures));
}

await main();
process.exit(0);
