/**
 * pnpm bench:cleanup — cleanup of 1,000,000 expired WhatsApp de-dup records on real PostgreSQL while a
 * steady webhook-like insert load runs. Prints rows/s and the inserts' p99 before and during cleanup;
 * the last line is one JSON object. Needs DATABASE_URL (a server where it may create a database).
 * Targets (issue 6): ≤ 30 s for 1M rows; insert p99 during ≤ 2× before.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig, maintenanceServiceConfigSchema } from '@astria/config';
import { createDatabase, type Database, migrate } from '@astria/db';
import { sql } from 'drizzle-orm';
import { runCommand } from '../src/jobs.js';
import { silentLogger } from '../src/logger.js';

const EXPIRED = Number(process.env.BENCH_EXPIRED_ROWS ?? 1_000_000);
const LIVE = Number(process.env.BENCH_LIVE_ROWS ?? 200_000);
const INSERTS_PER_SECOND = Number(process.env.BENCH_INSERTS_PER_SECOND ?? 200);
const BASELINE_MS = Number(process.env.BENCH_BASELINE_MS ?? 8000);

function log(line: string) {
  process.stderr.write(`${line}\n`);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * A steady, open-loop insert load like the webhook's de-dup insert: one row per tick, latency measured
 * from when the insert was due (so a stall shows up as latency, not as fewer samples).
 */
type Sql = NonNullable<Database['postgres']>;

