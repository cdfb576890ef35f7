import type { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { ConnectionCircuit, DatabaseUnavailableError, isConnectionError, withDeadline } from './availability.js';

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
  /**
   * Cheap round trip for readiness checks. Never takes longer than `timeoutMs` (default: the connect
   * timeout); rejects at once with DatabaseUnavailableError while the database is known unreachable.
   */
  ping(options?: { timeoutMs?: number }): Promise<void>;
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
  /** PostgreSQL only: server-side `statement_timeout` of every connection, ms (default 5000). */
  statementTimeoutMs?: number;
  /** PostgreSQL only: server-side `idle_in_transaction_session_timeout`, ms (default 10000). */
  idleInTransactionTimeoutMs?: number;
  /** PostgreSQL only: how long opening one connection may take, ms (default 2000). */
  connectTimeoutMs?: number;
  /**
   * PostgreSQL only: client-side deadline of one statement or one whole transaction, ms (default
   * statement timeout + connect timeout). Past it the caller gets DatabaseUnavailableError('deadline')
   * and a transaction that has not committed yet is rolled back instead.
   */
  deadlineMs?: number;
  /** PostgreSQL only: pause between probes while the database is unreachable, ms (default 250). */
  probeIntervalMs?: number;
  /** PostgreSQL only: told when the database becomes unreachable and when it is back. */
  onAvailabilityChange?: (state: 'open' | 'closed', cause?: unknown) => void;
}

export const DATABASE_TIMEOUT_DEFAULTS = {
  statementTimeoutMs: 5000,
  idleInTransactionTimeoutMs: 10_000,
  connectTimeoutMs: 2000,
  probeIntervalMs: 250,
} as const;

