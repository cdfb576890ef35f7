import { pgSchema } from 'drizzle-orm/pg-core';
import { createEventTables } from '../event-tables.js';

/** Owned by payment-service: no other service reads or writes these tables. */
export const paymentsSchema = pgSchema('payments');

export const {
  outbox: paymentsOutbox,
  inbox: paymentsInbox,
  deadLetters: paymentsDeadLetters,
} = createEventTables(paymentsSchema);
