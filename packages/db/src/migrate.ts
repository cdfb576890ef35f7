import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { Database } from './client.js';
import { MIGRATED_SCHEMA_NAMES, type SchemaName, type SharedSchemaName } from './service-schemas.js';

type MigratedSchema = SchemaName | SharedSchemaName;

/** Arbitrary but fixed: every migrating process of this project contends for the same lock. */
export const MIGRATION_LOCK_ID = 7_071_707_270;

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

function migrationConfig(schema: MigratedSchema) {
  return {
    migrationsFolder: `${MIGRATIONS_DIR}/${schema}`,
    migrationsSchema: 'drizzle',
    migrationsTable: `${schema}_migrations`,
  };
}

export interface MigrateOptions {
  /** Only these schemas (default: every service's, then the shared `rollout`). */
  schemas?: readonly MigratedSchema[];
  /** For PostgreSQL: the URL to open one dedicated connection on (holds the advisory lock). */
  url?: string | undefined;
}

/**
 * Applies every service's committed SQL migrations. On PostgreSQL it holds a session advisory lock
 * on a dedicated connection, so pods starting together migrate one at a time and the later ones
 * find nothing left to do. The migrators are imported here, when asked for: a service that does not
 * run migrations at start (RUN_MIGRATIONS=false, the default) never loads them.
 */
export async function migrate(database: Database, options: MigrateOptions = {}): Promise<MigratedSchema[]> {
  const schemas = (options.schemas ?? MIGRATED_SCHEMA_NAMES).filter((s) => existsSync(`${MIGRATIONS_DIR}/${s}`));
  if (database.driver === 'pglite') {
    const pglite = database.pglite;
    if (!pglite) throw new Error('PGlite database without its instance');
    const [{ drizzle: drizzlePglite }, { migrate: migratePglite }] = await Promise.all([
      import('drizzle-orm/pglite'),
      import('drizzle-orm/pglite/migrator'),
    ]);
    const db = drizzlePglite(pglite);
    for (const schema of schemas) await migratePglite(db, migrationConfig(schema));
    return schemas;
  }
  const url = options.url;
  if (!url) throw new Error('migrate() on PostgreSQL needs the database URL for its dedicated connection');
  const { migrate: migratePostgres } = await import('drizzle-orm/postgres-js/migrator');
  const client = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: 'astria-bot-migrate' } });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    try {
      const db = drizzlePostgres(client);
      for (const schema of schemas) await migratePostgres(db, migrationConfig(schema));
    } finally {
      await client`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
    }
  } finally {
    await client.end({ timeout: 5 });
  }
  return schemas;
}
