#!/usr/bin/env node
import { loadDotEnvFile } from '@astria/config';
import { createDatabase, type Database, withCommandDatabase } from '@astria/db';
import { type CommandLine, type ParsedCommand, parseCommand, processIo, runCommandLine } from '@astria/service-kit/cli';
import { sql } from 'drizzle-orm';
import { formatImportReport, migrateFromMonolith } from './migrate-from-monolith.js';
import { migrateToMonolith } from './migrate-to-monolith.js';

const USAGE = `Usage:
  pnpm migrate-from-monolith --source <postgres url> [--dry-run] [--since-days N] [--batch N] [--restart]
  pnpm migrate-to-monolith --target <postgres url> [--users id,id] [--force]

from: imports the old app's users, recent message ids, payment ids and ratings into DATABASE_URL
      (read-only on the source; idempotent; an interrupted run resumes; --restart starts over).
to:   after \`pnpm rollout set --stage fallback\`, writes the users it handed back into the old tables.`;

/** host/database of a URL, never its password: names the resume checkpoints and the log lines. */
export function sourceName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

async function openOld(url: string, readOnly: boolean): Promise<Database> {
  const database = await createDatabase({ url, poolMax: 1 });
  // One connection, read-only for the whole session: the import cannot write to the old database.
  if (readOnly) await database.db.execute(sql`set session characteristics as transaction read only`);
  return database;
}

const OPTIONS = {
  source: { type: 'string' },
  target: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  'since-days': { type: 'string' },
  batch: { type: 'string' },
  restart: { type: 'boolean', default: false },
  users: { type: 'string' },
  force: { type: 'boolean', default: false },
} as const;

type MigrateCommand = {
  kind: 'migrate';
  direction: 'from' | 'to';
  url: string;
  values: Extract<ParsedCommand<typeof OPTIONS>, { kind: 'run' }>['values'];
};

/** `from --source <url> …` or `to --target <url> …`. */
function parseMigrateArgs(argv: readonly string[]): CommandLine<MigrateCommand> {
  const [direction, ...rest] = argv;
  const parsed = parseCommand(rest, OPTIONS);
  if (parsed.kind !== 'run') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length > 0) return { kind: 'usage', error: `unexpected argument ${positionals[0]}` };
  if (direction === 'from' && values.source) return { kind: 'migrate', direction, url: values.source, values };
  if (direction === 'to' && values.target) return { kind: 'migrate', direction, url: values.target, values };
  return { kind: 'usage', error: 'expected from --source <postgres url> or to --target <postgres url>' };
}

async function run({ direction, url, values }: MigrateCommand): Promise<number> {
  loadDotEnvFile();
  return withCommandDatabase(processIo, { command: 'rollout', poolMax: 2 }, async ({ database }) => {
    const old = await openOld(url, direction === 'from');
    try {
      if (direction === 'from') {
        const tty = process.stderr.isTTY;
        const report = await migrateFromMonolith({
          oldDb: old.db,
          db: database.db,
          source: sourceName(url),
          dryRun: values['dry-run'],
          restart: values.restart,
          ...(values['since-days'] ? { sinceDays: Number(values['since-days']) } : {}),
          ...(values.batch ? { batchSize: Number(values.batch) } : {}),
          onProgress: (kind, done, total) => {
            if (tty) process.stderr.write(`\r${kind}: ${done}/${total}   `);
          },
        });
        if (tty) process.stderr.write('\n');
        for (const line of formatImportReport(report)) console.log(line);
      } else {
        const report = await migrateToMonolith({
          db: database.db,
          oldDb: old.db,
          force: values.force,
          ...(values.users
            ? {
                users: values.users
                  .split(',')
                  .map((u) => u.trim())
                  .filter(Boolean),
              }
            : {}),
        });
        console.log(
          `exported ${report.users} users; message ids added ${report.messageIds}; payment ids added ${report.paymentIds}`,
        );
      }
      return 0;
    } finally {
      await old.close();
    }
  });
}

runCommandLine(parseMigrateArgs(process.argv.slice(2)), USAGE, run);
