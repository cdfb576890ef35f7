/**
 * pnpm bench:events — N events through outbox → relay → memory transport → inbox handler (one row
 * update each) on real PostgreSQL, against ceilings measured in the same run: pgbench (C client,
 * prepared) running bench/pgbench/events-consumer.sql — the consumer's minimal SQL, inbox insert +
 * update, one transaction per event — at the same concurrency (the honest limit), and the handler's
 * SQL alone through drizzle. Then latency at a fixed 1,000 events/s, produced by pgbench -R running
 * bench/pgbench/events-producer.sql in its own process. The process's CPU ms per event and peak RSS (in
 * the drain phase the outbox was filled beforehand; relay and consumers share the process: the memory
 * transport is in-process). The pipeline runs with the memory transport's production concurrency.
 * Last line: one JSON object with the figures.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  findPgbench,
  PgbenchMissingError,
  peakRssMb,
  processCpuMs,
  REPO,
  ratio,
  runPgbench,
  summarize,
} from '@astria/bench-kit';
import { type Database, queryRows } from '@astria/db';
import { createDatabaseOn } from '@astria/db/testing';
import { createEventRuntime, type EventRuntime, MemoryTransport, outboxChannel } from '@astria/events';
import { sql } from 'drizzle-orm';

const N = Number(process.env.BENCH_EVENTS ?? 5000);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 5);
const KEYS = 500;
const CONCURRENCY = 16;
const CEILING_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CEILING_SQL = join(REPO, 'bench/pgbench/events-consumer.sql');
const PRODUCER_SQL = join(REPO, 'bench/pgbench/events-producer.sql');

async function resetCounters(database: Database) {
  await database.db.execute(sql`truncate public.bench_counters`);
  await database.db.execute(
    sql`insert into public.bench_counters (id, n) select g, 0 from generate_series(0, ${KEYS - 1}) g`,
  );
}

/** The ceiling: the handler's SQL alone, one transaction per event, CONCURRENCY at a time. */
async function measureCeiling(database: Database): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < N; i = next++) {
        await database.db.transaction(async (tx) => {
          await tx.execute(sql`update public.bench_counters set n = n + 1 where id = ${i % KEYS}`);
        });
      }
    }),
  );
  return N / ((performance.now() - started) / 1000);
}

async function startPipeline(database: Database, onHandled: (eventId: string, occurredAt: string) => void) {
  // The production default of deliveries in progress per subscription (the group commit gathers them).
  const transport = new MemoryTransport({ retry: { baseMs: 50, maxMs: 1000 } });
  const producer = createEventRuntime({ database, service: 'message-service', transport, relay: { batchSize: 500 } });
  const consumer = createEventRuntime({ database, service: 'image-service', transport });
  consumer.consume({
    user_message_received: async (event, tx) => {
      await tx.execute(sql`update public.bench_counters set n = n + 1 where id = ${Number(event.data.text)}`);
      onHandled(event.id, event.occurredAt);
    },
  });
  await transport.start();
  await consumer.start();
  await producer.start();
  const runtimes: EventRuntime[] = [producer, consumer];
  return {
    producer,
    async stop() {
      for (const r of runtimes) await r.stop();
      await transport.stop(5000);
      for (const r of runtimes) await r.close();
    },
  };
}

function message(i: number) {
  return {
    userId: `u${i % KEYS}`,
    messageId: `wamid.bench.${i}.${Math.random()}`,
    receivedAt: new Date().toISOString(),
    type: 'text' as const,
    text: String(i % KEYS),
  };
}