/** Rows of a raw `db.execute(sql…)` result, whichever driver produced it. */
export async function queryRows<T extends Record<string, unknown>>(executor: Executor, query: SQL): Promise<T[]> {
  const result = (await executor.execute(query)) as unknown;
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** A stand-in for a query that must not reach a closed connection. */
function refusedQuery() {
  const error = new DatabaseUnavailableError('connection-lost', 'the transaction lost its connection');
  const result = {
    values: () => result,
    // biome-ignore lint/suspicious/noThenProperty: stands for a postgres.js PendingQuery
    then: <A, B>(onFulfilled?: (v: unknown) => A, onRejected?: (r: unknown) => B) =>
      Promise.reject(error).then(onFulfilled, onRejected),
  };
  return result;
}

/**
 * Cancels a postgres.js query past its deadline without an unhandled rejection: `query.cancel()`
 * drops the promise of the cancel request, which rejects when the server is unreachable (and that
 * crashed a service during an outage). Without the driver's canceller, statement_timeout still ends it.
 */
function cancelQuietly(query: object): void {
  const holder = query as { canceller?: ((q: object) => Promise<void>) | null };
  const canceller = holder.canceller;
  if (typeof canceller !== 'function') return;
  holder.canceller = null;
  Promise.resolve(canceller(query)).catch(() => {});
}

export async function createDatabase(options: CreateDatabaseOptions = {}): Promise<Database> {
  if (options.url) return createPostgresDatabase(options.url, options);
  return createPgliteDatabase(options.pgliteDataDir);
}

function createPostgresDatabase(url: string, options: CreateDatabaseOptions): Database {
  const statementTimeoutMs = options.statementTimeoutMs ?? DATABASE_TIMEOUT_DEFAULTS.statementTimeoutMs;
  const idleInTxMs = options.idleInTransactionTimeoutMs ?? DATABASE_TIMEOUT_DEFAULTS.idleInTransactionTimeoutMs;
  const connectTimeoutMs = options.connectTimeoutMs ?? DATABASE_TIMEOUT_DEFAULTS.connectTimeoutMs;
  const deadlineMs = options.deadlineMs ?? statementTimeoutMs + connectTimeoutMs;
  const client = postgres(url, {
    max: options.poolMax ?? 10,
    onnotice: () => {},
    // Startup parameters: the server itself bounds every statement and every idle open transaction.
    connection: {
      application_name: options.applicationName ?? 'astria-bot',
      statement_timeout: statementTimeoutMs,
      idle_in_transaction_session_timeout: idleInTxMs,
    },
    // Connection errors surface as query errors (readiness 503), never as an unhandled crash.
    connect_timeout: connectTimeoutMs / 1000,
    // postgres.js backs off up to 20 s between reconnects by default, so a returning database would
    // wait that long for its first query; the circuit below already keeps load off while it is away.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 0.5),
  });

  const circuit = new ConnectionCircuit({
    probeIntervalMs: options.probeIntervalMs ?? DATABASE_TIMEOUT_DEFAULTS.probeIntervalMs,
    probe: async () => {
      await withDeadline(Promise.resolve(client`select 1`), connectTimeoutMs + 500, 'probe');
    },
    ...(options.onAvailabilityChange ? { onChange: options.onAvailabilityChange } : {}),
  });

  /** Connection errors open the circuit and reach the caller as DatabaseUnavailableError. */
  function unavailable(error: unknown): unknown {
    if (error instanceof DatabaseUnavailableError) return error;
    if (!isConnectionError(error)) return error;
    circuit.trip(error);
    return new DatabaseUnavailableError('connection-lost', `database connection lost: ${String(error)}`, {
      cause: error,
    });
  }

  /** One statement outside a transaction: refused while the circuit is open, bounded by the deadline. */
  function guardedUnsafe(...args: Parameters<postgres.Sql['unsafe']>) {
    let pending: ReturnType<postgres.Sql['unsafe']> | undefined;
    let asValues = false;
    const run = (): Promise<unknown> => {
      try {
        circuit.check();
      } catch (error) {
        return Promise.reject(error);
      }
      pending = client.unsafe(...args);
      const query = asValues ? pending.values() : pending;
      return withDeadline(Promise.resolve(query), deadlineMs, 'statement', () => {
        if (pending) cancelQuietly(pending);
      }).catch((error: unknown) => {
        throw unavailable(error);
      });
    };
    let started: Promise<unknown> | undefined;
    const result = {
      values() {
        asValues = true;
        return result;
      },
      // biome-ignore lint/suspicious/noThenProperty: a thenable like the postgres.js PendingQuery it stands for
      then<A, B>(onFulfilled?: (value: unknown) => A, onRejected?: (reason: unknown) => B) {
        started ??= run();
        return started.then(onFulfilled, onRejected);
      },
      catch<B>(onRejected?: (reason: unknown) => B) {
        return result.then(undefined, onRejected);
      },
    };
    return result;
  }

  /**
   * A whole transaction: refused while the circuit is open; past the deadline it is never committed.
   * Once postgres.js has given the transaction up because its connection closed, nothing more is
   * written on that connection: postgres.js would still send the next query (or its own ROLLBACK)
   * to the dead socket, which throws an uncaught TypeError in a setImmediate and took a whole
   * service down during an outage (postgres 3.4.9, connection.js nextWrite).
   */
  async function guardedBegin(...args: unknown[]): Promise<unknown> {
    circuit.check();
    const fn = args[args.length - 1] as (sql: postgres.TransactionSql) => Promise<unknown>;
    const rest = args.slice(0, -1);
    let expired = false;
    let abandoned = false;
    let markAbandoned: () => void = () => {};
    const abandonedSignal = new Promise<void>((resolve) => {
      markAbandoned = resolve;
    });
    const bounded = async (sql: postgres.TransactionSql) => {
      const refusing = new Proxy(sql, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (property !== 'unsafe' || typeof value !== 'function') return value;
          return (...a: unknown[]) => {
            if (abandoned) return refusedQuery();
            return (value as (...b: unknown[]) => unknown).apply(target, a);
          };
        },
      });
      let value: unknown;
      try {
        value = await fn(refusing);
      } catch (error) {
        if (isConnectionError(error) || abandoned) {
          // postgres.js rejects the transaction when the connection closes, right after failing its queries.
          await Promise.race([abandonedSignal, new Promise((r) => setTimeout(r, 100).unref())]);
          if (abandoned) return new Promise(() => {}); // no ROLLBACK on a dead socket; the server rolled back
        }
        throw error;
      }
      if (abandoned) return new Promise(() => {}); // no COMMIT on a dead socket
      if (expired) throw new DatabaseUnavailableError('deadline', `transaction outlived ${deadlineMs} ms; rolled back`);
      return value;
    };
    const begin = client.begin as unknown as (...a: unknown[]) => Promise<unknown>;
    const transaction = begin.call(client, ...rest, bounded);
    transaction.catch((error: unknown) => {
      if (isConnectionError(error)) {
        abandoned = true;
        markAbandoned();
      }
    });
    try {
      return await withDeadline(transaction, deadlineMs, 'transaction', () => {
        expired = true;
      });
    } catch (error) {
      throw unavailable(error);
    }
  }

  const guarded = new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'unsafe') return guardedUnsafe;
      if (property === 'begin') return guardedBegin;
      return Reflect.get(target, property, receiver);
    },
  });
  const db = drizzlePostgres(guarded) as unknown as AppDatabase;
  return {
    driver: 'postgres',
    db,
    postgres: client,
    async listen(channel, onNotify) {
      const sub = await client.listen(channel, (payload) => onNotify(payload));
      return () => sub.unlisten();
    },
    async ping({ timeoutMs = connectTimeoutMs } = {}) {
      circuit.check();
      const query = client`select 1`;
      try {
        await withDeadline(Promise.resolve(query), timeoutMs, 'ping', () => {
          cancelQuietly(query);
        });
      } catch (error) {
        throw unavailable(error);
      }
    },
    async close() {
      circuit.stop();
      await client.end({ timeout: 5 });
    },
  };
}

/** PGlite and its driver are imported here, when asked for: a service on PostgreSQL never loads them. */
async function createPgliteDatabase(dataDir: string | undefined): Promise<Database> {
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
  ]);
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
