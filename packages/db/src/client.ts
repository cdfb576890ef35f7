import { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';

// biome-ignore lint/suspicious/noExplicitAny: drizzle's schema generic is erased on purpose: services bring their own tables
type AnySchema = Record<string, any>;

/** A Drizzle database over either driver; services write driver-neutral code against this. */
export type AppDatabase = PgDatabase<PgQueryResultHKT, AnySchema>;
/** A transaction handle, as given to `db.transaction(async (tx) => …)`. */
export type AppTransaction = Parameters<Parameters<AppDatabase['transaction']>[0]>[0];
/** Anything that can run a query: the database itself or an open transaction. */
export type Executor = AppDatabase | AppTransaction;

export type DatabaseDriver = 'postgres' | 'pglite';

export interface Database {
  readonly driver: DatabaseDriver;
  readonly db: AppDatabase;
  /** Subscribes to NOTIFY on a channel; resolves to an unsubscribe function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** The underlying PGlite instance (pglite driver only), e.g. for migrations. */
  readonly pglite?: PGlite;
  /** The underlying postgres.js client (postgres driver only). */
  readonly postgres?: postgres.Sql;
}

export interface CreateDatabaseOptions {
  /** postgres:// URL: use PostgreSQL. Unset: use embedded PGlite. */
  url?: string | undefined;
  /** Pool size for PostgreSQL. */
  poolMax?: number;
  /** PGlite data directory; `memory` (or unset) keeps everything in memory. */
  pgliteDataDir?: string | undefined;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
}

/** Rows of a raw `db.execute(sql…)` result, whichever driver produced it. */
export async function queryRows<T extends Record<string, unknown>>(executor: Executor, query: SQL): Promise<T[]> {
  const result = (await executor.execute(query)) as unknown;
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

export async function createDatabase(options: CreateDatabaseOptions = {}): Promise<Database> {
  if (options.url) return createPostgresDatabase(options.url, options);
  return createPgliteDatabase(options.pgliteDataDir);
}

function createPostgresDatabase(url: string, options: CreateDatabaseOptions): Database {
  const client = postgres(url, {
    max: options.poolMax ?? 10,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'astria-bot' },
    // Connection errors surface as query errors (readiness 503), never as an unhandled crash.
    connect_timeout: 10,
  });
  const db = drizzlePostgres(client) as unknown as AppDatabase;
  return {
    driver: 'postgres',
    db,
    postgres: client,
    async listen(channel, onNotify) {
      const sub = await client.listen(channel, (payload) => onNotify(payload));
      return () => sub.unlisten();
    },
    async ping() {
      await client`select 1`;
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}

async function createPgliteDatabase(dataDir: string | undefined): Promise<Database> {
  const inMemory = !dataDir || dataDir === 'memory';
  if (!inMemory) {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dataDir, { recursive: true });
  }
  const pglite = inMemory ? new PGlite() : new PGlite(dataDir);
  await pglite.waitReady;
  const db = drizzlePglite(pglite) as unknown as AppDatabase;
  return {
    driver: 'pglite',
    db,
    pglite,
    async listen(channel, onNotify) {
      const unsubscribe = await pglite.listen(channel, (payload) => onNotify(payload));
      return unsubscribe;
    },
    async ping() {
      await pglite.query('select 1');
    },
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}
