import { describe, expect, it } from 'vitest';
import { fuzz, MUTATION_CLASSES, WEBHOOKS } from '../src/faults/fuzz.js';
import { lostCallback } from '../src/faults/lost-callback.js';
import { duplicates, sigterm } from '../src/faults/message-faults.js';
import { paymentReplay } from '../src/faults/payment-replay.js';

// The fast, deterministic faults of `pnpm chaos`, against message-service as a real process
// (apps/message-service/dist/main.js) on a fresh PostgreSQL database. They need a server to create it on.
const databaseUrl = process.env.DATABASE_URL;

describe('fault suite (fast faults)', () => {
  it.skipIf(!databaseUrl)(
    'duplicates: every webhook 3–10×, at once and late, gets exactly one reply (needs DATABASE_URL)',
    async () => {
      const report = await duplicates({ databaseUrl: databaseUrl as string, size: 12 });
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    },
  );

  it.skipIf(!databaseUrl)(
    'sigterm: readiness 503 at once, every request accepted is answered, exit 0 (needs DATABASE_URL)',
    async () => {
      // pnpm chaos sigterm holds the probe to 250 ms; here other test files share the two cores.
      const report = await sigterm({ databaseUrl: databaseUrl as string, size: 400, readinessBudgetMs: 1000 });
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    },
    120_000,
  );

  it.skipIf(!databaseUrl)(
    'lost-callback: every Astria callback dropped, reconcile (twice at once) recovers the tune exactly once (needs DATABASE_URL)',
    async () => {
      const report = await lostCallback({ databaseUrl: databaseUrl as string });
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    },
    120_000,
  );

  it.skipIf(!databaseUrl)(
    'payment-replay: a payment replayed 20× at once is applied once (needs DATABASE_URL)',
    async () => {
      const report = await paymentReplay({ databaseUrl: databaseUrl as string });
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    },
  );

  it.skipIf(!databaseUrl)(
    `fuzz: 300 mutated authentic payloads per webhook (${WEBHOOKS.join(', ')}; ${MUTATION_CLASSES.join(', ')}) never get a 5xx nor store what was refused (needs DATABASE_URL)`,
    async () => {
      const report = await fuzz({ databaseUrl: databaseUrl as string, size: 300, seed: 7 });
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      expect(report.checks).toHaveLength(WEBHOOKS.length * 3);
    },
    240_000,
  );
});
