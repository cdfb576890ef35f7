import { payments, queryRows } from '@astria/db';
import { sql } from 'drizzle-orm';
import { Checks, type FaultReport } from '../report.js';
import { startPaymentStack } from '../stack.js';
import { pool } from '../webhooks.js';
import type { FaultOptions } from './message-faults.js';

/**
 * payment-service as a real process; each payment (SUMIT and Stripe) is delivered once by the payment
 * simulator and then replayed byte for byte 20× at once: applied once, one payment_received event.
 */
export async function paymentReplay(options: FaultOptions): Promise<FaultReport> {
  const checks = new Checks();
  const { sim, service, database, close } = await startPaymentStack(options.databaseUrl);
  const db = { database };
  try {
    const count = options.size ? Math.max(1, Math.floor(options.size / 20)) : 4;
    const made = [];
    for (let i = 0; i < count; i++) {
      const provider = i % 2 === 0 ? 'sumit' : 'stripe';
      made.push(
        await sim.pay({ provider, tier: 'standard', userId: `97250${String(1000000 + i)}`, name: 'Chaos Payer' }),
      );
    }
    const replays = await pool(
      made.flatMap((p) => Array.from({ length: 20 }, () => () => sim.resend(p))),
      made.length * 20,
    );
    const statuses = new Map<number, number>();
    for (const r of replays) statuses.set(r.webhookStatus, (statuses.get(r.webhookStatus) ?? 0) + 1);
    const rows = await queryRows<{ id: string; n: number; events: number }>(
      db.database.db,
      sql`select ${payments.payments.providerPaymentId} as id, count(*)::int as n,
                 count(distinct ${payments.payments.eventId})::int as events
          from ${payments.payments} group by 1`,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const wrong = made.filter((p) => byId.get(p.paymentId)?.n !== 1 || byId.get(p.paymentId)?.events !== 1);
    checks.check(
      'every first delivery answered 2xx',
      made.every((p) => p.webhookStatus >= 200 && p.webhookStatus < 300),
    );
    checks.check(
      'every replay answered 2xx',
      replays.every((r) => r.webhookStatus >= 200 && r.webhookStatus < 300),
    );
    checks.check('each payment applied once with one event', wrong.length === 0, `${wrong.length} of ${made.length}`);
    checks.check('service never crashed', !service.crashed);
    checks.figure('payments', made.length);
    checks.figure('replays', replays.length);
    checks.figure('replay statuses', [...statuses].map(([s, n]) => `${s}:${n}`).join(' '));
  } finally {
    await close();
  }
  return checks.report('payment-replay');
}
