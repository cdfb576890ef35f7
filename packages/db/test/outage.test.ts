import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDatabase,
  type Database,
  DatabaseUnavailableError,
  databaseUnavailable,
  queryRows,
} from '../src/index.js';
import { findPostgresBinaries, type PrivateCluster, startPrivateCluster, waitFor } from '../src/testing.js';

const pgBinaries = findPostgresBinaries();

/** Settles with how long the work took and its error (if any). */
async function timed(work: () => Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  try {
    await work();
    return { ms: performance.now() - started, error: undefined };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

describe('PostgreSQL outage: fail fast, recover by itself', () => {
  let cluster: PrivateCluster;
  let database: Database;
  beforeAll(async () => {
    if (!pgBinaries) return;
    cluster = await startPrivateCluster();
    database = await createDatabase({ url: cluster.url, poolMax: 4, applicationName: 'outage-test' });
    await database.db.execute(sql`create table t (id int primary key)`);
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await cluster?.destroy();
  }, 60_000);

  it.skipIf(!pgBinaries)(
    'sets statement_timeout and idle_in_transaction_session_timeout on every connection',
    async () => {
      const [row] = await queryRows<{ st: string; idle: string }>(
        database.db,
        sql`select current_setting('statement_timeout') as st,
                   current_setting('idle_in_transaction_session_timeout') as idle`,
      );
      expect(row).toEqual({ st: '5s', idle: '10s' });
    },
  );

  it.skipIf(!pgBinaries)(
    'fails fast while the cluster is stopped and serves again after restart without a new Database',
    async () => {
      await database.db.execute(sql`insert into t values (1)`);
      await cluster.stop();

      // Before the fix the second burst queued behind postgres.js reconnect backoff (up to 20 s each):
      // these assertions on `ms` are the ones that failed.
      for (let burst = 0; burst < 3; burst++) {
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            timed(() =>
              database.db.transaction(async (tx) => {
                await tx.execute(sql`insert into t values (${100 + burst * 10 + i})`);
              }),
            ),
          ),
        );
        for (const r of results) {
          expect(r.error).toBeInstanceOf(DatabaseUnavailableError);
          expect(r.ms).toBeLessThan(2000);
        }
      }
      // A statement outside a transaction: drizzle wraps it in a DrizzleQueryError whose cause says why.
      const statement = await timed(() => database.db.execute(sql`select 1`));
      expect(databaseUnavailable(statement.error)?.reason).toBe('circuit-open');
      expect(statement.ms).toBeLessThan(2000);
      const ping = await timed(() => database.ping({ timeoutMs: 250 }));
      expect(ping.error).toBeInstanceOf(DatabaseUnavailableError);
      expect(ping.ms).toBeLessThan(250 + 50);

      await cluster.start();
      const back = performance.now();
      await waitFor(
        async () => {
          await database.ping({ timeoutMs: 250 });
          return true;
        },
        { timeoutMs: 5000, intervalMs: 50, what: 'the database to answer again' },
      );
      await database.db.transaction(async (tx) => {
        await tx.execute(sql`insert into t values (2)`);
      });
      expect(performance.now() - back).toBeLessThan(5000);
      const rows = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from t`);
      expect(rows[0]?.n).toBe(2); // nothing refused during the outage was committed
    },
    30_000,
  );

  it.skipIf(!pgBinaries)('never commits a transaction that outlived its deadline', async () => {
    const short = await createDatabase({ url: cluster.url, poolMax: 1, deadlineMs: 300, statementTimeoutMs: 5000 });
    try {
      const r = await timed(() =>
        short.db.transaction(async (tx) => {
          await tx.execute(sql`insert into t values (3)`);
          await tx.execute(sql`select pg_sleep(0.6)`);
        }),
      );
      expect(r.error).toBeInstanceOf(DatabaseUnavailableError);
      expect(r.ms).toBeLessThan(500);
      await waitFor(async () => {
        const [row] = await queryRows<{ n: number }>(short.db, sql`select count(*)::int as n from t where id = 3`);
        return row?.n === 0 ? true : undefined;
      });
      // Give the abandoned transaction the time to finish its sleep; it must have rolled back.
      const late = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from t where id = 3`);
      expect(late[0]?.n).toBe(0);
    } finally {
      await short.close();
    }
  });

  it.skipIf(!pgBinaries)('the server cancels a statement past statement_timeout', async () => {
    const strict = await createDatabase({ url: cluster.url, poolMax: 1, statementTimeoutMs: 200, deadlineMs: 5000 });
    try {
      const r = await timed(() => strict.db.execute(sql`select pg_sleep(2)`));
      expect((r.error as { cause?: { code?: string } }).cause?.code).toBe('57014');
      expect(databaseUnavailable(r.error)).toBeUndefined(); // a slow query is not an outage
      expect(r.ms).toBeLessThan(1500);
    } finally {
      await strict.close();
    }
  });
});
