#!/usr/bin/env node
import { CONFIG_EXIT, loadCommandConfig, loadDotEnvFile, sharedConfigSchema } from '@astria/config';
import { withCommandDatabase } from '@astria/db';
import { type CommandLine, parseCommand, processIo, runCommandLine } from '@astria/service-kit/cli';
import { listDeadLetters, printDeadLetters, replayDeadLetter } from './dead-letters.js';

const USAGE = `Usage:
  pnpm events dlq list                 list dead-lettered events, oldest first
  pnpm events dlq replay <ref>...      replay the named dead letters (refs from "list", e.g. messaging:12)
  pnpm events dlq replay --all         replay every dead letter

Reads DATABASE_URL (or the sandbox's PGlite directory when unset: stop the sandbox first).
With EVENT_TRANSPORT=servicebus the dead letters are in each subscription's $deadletterqueue.`;

type DeadLetterCommand = { kind: 'dlq'; command: 'list' | 'replay'; refs: string[]; all: boolean };

function parseDeadLetterArgs(argv: readonly string[]): CommandLine<DeadLetterCommand> {
  const parsed = parseCommand(argv, { all: { type: 'boolean', default: false } });
  if (parsed.kind !== 'run') return parsed;
  const [group, command, ...refs] = parsed.positionals;
  if (group !== 'dlq' || (command !== 'list' && command !== 'replay')) {
    return { kind: 'usage', error: 'expected dlq list or dlq replay' };
  }
  return { kind: 'dlq', command, refs, all: parsed.values.all };
}

async function run({ command, refs, all }: DeadLetterCommand): Promise<number> {
  loadDotEnvFile();
  const config = loadCommandConfig('events', sharedConfigSchema, processIo);
  if (config === undefined) return CONFIG_EXIT;
  if (config.EVENT_TRANSPORT === 'servicebus') {
    // The Service Bus command reads its own arguments (refs and --all) as before; its SDK loads only here.
    const { runServiceBusDeadLetterCommand } = await import('./transports/servicebus-dlq.js');
    return runServiceBusDeadLetterCommand(config, command, all ? [...refs, '--all'] : refs);
  }
  return withCommandDatabase(processIo, { command: 'events', poolMax: 2 }, async ({ database }) => {
    if (command === 'list') {
      printDeadLetters(await listDeadLetters(database));
      return 0;
    }
    const toReplay = all ? (await listDeadLetters(database)).map((d) => d.ref) : refs;
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
  });
}

runCommandLine(parseDeadLetterArgs(process.argv.slice(2)), USAGE, run);
