#!/usr/bin/env node
import { loadDotEnvFile } from '@astria/config';
import { createDatabase, withCommandDatabase } from '@astria/db';
import { parseCommand, processIo, runCommand } from '@astria/service-kit/cli';
import { sql } from 'drizzle-orm';
import { runRollout } from './rollout-command.js';
import { formatShadowReport, shadowReport } from './shadow-report.js';

/** `pnpm rollout status|set|shadow-report …` against DATABASE_URL (or the local PGlite directory). */
runCommand(async () => {
  const argv = process.argv.slice(2);
  loadDotEnvFile();
  return withCommandDatabase(processIo, { command: 'rollout', poolMax: 1 }, async ({ database }) => {
    if (argv[0] === 'shadow-report') {
      // Compares with the old app's database, read-only: --old <url>, else MONOLITH_DATABASE_URL.
      const parsed = parseCommand(argv.slice(1), { old: { type: 'string' } });
      if (parsed.kind === 'usage') throw new Error(parsed.error);
      const url = (parsed.kind === 'run' ? parsed.values.old : undefined) ?? processIo.env.MONOLITH_DATABASE_URL;
      if (!url) throw new Error('shadow-report needs the old database: --old <postgres url> or MONOLITH_DATABASE_URL');
      const old = await createDatabase({ url, poolMax: 1 });
      try {
        await old.db.execute(sql`set session characteristics as transaction read only`);
        for (const line of formatShadowReport(await shadowReport(database.db, old.db))) processIo.stdout(line);
      } finally {
        await old.close();
      }
      return 0;
    }
    for (const line of await runRollout(database.db, argv)) processIo.stdout(line);
    return 0;
  });
});