function startInsertLoad(client: Sql, perSecond: number) {
  const samples: Array<{ at: number; ms: number }> = [];
  let seq = 0;
  let errors = 0;
  const intervalMs = 1000 / perSecond;
  const started = performance.now();
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  const tick = () => {
    if (stopped) return;
    const due = started + seq * intervalMs;
    const wamid = `wamid.live.${process.pid}.${seq++}`;
    const p = client`insert into messaging.inbound_messages (wamid, user_id, type, received_at)
                     values (${wamid}, '972500000000', 'text', now()) on conflict do nothing`
      .then(() => {
        samples.push({ at: performance.now(), ms: performance.now() - due });
      })
      .catch(() => {
        errors++;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    const next = started + seq * intervalMs - performance.now();
    setTimeout(tick, Math.max(0, next));
  };
  tick();
  return {
    between(from: number, to: number) {
      return samples.filter((s) => s.at >= from && s.at < to).map((s) => s.ms);
    },
    get errors() {
      return errors;
    },
    async stop() {
      stopped = true;
      await Promise.all([...inFlight]);
    },
  };
}

async function main() {
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) {
    log('bench:cleanup needs DATABASE_URL (PostgreSQL), e.g. postgres://postgres@127.0.0.1:5432/postgres');
    process.exitCode = 2;
    return;
  }
  const name = `astria_bench_cleanup_${randomBytes(4).toString('hex')}`;
  const adminDb = await createDatabase({ url: baseUrl, poolMax: 1, applicationName: 'bench-cleanup-admin' });
  const admin = adminDb.postgres as Sql;
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const database = await createDatabase({ url: url.toString(), poolMax: 4, applicationName: 'bench-cleanup' });
  const loadDb = await createDatabase({ url: url.toString(), poolMax: 4, applicationName: 'bench-insert-load' });
  const load = loadDb.postgres as Sql;
  try {
    await migrate(database, { url: url.toString() });
    // message-service owns this table; created here as specified if its migration is absent.
    await database.db.execute(sql`create table if not exists messaging.inbound_messages (
      wamid text primary key, user_id text not null, type text not null,
      received_at timestamptz not null default now())`);
    await database.db.execute(
      sql`create index if not exists inbound_messages_received_at_idx on messaging.inbound_messages (received_at)`,
    );

    log(`seeding ${EXPIRED} expired + ${LIVE} live de-dup records…`);
    const seedStart = performance.now();
    const chunk = 250_000;
    for (let from = 1; from <= EXPIRED; from += chunk) {
      const to = Math.min(EXPIRED, from + chunk - 1);
      await load`insert into messaging.inbound_messages (wamid, user_id, type, received_at)
                 select 'wamid.old.' || g, '9725' || lpad((g % 10000000)::text, 8, '0'), 'text',
                        now() - interval '15 days' - (g % 86400) * interval '1 minute'
                 from generate_series(${from}::int, ${to}::int) g`;
    }
    await load`insert into messaging.inbound_messages (wamid, user_id, type, received_at)
               select 'wamid.recent.' || g, '972500000000', 'text', now() - (g % 1200000) * interval '1 second'
               from generate_series(1, ${LIVE}::int) g`;
    await load`vacuum analyze messaging.inbound_messages`;
    log(`seeded in ${round((performance.now() - seedStart) / 1000, 1)} s`);

    const config = loadConfig('maintenance-service', maintenanceServiceConfigSchema, {
      ...process.env,
      DATABASE_URL: url.toString(),
      WHATSAPP_API_URL: process.env.WHATSAPP_API_URL ?? 'http://127.0.0.1:9/v23.0',
      WHATSAPP_NUMBER_ID: process.env.WHATSAPP_NUMBER_ID ?? '1',
      WHATSAPP_API_KEY: 'bench',
      ASTRIA_API_KEY: 'bench',
      PUBLIC_BASE_URL: 'http://127.0.0.1:9',
      CALLBACK_SIGNING_SECRET: 'bench-bench-bench-bench-bench-bench',
      UPDATE_IMAGES_TOKEN: 'bench',
      LOG_LEVEL: 'silent',
    });

    log(`insert load: ${INSERTS_PER_SECOND}/s; baseline ${BASELINE_MS / 1000} s…`);
    const traffic = startInsertLoad(load, INSERTS_PER_SECOND);
    const baselineFrom = performance.now() + 1000; // skip the warm-up second
    await new Promise((r) => setTimeout(r, BASELINE_MS + 1000));
    const baselineTo = performance.now();

    log(`cleanup (batch ${config.CLEANUP_BATCH_SIZE}, pause ${config.CLEANUP_BATCH_PAUSE_MS} ms)…`);
    const cleanupFrom = performance.now();
    const summary = await runCommand(
      {
        database,
        config,
        // The de-dup records are what is measured; photos and tunes are the image service's own.
        imageMaintenance: async () => ({
          reconcile: async () => ({ checked: 0, recovered: 0, pending: 0 }),
          purgePhotos: async () => ({ rows: 0, blobs: 0 }),
          deleteExpiredTunes: async () => ({ tunes: 0 }),
        }),
        logger: silentLogger,
      },
      'cleanup',
      { dryRun: false },
    );
    const cleanupTo = performance.now();
    await traffic.stop();

    const dedup = summary.steps?.find((s) => s.kind === 'dedup');
    const rows = dedup?.rows ?? 0;
    const seconds = (cleanupTo - cleanupFrom) / 1000;
    const before = traffic.between(baselineFrom, baselineTo);
    const during = traffic.between(cleanupFrom, cleanupTo);
    const p99Before = percentile(before, 99);
    const p99During = percentile(during, 99);
    const [left] = await load<{ expired: number; live: number }[]>`
      select count(*) filter (where wamid like 'wamid.old.%')::int as expired,
             count(*) filter (where wamid not like 'wamid.old.%')::int as live
      from messaging.inbound_messages`;
    const result = {
      benchmark: 'cleanup',
      status: summary.status,
      expiredRows: EXPIRED,
      deletedRows: rows,
      remainingExpired: left?.expired ?? null,
      remainingLive: left?.live ?? null,
      batches: dedup?.batches ?? 0,
      batchSize: config.CLEANUP_BATCH_SIZE,
      seconds: round(seconds),
      rowsPerSecond: Math.round(rows / seconds),
      insertRatePerSecond: INSERTS_PER_SECOND,
      insertsBefore: before.length,
      insertsDuring: during.length,
      insertErrors: traffic.errors,
      insertP50BeforeMs: round(percentile(before, 50)),
      insertP50DuringMs: round(percentile(during, 50)),
      insertP99BeforeMs: round(p99Before),
      insertP99DuringMs: round(p99During),
      p99Ratio: round(p99During / p99Before),
      targets: { secondsMax: 30, p99RatioMax: 2 },
      targetsMet: seconds <= 30 && p99During / p99Before <= 2 && rows === EXPIRED,
    };
    log(
      `deleted ${rows} rows in ${result.seconds} s (${result.rowsPerSecond} rows/s, ${result.batches} batches); ` +
        `insert p99 ${result.insertP99BeforeMs} ms before, ${result.insertP99DuringMs} ms during (×${result.p99Ratio})`,
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await loadDb.close();
    await database.close();
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await adminDb.close();
  }
}

await main();
