#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadConfig, loadDotEnvFile, sharedConfigSchema } from '@astria/config';
import { createDatabase } from './client.js';
import { migrate } from './migrate.js';

const USAGE = `Usage: pnpm db:migrate

Applies every service's migrations to DATABASE_URL (or the PGlite directory PGLITE_DATA_DIR when unset).`;

/** `pnpm db:migrate`: applies every service's migrations to DATABASE_URL (or the local PGlite directory). */
async function main(argv: string[]): Promise<void> {
  // No arguments besides --help; anything else is a mistake worth stopping for.
  const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  loadDotEnvFile();
  const config = loadConfig('db:migrate', sharedConfigSchema);
  const started = Date.now();
  const database = await createDatabase({
    url: config.DATABASE_URL,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    poolMax: 1,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TX_TIMEOUT_MS,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
  });
  try {
    const schemas = await migrate(database, { url: config.DATABASE_URL });
    const target = config.DATABASE_URL ? 'PostgreSQL' : `PGlite at ${config.PGLITE_DATA_DIR}`;
    console.log(`Migrated ${schemas.join(', ')} on ${target} in ${Date.now() - started} ms`);
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
