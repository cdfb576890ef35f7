#!/usr/bin/env node
import { loadConfig, loadDotEnvFile, sharedConfigSchema } from '@astria/config';
import { createDatabase } from '@astria/db';
import { runRollout } from './rollout-command.js';

/** `pnpm rollout status|set …` against DATABASE_URL (or the local PGlite directory). */
async function main(argv: string[]): Promise<void> {
  loadDotEnvFile();
  const config = loadConfig('rollout', sharedConfigSchema);
  const database = await createDatabase({
    url: config.DATABASE_URL,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    poolMax: 1,
  });
  try {
    for (const line of await runRollout(database.db, argv)) console.log(line);
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
