import { pgSchema } from 'drizzle-orm/pg-core';
import { createEventTables } from '../event-tables.js';

/** Owned by image-service: no other service reads or writes these tables. */
export const imagingSchema = pgSchema('imaging');

export const {
  outbox: imagingOutbox,
  inbox: imagingInbox,
  deadLetters: imagingDeadLetters,
} = createEventTables(imagingSchema);
