/**
 * pnpm bench:ingest — signed, realistic WhatsApp text webhooks (unique wamids, 1,000 users, a
 * quarter in Hebrew) POSTed by autocannon running in its own process to the message service running
 * as its own process (`node apps/message-service/dist/main.js`) on real PostgreSQL, relay and sender
 * running against the WhatsApp simulator (this process). In the same run:
 * - the ceiling: pgbench (C client, prepared) running bench/pgbench/ingest-text.sql — the minimal SQL
 *   of one text webhook, one transaction each — at 10 clients and at the load's concurrency;
 * - a bare Fastify hello-world process taking the same requests;
 * - p99 at half the measured maximum rate; the service's CPU ms per webhook and its peak RSS;
 * - webhook → first Graph call (mark-as-read) at a fixed 200 msg/s, on a fresh service and database.
 * BENCH_CPU_PROF=1 writes each service process's .cpuprofile under .data/cpuprofile and prints its
 * top 10 functions by self time. Last line: one JSON object with the figures.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BENCH_APP_SECRET,
  DEFAULT_NUMBER_ID,
  findPgbench,
  formatSelfTime,
  freePort,
  type LoadSpec,
  MESSAGE_SERVICE_BENCH_ENV,
  PgbenchMissingError,
  REPO,
  ratio,
  resultOf,
  runLoad,
  runPgbench,
  ServiceProcess,
  summarize,
  topSelfTime,
} from '@astria/bench-kit';
import { queryRows } from '@astria/db';
import { createDatabaseOn } from '@astria/db/testing';
import { startWhatsAppSimulator, type WhatsAppSimulator } from '@astria/simulators/whatsapp';
import { sql } from 'drizzle-orm';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const POOL = Number(process.env.BENCH_POOL ?? 10);
const USERS = 1000;
const FIXED_RATE = Number(process.env.BENCH_FIXED_RATE ?? 200);
const NUMBER_ID = DEFAULT_NUMBER_ID;
const APP_SECRET = BENCH_APP_SECRET;
const TOKEN = 'bench-token';
const CEILING_SQL = join(REPO, 'bench/pgbench/ingest-text.sql');
const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const log = (line: string) => process.stdout.write(`${line}\n`);

/** The message service's environment: the bench's secrets, the simulator, the tunables passed through. */
function serviceEnv(databaseUrl: string, graphUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  const passed = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => /^(INGEST_|WHATSAPP_SEND_|OUTBOX_|EVENT_)/.test(e[0]) && e[1] !== undefined,
    ),
  );
  return {
    ...MESSAGE_SERVICE_BENCH_ENV,
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: String(POOL),
    WHATSAPP_API_URL: graphUrl,
    WHATSAPP_NUMBER_ID: NUMBER_ID,
    WHATSAPP_API_KEY: TOKEN,
    WHATSAPP_APP_SECRET: APP_SECRET,
    WHATSAPP_VERIFY_TOKEN: 'bench',
    SHUTDOWN_DRAIN_MS: '0',
    ...passed,
    ...extra,
  };
}

function loadSpec(url: string, extra: Partial<LoadSpec> = {}): LoadSpec {
  return {
    webhookUrl: url,
    appSecret: APP_SECRET,
    phoneNumberId: NUMBER_ID,
    connections: CONNECTIONS,
    durationSeconds: DURATION,
    users: USERS,
    userPrefix: '1555',
    runId: randomUUID().slice(0, 8),
    ...extra,
  };
}

async function startService(databaseUrl: string, sim: WhatsAppSimulator, extra: Record<string, string> = {}) {
  const service = new ServiceProcess('message-service', await freePort(), serviceEnv(databaseUrl, sim.url, extra));
  await service.start();
  return service;
}

