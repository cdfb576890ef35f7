import { pgSchema } from 'drizzle-orm/pg-core';
import { createEventTables } from '../event-tables.js';

/** Owned by maintenance-service: no other service reads or writes these tables. */
export const maintenanceSchema = pgSchema('maintenance');

export const {
  outbox: maintenanceOutbox,
  inbox: maintenanceInbox,
  deadLetters: maintenanceDeadLetters,
} = createEventTables(maintenanceSchema);
