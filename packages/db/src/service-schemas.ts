import type { EventTables } from './event-tables.js';
import * as imaging from './schema/imaging.js';
import * as maintenance from './schema/maintenance.js';
import * as messaging from './schema/messaging.js';
import * as payments from './schema/payments.js';

/** Which Postgres schema each service owns, in the order their migrations run. */
export const SERVICE_SCHEMAS = {
  'message-service': 'messaging',
  'image-service': 'imaging',
  'payment-service': 'payments',
  'maintenance-service': 'maintenance',
} as const;

export type ServiceName = keyof typeof SERVICE_SCHEMAS;
export type SchemaName = (typeof SERVICE_SCHEMAS)[ServiceName];
export const SCHEMA_NAMES = Object.values(SERVICE_SCHEMAS) as SchemaName[];

/** Schemas that belong to no single service (no event tables): the move-over's `rollout`. */
export const SHARED_SCHEMA_NAMES = ['rollout'] as const;
export type SharedSchemaName = (typeof SHARED_SCHEMA_NAMES)[number];
/** Every schema `migrate()` applies, in order. */
export const MIGRATED_SCHEMA_NAMES: readonly (SchemaName | SharedSchemaName)[] = [
  ...SCHEMA_NAMES,
  ...SHARED_SCHEMA_NAMES,
];

/** The outbox, inbox and dead-letter tables of each service. */
export const EVENT_TABLES: Record<ServiceName, EventTables> = {
  'message-service': {
    outbox: messaging.messagingOutbox,
    inbox: messaging.messagingInbox,
    deadLetters: messaging.messagingDeadLetters,
  },
  'image-service': {
    outbox: imaging.imagingOutbox,
    inbox: imaging.imagingInbox,
    deadLetters: imaging.imagingDeadLetters,
  },
  'payment-service': {
    outbox: payments.paymentsOutbox,
    inbox: payments.paymentsInbox,
    deadLetters: payments.paymentsDeadLetters,
  },
  'maintenance-service': {
    outbox: maintenance.maintenanceOutbox,
    inbox: maintenance.maintenanceInbox,
    deadLetters: maintenance.maintenanceDeadLetters,
  },
};
