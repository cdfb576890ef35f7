/**
 * pnpm bench:start — process start → ready: each service started as production runs it
 * (`node apps/<service>/dist/main.js`, PostgreSQL, memory transport) until GET /health/ready answers
 * 200, five starts each on one migrated database; prints each service's median and range.
 * Target (issue 17): ≤ 1 s per service (HPA scale-out). BENCH_CPU_PROF=1 profiles each service's
 * first start and prints its top 10 functions by self time. Last line: one JSON object.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BENCH_APP_SECRET,
  DEFAULT_NUMBER_ID,
  formatSelfTime,
  freePort,
  MESSAGE_SERVICE_BENCH_ENV,
  median,
  ServiceProcess,
  topSelfTime,
} from '@astria/bench-kit';
import { createDatabaseOn } from '@astria/db/testing';

const STARTS = Number(process.env.BENCH_STARTS ?? 5);
const BASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const UNREACHABLE = 'http://127.0.0.1:9';

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Each service's environment: what its config requires, every external API unreachable (not asked at start). */
function environments(databaseUrl: string, blobDir: string): Record<string, Record<string, string>> {
  // No drain on SIGTERM: the bench stops each process once it was ready.
  const shared = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'error',
    DATABASE_URL: databaseUrl,
    EVENT_TRANSPORT: 'memory',
    SHUTDOWN_DRAIN_MS: '0',
  };
  const whatsapp = {
    WHATSAPP_API_URL: `${UNREACHABLE}/v21.0`,
    WHATSAPP_NUMBER_ID: DEFAULT_NUMBER_ID,
    WHATSAPP_API_KEY: 'bench-graph-token',
  };
  const astria = { ASTRIA_API_URL: UNREACHABLE, ASTRIA_API_KEY: 'bench-astria-key' };
  const images = {
    PUBLIC_BASE_URL: 'http://127.0.0.1:7072',
    CALLBACK_SIGNING_SECRET: 'bench-callback-signing-secret-0123456789abcdef',
    UPDATE_IMAGES_TOKEN: 'bench-update-images-token',
    PREVIEW_REBUILD_INTERVAL_HOURS: '0',
    BLOB_STORAGE: 'local',
    BLOB_LOCAL_DIR: blobDir,
  };
  return {
    'message-service': {
      ...MESSAGE_SERVICE_BENCH_ENV,
      ...shared,
      ...whatsapp,
      WHATSAPP_APP_SECRET: BENCH_APP_SECRET,
      WHATSAPP_VERIFY_TOKEN: 'bench',
    },
    'image-service': { ...shared, ...whatsapp, ...astria, ...images },
    'payment-service': {
      ...shared,
      SUMIT_WEBHOOK_TOKEN: 'bench-sumit-token',
      STRIPE_WEBHOOK_SECRET: 'whsec_bench_secret',
      STRIPE_TIER_BY_ID: 'plink_lite:lite,plink_standard:standard,plink_premium:premium',
      STRIPE_API_KEY: 'rk_test_bench',
      STRIPE_API_URL: UNREACHABLE,
    },
    'maintenance-service': { ...shared, ...astria, ...images },
  };
}

async function main() {
  if (!process.env.DATABASE_URL) log(`DATABASE_URL unset: using ${BASE_URL}`);
  const db = await createDatabaseOn(BASE_URL, { prefix: 'bench_start', poolMax: 1 });
  const blobDir = mkdtempSync(join(tmpdir(), 'bench-start-'));
  const figures: Record<string, { medianMs: number; minMs: number; maxMs: number }> = {};
  try {
    for (const [service, env] of Object.entries(environments(db.url, blobDir))) {
      const times: number[] = [];
      for (let i = 0; i < STARTS; i++) {
        // BENCH_CPU_PROF=1: the first start of each service is profiled (what its start spends CPU on).
        const cpuProfile = process.env.BENCH_CPU_PROF === '1' && i === 0;
        const child = new ServiceProcess(service, await freePort(), env, { pollMs: 10, cpuProfile });
        await child.start(60_000);
        times.push(Math.round(child.readyMs));
        await child.stop();
        if (child.cpuProfileFile) {
          log(`CPU profile of ${service}'s start: ${child.cpuProfileFile}, top 10 self time:`);
          for (const line of formatSelfTime(topSelfTime(child.cpuProfileFile))) log(`  ${line}`);
        }
      }
      figures[service] = { medianMs: Math.round(median(times)), minMs: Math.min(...times), maxMs: Math.max(...times) };
      log(`${service}: start → ready median ${figures[service]?.medianMs} ms (${times.join(', ')} ms)`);
    }
  } finally {
    rmSync(blobDir, { recursive: true, force: true });
    await db.destroy();
  }
  log(
    JSON.stringify({
      bench: 'start',
      starts: STARTS,
      ...Object.fromEntries(Object.entries(figures).map(([service, f]) => [service, f])),
      maxMedianMs: Math.max(...Object.values(figures).map((f) => f.medianMs)),
      loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
    }),
  );
}

await main();
process.exit(0);
