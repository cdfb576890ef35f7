export {
  ConnectionCircuit,
  DatabaseUnavailableError,
  databaseUnavailable,
  isConnectionError,
  permanentStoreError,
  type UnavailableReason,
} from './availability.js';
export {
  type AppDatabase,
  type AppTransaction,
  type CreateDatabaseOptions,
  createDatabase,
  DATABASE_TIMEOUT_DEFAULTS,
  type Database,
  type DatabaseDriver,
  type Executor,
  queryRows,
} from './client.js';
export { type CommandDatabaseOptions, withCommandDatabase } from './command.js';
export { countAffected, jsonHoldsUser, rowUserHashes, sha256Hex, textHoldsUser } from './erasure.js';
export { createEventTables, type EventTables } from './event-tables.js';
export { MIGRATION_LOCK_ID, MIGRATIONS_DIR, type MigrateOptions, migrate } from './migrate.js';
export * from './schema/index.js';
export {
  EVENT_TABLES,
  MIGRATED_SCHEMA_NAMES,
  SCHEMA_NAMES,
  type SchemaName,
  SERVICE_SCHEMAS,
  type ServiceName,
  SHARED_SCHEMA_NAMES,
  type SharedSchemaName,
} from './service-schemas.js';
