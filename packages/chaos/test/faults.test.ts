import { describe, expect, it } from 'vitest';
import { fuzz, MUTATION_CLASSES, type MutationClass } from '../src/faults/fuzz.js';
import { duplicates } from '../src/faults/message-faults.js';
import { paymentReplay } from '../src/faults/payment-replay.js';

// The fast, deterministic faults of `pnpm chaos`, against message-service as a real process
// (apps/message-service/dist/main.js) on a fresh PostgreSQL database. They need a server to create it on.
const databaseUrl = process.env.DATABASE_URL;

/**
 * Hostile classes that still get a 5xx from the WhatsApp webhook (issue #16 item 2, fixed later in the
 * routes): a NUL in a message id or text, a lone surrogate in a profile name, or a huge message id
 * fails its insert (text/jsonb/btree cannot hold them) and is answered 503, which Meta retries for days.
 */
const KNOWN_FAILING: readonly MutationClass[] = ['nul', 'lone-surrogate', 'huge-string'];
// `pnpm chaos fuzz` runs every class and reports these failures; docs/reliability.md records them.
const PASSING = MUTATION_CLASSES.filter((c) => !KNOWN_FAILING.includes(c));

describe('fault suite (fast faults)', () => {
  it.skipIf(!databaseUrl)(
    'duplicates: every webhook 3–10×, at once and late, gets exactly one reply (needs DATABASE_URL)',
    async () => {
      const report = await duplicates({ databaseUrl: databaseUrl as string, size: 12 });
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    },
  );

  it.skipIf(!databaseUrl)(
    'payment-replay: a payment replayed 20× at once is applied once (needs DATABASE_URL)',
    async () => {
      const report = await paymentReplay({ databaseUrl: databaseUrl as string });
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    },
  );

  it.skipIf(!databaseUrl)(
    `fuzz: 300 mutated authentic payloads (${PASSING.join(', ')}) never get a 5xx (needs DATABASE_URL)`,
    async () => {
      const report = await fuzz({ databaseUrl: databaseUrl as string, size: 300, classes: PASSING, seed: 7 });
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    },
  );
});
