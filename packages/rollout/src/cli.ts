#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadConfig, loadDotEnvFile, sharedConfigSchema } from '@astria/config';
import { createDatabase } from '@astria/db';
import { sql } from 'drizzle-orm';
import { runRollout } from './rollout-command.js';
import { formatShadowReport, shadowReport } from './shadow-report.js';

/** `pnpm rollout status|set|shadow-report …` against DATABASE_URL (or the local PGlite directory). */
async function main(argv: string[]): Promise<void> {
  loadDotEnvFile();
  const config = loadConfig('rollout', sharedConfigSchema);
  const database = await createDatabase({
    url: config.DATABASE_URL,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    poolMax: 1,
  });
  try {
    if (argv[0] === 'shadow-report') {
      // Compares with the old app's database, read-only: --old <url>, else MONOLITH_DATABASE_URL.
      const { values } = parseArgs({ args: argv.slice(1), options: { old: { type: 'string' } } });
      const url = values.old ?? process.env.MONOLITH_DATABASE_URL;
      if (!url) throw new Error('shadow-report needs the old database: --old <postgres url> or MONOLITH_DATABASE_URL');
      const old = await createDatabase({ url, poolMax: 1 });
      try {
        await old.db.execute(sql`set session characteristics as transaction read only`);
        for (const line of formatShadowReport(await shadowReport(database.db, old.db))) console.log(line);
      } finally {
        await old.close();
      }
      return;
    }
    for (const line of await runRollout(database.db, argv)) console.log(line);
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
