#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadConfig, loadDotEnvFile, sharedConfigSchema } from '@astria/config';
import { createDatabase } from '@astria/db';
import { listDeadLetters, printDeadLetters, replayDeadLetter } from './dead-letters.js';
import { runServiceBusDeadLetterCommand } from './transports/servicebus-dlq.js';

const USAGE = `Usage:
  pnpm events dlq list                 list dead-lettered events, oldest first
  pnpm events dlq replay <ref>...      replay the named dead letters (refs from "list", e.g. messaging:12)
  pnpm events dlq replay --all         replay every dead letter

Reads DATABASE_URL (or the sandbox's PGlite directory when unset: stop the sandbox first).
With EVENT_TRANSPORT=servicebus the dead letters are in each subscription's $deadletterqueue.`;

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: { all: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  });
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const [group, command, ...refs] = parsed.positionals;
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  if (group !== 'dlq' || (command !== 'list' && command !== 'replay')) {
    console.error(USAGE);
    return 2;
  }
  // The Service Bus command reads its own arguments (refs and --all) as before.
  const rest = parsed.values.all ? [...refs, '--all'] : refs;
  loadDotEnvFile();
  const config = loadConfig('events', sharedConfigSchema);
  if (config.EVENT_TRANSPORT === 'servicebus') {
    return runServiceBusDeadLetterCommand(config, command, rest);
  }
  const database = await createDatabase({
    url: config.DATABASE_URL,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    poolMax: 2,
  });
  try {
    if (command === 'list') {
      printDeadLetters(await listDeadLetters(database));
      return 0;
    }
    const toReplay = parsed.values.all ? (await listDeadLetters(database)).map((d) => d.ref) : refs;
    if (toReplay.length === 0) {
      console.error('Name the dead letters to replay (see "pnpm events dlq list"), or --all.');
      return 2;
    }
    let failures = 0;
    for (const ref of toReplay) {
      try {
        const replayed = await replayDeadLetter(database, ref);
        if (replayed) console.log(`Replayed ${ref}: ${replayed.type} ${replayed.eventId} → ${replayed.subscription}`);
        else {
          failures++;
          console.error(`Not replayed ${ref}: no such dead letter, or already replayed.`);
        }
      } catch (error) {
        failures++;
        console.error(`Not replayed ${ref}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return failures === 0 ? 0 : 1;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
