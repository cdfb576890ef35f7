import { type AppTransaction, countAffected, jsonHoldsUser, sha256Hex } from '@astria/db';
import type { EventData, EventEnvelope } from '@astria/events';
import { type SQL, sql } from 'drizzle-orm';

export interface PaymentErasureCounts {
  /** Payments reduced to what prevents a double payment (provider, provider payment id, tier, amount, status). */
  payments: number;
  /** Rejected webhooks that held the user's number: deleted. */
  rejections: number;
  outbox: number;
  deadLetters: number;
}

/**
 * `user_data_erased`: in the inbox transaction, every payment of the user keeps only what prevents a
 * double payment — the unique (provider, provider payment id) and the amounts — and loses the user id,
 * the name and the provider's raw payload; rejected webhooks that held the number go; so do the user's
 * events in the outbox and dead letters. Rows newer than the erasure are the user's new data and stay.
 */
export async function handleUserDataErased(
  event: EventEnvelope<'user_data_erased', EventData<'user_data_erased'>>,
  tx: AppTransaction,
): Promise<PaymentErasureCounts> {
  const { userHash } = event.data;
  const erasedAt = new Date(event.data.erasedAt).toISOString();
  const count = (statement: SQL): Promise<number> => countAffected(tx, statement);
  return {
    payments: await count(
      sql`update payments.payments set user_id = null, name = null, raw_payload = '{}'::jsonb
           where ${sha256Hex(sql`user_id`)} = ${userHash} and received_at <= ${erasedAt}::timestamptz`,
    ),
    rejections: await count(
      sql`delete from payments.payment_rejections
           where ${jsonHoldsUser(sql`raw_payload`, userHash)} and received_at <= ${erasedAt}::timestamptz`,
    ),
    outbox: await count(
      sql`delete from payments.outbox where ${sha256Hex(sql`key`)} = ${userHash} and created_at <= ${erasedAt}::timestamptz`,
    ),
    deadLetters: await count(
      sql`delete from payments.dead_letters
           where ${sha256Hex(sql`key`)} = ${userHash} and dead_lettered_at <= ${erasedAt}::timestamptz`,
    ),
  };
}
