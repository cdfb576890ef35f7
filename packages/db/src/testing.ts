import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createDatabase, type Database } from './client.js';
import { migrate } from './migrate.js';

export interface TestDatabase extends Database {
  /** The URL of the fresh database (PostgreSQL only). */
  readonly url?: string;
  /** Closes the pool and drops the database (PostgreSQL) or the in-memory instance (PGlite). */
  destroy(): Promise<void>;
}

function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/**
 * An isolated, migrated database for one test file: a fresh PostgreSQL database when
 * DATABASE_URL is set (CI), otherwise in-memory PGlite.
 */
export async function createTestDatabase(options: { migrate?: boolean; poolMax?: number } = {}): Promise<TestDatabase> {
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) {
    const database = await createDatabase({ pgliteDataDir: 'memory' });
    if (options.migrate !== false) await migrate(database);
    return { ...database, destroy: () => database.close() };
  }
  return createDatabaseOn(baseUrl, { prefix: 'astria_test', ...options });
}

/**
 * A fresh, migrated PostgreSQL database beside the one `baseUrl` names (its server must let the user
 * CREATE DATABASE); `destroy()` drops it. For tests, benchmarks and the fault suite.
 */
export async function createDatabaseOn(
  baseUrl: string,
  options: { prefix: string; migrate?: boolean; poolMax?: number; applicationName?: string },
): Promise<TestDatabase & { url: string }> {
  const name = `${options.prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = withDatabaseName(baseUrl, name);
  const database = await createDatabase({
    url,
    poolMax: options.poolMax ?? 10,
    ...(options.applicationName ? { applicationName: options.applicationName } : {}),
  });
  if (options.migrate !== false) await migrate(database, { url });
  return {
    ...database,
    url,
    async destroy() {
      await database.close();
      const dropper = postgres(baseUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end({ timeout: 5 });
      }
    },
  };
}

/** Polls a condition until it holds, failing with a clear message after `timeoutMs`. For tests, never a fixed sleep. */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  {
    timeoutMs = 5000,
    intervalMs = 10,
    what = 'condition',
  }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export { findPostgresBinaries, freePort, type PrivateCluster, startPrivateCluster } from './private-cluster.js';
