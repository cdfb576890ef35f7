import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { ServiceName } from '@astria/db';
import { createTestDatabase, type TestDatabase } from '@astria/db/testing';
import {
  createEventRuntime,
  type EventRuntime,
  type EventRuntimeOptions,
  MemoryTransport,
  type MemoryTransportOptions,
} from '@astria/events';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Registry } from 'prom-client';
import { createService, type ServiceDependencies } from './create-service.js';

/**
 * The one test harness of a service: `createService` on a fresh migrated database
 * (`@astria/db/testing`), a memory transport and the service's event runtime, logs off.
 * The app is ready, not listening: drive it with `app.inject`.
 */
export interface BuildTestServiceOptions<TOptions extends Record<string, unknown>> {
  service: ServiceName;
  plugin: FastifyPluginAsync<TOptions>;
  options: TOptions;
  /** A database the caller owns (kept open on close); otherwise a fresh one, destroyed on close. */
  database?: TestDatabase;
  /** createTestDatabase's pool size when the harness creates the database. */
  poolMax?: number;
  transport?: MemoryTransportOptions;
  /** A transport shared with other test services (a producer and its subscriber); the caller starts and stops it. */
  sharedTransport?: MemoryTransport;
  registry?: Registry;
  /** The event runtime's own options (relay batch size and safety poll, max delivery count). */
  events?: Pick<EventRuntimeOptions, 'relay' | 'maxDeliveryCount'>;
  /** Stands in for parts of the event runtime the app gets (e.g. an outbox that fails once). */
  wrapEvents?: (events: EventRuntime) => EventRuntime;
  /** The rest of createService's options (body limit, readiness checks, version…). */
  host?: Omit<
    ServiceDependencies,
    | 'service'
    | 'config'
    | 'database'
    | 'transport'
    | 'events'
    | 'registry'
    | 'logger'
    | 'ownsDatabase'
    | 'ownsTransport'
  >;
}

export interface TestService {
  app: FastifyInstance;
  database: TestDatabase;
  transport: MemoryTransport;
  events: EventRuntime;
  registry: Registry;
  /** Starts delivery: the transport, then the relay and consumers. */
  startEvents(): Promise<void>;
  /** Closes the app (events, transport) and destroys the database it created. */
  close(): Promise<void>;
}

export async function buildTestService<TOptions extends Record<string, unknown>>(
  options: BuildTestServiceOptions<TOptions>,
): Promise<TestService> {
  const database = options.database ?? (await createTestDatabase(options.poolMax ? { poolMax: options.poolMax } : {}));
  const transport = options.sharedTransport ?? new MemoryTransport(options.transport);
  const registry = options.registry ?? new Registry();
  const runtime = createEventRuntime({
    database,
    service: options.service,
    transport,
    registry,
    ...options.events,
  });
  const events = options.wrapEvents ? options.wrapEvents(runtime) : runtime;
  const app = await createService(
    {
      ...options.host,
      service: options.service,
      config: { LOG_LEVEL: 'silent' },
      database,
      transport,
      events,
      registry,
      logger: false,
      ownsDatabase: false,
      ownsTransport: !options.sharedTransport,
    },
    options.plugin,
    options.options,
  );
  await app.ready();
  return {
    app,
    database,
    transport,
    events,
    registry,
    async startEvents() {
      if (!options.sharedTransport) await transport.start();
      await events.start();
    },
    async close() {
      await app.close();
      if (!options.database) await database.destroy();
    },
  };
}

/**
 * A service's OpenAPI document (from its route schemas) beside the one committed as
 * `docs/api/<service>.json`. With `UPDATE_API_DOCS=1` (`pnpm docs:api`) the committed file is rewritten
 * first, so a test comparing the two fails only when a route changed and its document did not.
 * `start` builds the app the way the service's tests do; it is closed before this returns.
 */
export async function apiDocuments(
  service: ServiceName,
  start: () => Promise<{ app: FastifyInstance; close(): Promise<void> }>,
): Promise<{ committed: string; current: string }> {
  // From packages/service-host/{src,dist}/testing.* to the repo's docs/api.
  const file = new URL(`../../../docs/api/${service}.json`, import.meta.url);
  const started = await start();
  let current: string;
  try {
    current = `${JSON.stringify(started.app.swagger(), null, 2)}\n`;
  } finally {
    await started.close();
  }
  if (process.env.UPDATE_API_DOCS === '1') {
    await mkdir(new URL('.', file), { recursive: true });
    await writeFile(file, current);
  }
  const committed = await readFile(file, 'utf8').catch(() => '(missing: run pnpm docs:api)\n');
  return { committed, current };
}
