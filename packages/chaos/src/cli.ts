#!/usr/bin/env node
import { fuzz } from './faults/fuzz.js';
import { lostCallback } from './faults/lost-callback.js';
import { duplicates, type FaultOptions, graphErrors, pgOutage, sigkill, sigterm } from './faults/message-faults.js';
import { paymentReplay } from './faults/payment-replay.js';
import { type FaultReport, printReport } from './report.js';

const FAULTS: Record<string, (o: FaultOptions) => Promise<FaultReport>> = {
  duplicates,
  sigkill,
  sigterm,
  'pg-outage': pgOutage,
  'graph-errors': graphErrors,
  'payment-replay': paymentReplay,
  'lost-callback': lostCallback,
  fuzz,
};

/** `pnpm chaos <fault>`: runs one fault against real processes on real PostgreSQL; exit 1 when it failed. */
async function main(): Promise<void> {
  const name = process.argv[2];
  const runner = name ? FAULTS[name] : undefined;
  if (!runner) {
    process.stderr.write(`usage: pnpm chaos <${Object.keys(FAULTS).join('|')}>\n`);
    process.exit(64);
  }
  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const size = process.env.CHAOS_SIZE ? Number(process.env.CHAOS_SIZE) : undefined;
  const outageMs = process.env.CHAOS_OUTAGE_MS ? Number(process.env.CHAOS_OUTAGE_MS) : undefined;
  // fuzz only: CHAOS_WEBHOOKS=whatsapp,astria limits it to those webhooks.
  const webhooks = process.env.CHAOS_WEBHOOKS?.split(',').filter(Boolean);
  const report = await runner({
    databaseUrl,
    ...(size ? { size } : {}),
    ...(outageMs ? { outageMs } : {}),
    ...(webhooks?.length ? { webhooks } : {}),
  } as FaultOptions);
  printReport(report);
  process.exitCode = report.ok ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