async function main() {
  try {
    findPgbench();
  } catch (error) {
    if (error instanceof PgbenchMissingError) {
      console.error(`bench:events: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  if (!process.env.DATABASE_URL) {
    process.env.DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
    console.log('DATABASE_URL unset: using postgres://postgres@127.0.0.1:5432/test');
  }
  const database = await createDatabaseOn(process.env.DATABASE_URL, { prefix: 'bench_events', poolMax: 20 });
  try {
    await database.db.execute(sql`create table public.bench_counters (id int primary key, n int not null)`);
    await resetCounters(database);
    const pgbench = await runPgbench({
      url: database.url,
      file: CEILING_SQL,
      clients: CONCURRENCY,
      seconds: CEILING_SECONDS,
    });
    console.log(`pgbench ceiling (inbox insert + update, 1 tx/event, ${CONCURRENCY} clients): ${pgbench.tps} events/s`);
    await resetCounters(database);
    const ceiling = await measureCeiling(database);
    console.log(
      `ceiling (handler SQL alone via drizzle, 1 tx/event, ${CONCURRENCY} concurrent): ${ceiling.toFixed(0)} events/s`,
    );

    // 1. Drain: N events committed to the outbox (one transaction each, as webhooks do), then drained.
    let handled = 0;
    let resolveDone: () => void = () => {};
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    const pipeline = await startPipeline(database, () => {
      if (++handled === N) resolveDone();
    });
    await pipeline.producer.relay.stop(); // commit everything first, then measure the drain alone
    let nextProduce = 0;
    const produceStarted = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = nextProduce++; i < N; i = nextProduce++) {
          await database.db.transaction(async (tx) => {
            await pipeline.producer.outbox.add(tx, 'user_message_received', message(i), { key: `u${i % KEYS}` });
          });
        }
      }),
    );
    const produceRate = N / ((performance.now() - produceStarted) / 1000);
    console.log(`outbox writes (1 event/tx, ${CONCURRENCY} concurrent): ${produceRate.toFixed(0)} events/s`);
    const drainStarted = performance.now();
    const drainCpuBefore = processCpuMs(process.pid);
    await pipeline.producer.relay.start();
    await done;
    const drainRate = N / ((performance.now() - drainStarted) / 1000);
    const cpuMsPerEvent = (processCpuMs(process.pid) - drainCpuBefore) / N;
    await pipeline.stop();
    const [check] = await queryRows<{ total: number }>(
      database.db,
      sql`select sum(n)::int as total from public.bench_counters`,
    );
    if (Number(check?.total) !== 2 * N) throw new Error(`expected ${2 * N} updates, found ${check?.total}`);
    console.log(`pipeline drain (relay → memory transport → inbox + update): ${drainRate.toFixed(0)} events/s`);
    console.log(
      `ratio drain/pgbench: ${ratio(drainRate, pgbench.tps)}x (target ≥ 1.0x); drain/drizzle ceiling ${ratio(drainRate, ceiling)}x; CPU ${cpuMsPerEvent.toFixed(2)} ms/event`,
    );

    // 2. Latency at a fixed rate: the producer is pgbench -R (its own process, a C client: one event committed
    // to the outbox per transaction, envelope built in SQL), so this process holds only the relay, the
    // transport and the consumer. Latency: the envelope's occurredAt (the insert's clock) → handled.
    const latencies: number[] = [];
    let latencyHandled = 0;
    const pipeline2 = await startPipeline(database, (_id, occurredAt) => {
      latencies.push(performance.timeOrigin + performance.now() - Date.parse(occurredAt));
      latencyHandled++;
    });
    const rateCpuBefore = processCpuMs(process.pid);
    const rateStarted = performance.now();
    const produced = await runPgbench({
      url: database.url,
      file: PRODUCER_SQL,
      clients: 4,
      seconds: RATE_SECONDS,
      rate: RATE,
      defines: { channel: outboxChannel('message-service') },
    });
    const total = produced.transactions;
    const producerFailures = produced.failed;
    const handledDeadline = Date.now() + 60_000;
    while (latencyHandled < total && Date.now() < handledDeadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const cpuMsPerEventAtRate = (processCpuMs(process.pid) - rateCpuBefore) / Math.max(1, latencyHandled);
    await pipeline2.stop();
    const achievedRate = total / RATE_SECONDS;
    void rateStarted;
    const { p50, p99 } = summarize(latencies);
    console.log(
      `latency commit → handled at ${RATE} events/s (pgbench -R producer; ${total} events, achieved ${achievedRate.toFixed(0)}/s, ${latencyHandled} handled): p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (target p99 ≤ 50 ms); CPU ${cpuMsPerEventAtRate.toFixed(2)} ms/event; ${producerFailures} producer transactions failed`,
    );
    console.log(
      JSON.stringify({
        bench: 'events',
        events: N,
        pgbenchTps: pgbench.tps,
        ratioToPgbench: ratio(drainRate, pgbench.tps),
        ceilingEventsPerSec: Math.round(ceiling),
        outboxWritesPerSec: Math.round(produceRate),
        drainEventsPerSec: Math.round(drainRate),
        ratioToCeiling: Number((drainRate / ceiling).toFixed(3)),
        rateTarget: RATE,
        rateAchieved: Math.round(achievedRate),
        latencyP50Ms: Number(p50.toFixed(2)),
        latencyP99Ms: Number(p99.toFixed(2)),
        producerFailures,
        cpuMsPerEventAtRate: Number(cpuMsPerEventAtRate.toFixed(3)),
        cpuMsPerEvent: Number(cpuMsPerEvent.toFixed(3)),
        peakRssMb: peakRssMb(process.pid),
        loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
      }),
    );
  } finally {
    await database.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
