#!/usr/bin/env node
import { loadDotEnvFile } from '@astria/config';
import { type CommandLine, parseCommand, processIo, runCommandLine } from '@astria/service-kit/cli';
import { withCommandDatabase } from './command.js';
import { migrate } from './migrate.js';

const USAGE = `Usage: pnpm db:migrate

Applies every service's migrations to DATABASE_URL (or the PGlite directory PGLITE_DATA_DIR when unset).`;

/** No arguments besides --help; anything else is a mistake worth stopping for. */
function parseMigrateArgs(argv: readonly string[]): CommandLine<{ kind: 'run' }> {
  const parsed = parseCommand(argv, {});
  if (parsed.kind === 'run' && parsed.positionals.length > 0) {
    return { kind: 'usage', error: `unexpected argument ${parsed.positionals[0]}` };
  }
  return parsed;
}

/** `pnpm db:migrate`: applies every service's migrations to DATABASE_URL (or the local PGlite directory). */
runCommandLine(parseMigrateArgs(process.argv.slice(2)), USAGE, async () => {
  loadDotEnvFile();
  const started = Date.now();
  return withCommandDatabase(processIo, { command: 'db:migrate', poolMax: 1 }, async ({ config, database }) => {
    const schemas = await migrate(database, { url: config.DATABASE_URL });
    const target = config.DATABASE_URL ? 'PostgreSQL' : `PGlite at ${config.PGLITE_DATA_DIR}`;
    processIo.stdout(`Migrated ${schemas.join(', ')} on ${target} in ${Date.now() - started} ms`);
    return 0;
  });
});
