import { loadConfig, type MaintenanceServiceConfig, maintenanceServiceConfigSchema } from '@astria/config';
import type { Database } from '@astria/db';
import { createTestDatabase, type TestDatabase } from '@astria/db/testing';
import { buildTestService } from '@astria/service-host/testing';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { type MaintenanceServiceAppOptions, maintenanceServiceApp } from '../src/app.js';
import type { ImageMaintenance, ImageMaintenanceProvider } from '../src/image-maintenance.js';

export const REQUIRED_ENV = {
  WHATSAPP_API_URL: 'http://127.0.0.1:9/v21.0',
  WHATSAPP_NUMBER_ID: '100000000000001',
  WHATSAPP_API_KEY: 'test-whatsapp-key',
  ASTRIA_API_URL: 'http://127.0.0.1:9',
  ASTRIA_API_KEY: 'test-astria-key',
  PUBLIC_BASE_URL: 'http://127.0.0.1:7072',
  CALLBACK_SIGNING_SECRET: 'test-callback-secret-0123456789abcdef',
  UPDATE_IMAGES_TOKEN: 'test-update-images-token',
  LOG_LEVEL: 'silent',
};

export function testConfig(overrides: Record<string, string> = {}): MaintenanceServiceConfig {
  return loadConfig('maintenance-service', maintenanceServiceConfigSchema, { ...REQUIRED_ENV, ...overrides });
}

/**
 * message-service owns these tables; until its migration is in, tests create them as specified
 * (wamid primary key + received_at indexed; conversations by user).
 */
export async function ensureMessagingTables(database: Database): Promise<void> {
  await database.db.execute(sql`create table if not exists messaging.inbound_messages (
    wamid text primary key, user_id text not null, type text not null,
    received_at timestamptz not null default now())`);
  await database.db.execute(
    sql`create index if not exists inbound_messages_received_at_idx on messaging.inbound_messages (received_at)`,
  );
  await database.db.execute(sql`create table if not exists messaging.conversations (
    user_id text primary key, state text not null, updated_at timestamptz not null default now())`);
}

export async function count(database: Database, table: string, where = 'true'): Promise<number> {
  const result = (await database.db.execute(
    sql.raw(`select count(*)::int as n from ${table} where ${where}`),
  )) as unknown;
  const rows = Array.isArray(result) ? result : ((result as { rows: Array<{ n: number }> }).rows ?? []);
  return Number((rows[0] as { n: number }).n);
}

export interface ImageMaintenanceCall {
  method: keyof ImageMaintenance;
  options: Record<string, unknown>;
}

/**
 * A recording stand-in for the image service's maintenance, injected where the app takes one
 * (the real one is tested by image-service). `hold` lets a test keep a run in progress.
 */
export function recordingImageMaintenance(overrides: Partial<ImageMaintenance> = {}): {
  provider: ImageMaintenanceProvider;
  calls: ImageMaintenanceCall[];
} {
  const calls: ImageMaintenanceCall[] = [];
  const impl: ImageMaintenance = {
    async reconcile(options) {
      calls.push({ method: 'reconcile', options });
      return overrides.reconcile ? overrides.reconcile(options) : { checked: 0, recovered: 0, pending: 0 };
    },
    async purgePhotos(options) {
      calls.push({ method: 'purgePhotos', options });
      return overrides.purgePhotos ? overrides.purgePhotos(options) : { rows: 0, blobs: 0 };
    },
    async deleteExpiredTunes(options) {
      calls.push({ method: 'deleteExpiredTunes', options });
      return overrides.deleteExpiredTunes ? overrides.deleteExpiredTunes(options) : { tunes: 0 };
    },
  };
  return { provider: async () => impl, calls };
}

/** The service's app as its main.ts composes it, over a test database and a memory transport (use `inject`). */
export async function buildApp(
  database: TestDatabase,
  options: Pick<MaintenanceServiceAppOptions, keyof MaintenanceServiceAppOptions>,
): Promise<FastifyInstance> {
  const { app } = await buildTestService({
    service: 'maintenance-service',
    plugin: maintenanceServiceApp,
    options,
    database,
  });
  return app;
}

/** A fresh migrated database with the message service's tables the maintenance jobs read. */
export async function maintenanceTestDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase();
  await ensureMessagingTables(database);
  return database;
}

/** The app with default test options on a fresh database; close() closes both. */
export async function startApp(): Promise<{ app: FastifyInstance; close(): Promise<void> }> {
  const database = await maintenanceTestDatabase();
  const app = await buildApp(database, {
    config: testConfig(),
    imageMaintenance: recordingImageMaintenance().provider,
  });
  return {
    app,
    async close() {
      await app.close();
      await database.destroy();
    },
  };
}

/** A promise a test resolves when it chooses. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
