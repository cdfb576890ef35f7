import { type Database, queryRows } from '@astria/db';
import { sql } from 'drizzle-orm';

/** Advisory lock keys: one per command, so cleanup and reconcile may overlap but never themselves. */
export const LOCK_KEYS = {
  cleanup: 7_074_000_001,
  reconcile: 7_074_000_002,
} as const;

export type LockedCommand = keyof typeof LOCK_KEYS;

export type LockOutcome<T> = { acquired: true; result: T } | { acquired: false };

// PGlite is one embedded session in one process: advisory locks are re-entrant within a session,
// so an in-process guard stands in for them there.
const pgliteHeld = new WeakMap<Database, Set<number>>();

/**
 * Runs `work` while holding a session-level Postgres advisory lock on a dedicated connection
 * (pg_try_advisory_lock: never waits). When another process or run holds it, returns
 * `{ acquired: false }` at once. The lock is released when `work` settles, or by Postgres if the
 * process dies (its session ends).
 */
export async function withAdvisoryLock<T>(
  database: Database,
  key: number,
  work: () => Promise<T>,
): Promise<LockOutcome<T>> {
  if (database.driver === 'pglite') {
    let held = pgliteHeld.get(database);
    if (!held) {
      held = new Set();
      pgliteHeld.set(database, held);
    }
    if (held.has(key)) return { acquired: false };
    held.add(key);
    try {
      const [row] = await queryRows<{ locked: boolean }>(
        database.db,
        sql`select pg_try_advisory_lock(${key}) as locked`,
      );
      if (!row?.locked) return { acquired: false };
      try {
        return { acquired: true, result: await work() };
      } finally {
        await queryRows(database.db, sql`select pg_advisory_unlock(${key})`);
      }
    } finally {
      held.delete(key);
    }
  }
  const client = database.postgres;
  if (!client) throw new Error('PostgreSQL database without its client');
  const connection = await client.reserve();
  try {
    const [row] = await connection`select pg_try_advisory_lock(${key}::bigint) as locked`;
    if (!row?.locked) return { acquired: false };
    try {
      return { acquired: true, result: await work() };
    } finally {
      await connection`select pg_advisory_unlock(${key}::bigint)`;
    }
  } finally {
    connection.release();
  }
}