/** Stops the service; with BENCH_CPU_PROF=1 prints the top 10 of the profile it wrote. */
async function stopService(service: ServiceProcess, label: string): Promise<void> {
  await service.stop();
  const logged = service.stderr.split('\n').filter(Boolean);
  if (logged.length > 0) {
    process.stderr.write(
      `message-service (${label}) logged ${logged.length} lines (errors), the last: ${logged.at(-1)?.slice(0, 600)}\n`,
    );
  }
  if (service.cpuProfileFile) {
    log(`CPU profile of message-service (${label}): ${service.cpuProfileFile}, top 10 self time:`);
    for (const line of formatSelfTime(topSelfTime(service.cpuProfileFile))) log(`  ${line}`);
  }
}

async function main() {
  try {
    findPgbench();
  } catch (error) {
    if (error instanceof PgbenchMissingError) {
      process.stderr.write(`bench:ingest: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (!process.env.DATABASE_URL) log(`DATABASE_URL unset: using ${BASE_URL}`);
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    // 1. Bare Fastify hello-world in its own process, same client, same bodies and signatures.
    const hello = new ServiceProcess(
      'hello-world',
      await freePort(),
      {},
      {
        entry: 'apps/message-service/dist-bench/bench/hello-world.js',
        cpuProfile: false,
      },
    );
    await hello.start();
    const helloRun = resultOf(await runLoad(loadSpec(`${hello.url}/whatsapp/webhook`)));
    await hello.stop();
    log(`hello-world fastify: ${helloRun.rps} req/s, p50 ${helloRun.p50} ms, p99 ${helloRun.p99} ms`);

    // 2. The pgbench ceiling on a database of its own (its rows would change the load's conversations).
    const ceilingDb = await createDatabaseOn(BASE_URL, { prefix: 'bench_ingest_pgbench', poolMax: 1 });
    cleanups.push(() => ceilingDb.destroy());
    const pgbench = (clients: number) =>
      runPgbench({ url: ceilingDb.url, file: CEILING_SQL, clients, seconds: DURATION });
    const ceiling10Before = await pgbench(10);
    const ceilingEqualBefore = await pgbench(CONNECTIONS);
    log(
      `pgbench ceiling (before): ${ceiling10Before.tps} tx/s at 10 clients, ${ceilingEqualBefore.tps} tx/s at ${CONNECTIONS}`,
    );

    // 3. Ingest at full speed, then at half that rate: the service as its own process.
    const sim = await startWhatsAppSimulator({ phoneNumberId: NUMBER_ID, accessToken: TOKEN, appSecret: APP_SECRET });
    cleanups.push(() => sim.close());
    const db = await createDatabaseOn(BASE_URL, { prefix: 'bench_ingest', poolMax: 1 });
    cleanups.push(() => db.destroy());
    const service = await startService(db.url, sim);
    await runLoad(loadSpec(`${service.url}/whatsapp/webhook`)); // warm-up (JIT, pool, 1,000 conversations)
    const cpuBefore = service.cpuMs();
    const max = resultOf(await runLoad(loadSpec(`${service.url}/whatsapp/webhook`)));
    const cpuMsPerWebhook = (service.cpuMs() - cpuBefore) / Math.max(1, max.total);
    log(
      `ingest max: ${max.rps} req/s, p50 ${max.p50} ms, p99 ${max.p99} ms, non-2xx ${max.non2xx}, errors ${max.errors}; service CPU ${cpuMsPerWebhook.toFixed(2)} ms/webhook`,
    );
    const halfRate = Math.max(1, Math.round(max.rps / 2));
    const half = resultOf(
      await runLoad(
        loadSpec(`${service.url}/whatsapp/webhook`, { overallRate: halfRate, connections: Math.min(CONNECTIONS, 16) }),
      ),
    );
    log(`ingest at ${halfRate} req/s: p50 ${half.p50} ms, p99 ${half.p99} ms, non-2xx ${half.non2xx}`);
    const ingestPeakRss = service.peakRssMb();
    const [stored] = await queryRows<{ n: number }>(
      db.db,
      sql`select count(*)::int as n from messaging.inbound_messages`,
    );
    await stopService(service, 'max + half rate');
    const ceiling10After = await pgbench(10);
    const ceilingEqualAfter = await pgbench(CONNECTIONS);
    const ceiling10 = Math.round((ceiling10Before.tps + ceiling10After.tps) / 2);
    const ceilingEqual = Math.round((ceilingEqualBefore.tps + ceilingEqualAfter.tps) / 2);
    log(
      `pgbench ceiling (after): ${ceiling10After.tps} / ${ceilingEqualAfter.tps} tx/s; means ${ceiling10} (10 clients), ${ceilingEqual} (${CONNECTIONS})`,
    );

    // 4. Webhook → first Graph call (mark-as-read) at a fixed rate, on a fresh service and database.
    const db2 = await createDatabaseOn(BASE_URL, { prefix: 'bench_ingest', poolMax: 1 });
    cleanups.push(() => db2.destroy());
    const running = await startService(db2.url, sim, { WHATSAPP_MAX_MPS: '2000' });
    const readAt = new Map<string, number>();
    sim.onMarkRead((read) => {
      if (!readAt.has(read.messageId)) readAt.set(read.messageId, performance.timeOrigin + performance.now());
    });
    const logDir = mkdtempSync(join(tmpdir(), 'bench-ingest-'));
    cleanups.push(async () => rmSync(logDir, { recursive: true, force: true }));
    const logFile = join(logDir, 'sent.log');
    const fixed = resultOf(
      await runLoad(
        loadSpec(`${running.url}/whatsapp/webhook`, {
          overallRate: FIXED_RATE,
          logFile,
        }),
      ),
    );
    const posted = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' '));
    const deadline = Date.now() + 30_000;
    while (readAt.size < fixed.total - fixed.non2xx && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const firstCall = summarize(
      posted.flatMap(([at, , , wamid]) => {
        const read = readAt.get(wamid as string);
        return read === undefined ? [] : [read - Number(at)];
      }),
    );
    log(
      `webhook → first Graph call at ${FIXED_RATE} msg/s (achieved ${fixed.rps}/s): p50 ${firstCall.p50} ms, p99 ${firstCall.p99} ms (${firstCall.count}/${fixed.total} seen)`,
    );
    const firstCallPeakRss = running.peakRssMb();
    await stopService(running, `${FIXED_RATE} msg/s`);

    const figures = {
      bench: 'ingest',
      durationSeconds: DURATION,
      connections: CONNECTIONS,
      pool: POOL,
      helloWorldRps: helloRun.rps,
      pgbenchTps: ceiling10,
      pgbenchTpsEqualConcurrency: ceilingEqual,
      pgbenchBefore: [ceiling10Before.tps, ceilingEqualBefore.tps],
      pgbenchAfter: [ceiling10After.tps, ceilingEqualAfter.tps],
      ingestRps: max.rps,
      ingestP50Ms: max.p50,
      ingestP99Ms: max.p99,
      ingestNon2xx: max.non2xx,
      ratioToPgbench: ratio(max.rps, ceilingEqual),
      ratioToPgbench10Clients: ratio(max.rps, ceiling10),
      ratioToHelloWorld: Number((max.rps / helloRun.rps).toFixed(3)),
      cpuMsPerWebhook: Number(cpuMsPerWebhook.toFixed(2)),
      halfRate,
      halfRateP99Ms: half.p99,
      storedMessages: stored?.n ?? 0,
      firstGraphCallRate: FIXED_RATE,
      firstGraphCallRateAchieved: fixed.rps,
      firstGraphCallP50Ms: firstCall.p50,
      firstGraphCallP99Ms: firstCall.p99,
      peakRssMb: Math.max(ingestPeakRss, firstCallPeakRss),
      loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
    };
    log(JSON.stringify(figures));
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => process.stderr.write(`cleanup: ${String(error)}\n`));
    }
  }
}

await main();
process.exit(0);
