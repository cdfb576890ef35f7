import { pgSchema } from 'drizzle-orm/pg-core';
import { createEventTables } from '../event-tables.js';

/** Owned by message-service: no other service reads or writes these tables. */
export const messagingSchema = pgSchema('messaging');

export const {
  outbox: messagingOutbox,
  inbox: messagingInbox,
  deadLetters: messagingDeadLetters,
} = createEventTables(messagingSchema);
