import { ConfigError, type Env, loadConfig, loadDotEnvFile, type SharedConfig } from '@astria/config';
import { createDatabase, migrate, type ServiceName } from '@astria/db';
import { createEventRuntime, createTransport } from '@astria/events';
import { createLogger, withRetry } from '@astria/service-kit';
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { Registry } from 'prom-client';
import type { z } from 'zod';
import { createService, drainAndClose } from './create-service.js';
import { startTelemetry } from './telemetry.js';

type ServiceConfig = SharedConfig & { PORT: number };

/** Start-up steps (migrations, database, transport) retried from 1 s up to 30 s apart, for as long as it takes. */
const START_UP_BACKOFF = { baseMs: 1000, maxMs: 30_000 };

export interface RunServiceOptions<TSchema extends z.ZodType<ServiceConfig>> {
  service: ServiceName;
  configSchema: TSchema;
  /** The service's app plugin and the options it takes, built from the validated config. */
  app: (config: z.output<TSchema>) => {
    plugin: FastifyPluginAsync<Record<string, unknown>>;
    options: Record<string, unknown>;
  };
  env?: Env;
}

/** Loads the configuration or exits non-zero with every problem listed, before anything listens. */
export function loadServiceConfigOrExit<TSchema extends z.ZodType>(
  service: string,
  schema: TSchema,
  env?: Env,
): Readonly<z.output<TSchema>> {
  loadDotEnvFile(process.cwd(), env ?? process.env);
  try {
    return loadConfig(service, schema, env ?? process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

/**
 * What every main.ts does: config (fail fast), database (migrations retried until reachable, with
 * readiness 503 meanwhile), transport, events, the app, listen on 0.0.0.0, graceful shutdown.
 */
export async function runService<TSchema extends z.ZodType<ServiceConfig>>(
  options: RunServiceOptions<TSchema>,
): Promise<FastifyInstance> {
  const config = loadServiceConfigOrExit(options.service, options.configSchema, options.env) as ServiceConfig;
  const log = createLogger(options.service, config.LOG_LEVEL);
  const tracing = await startTelemetry(options.service, config.APPLICATIONINSIGHTS_CONNECTION_STRING);
  const database = await createDatabase({
    url: config.DATABASE_URL,
    poolMax: config.DATABASE_POOL_MAX,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    applicationName: options.service,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TX_TIMEOUT_MS,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
  });
  const transport = await createTransport(config);
  const registry = new Registry();
  const events = createEventRuntime({
    database,
    service: options.service,
    transport,
    registry,
    logger: log,
    maxDeliveryCount: config.EVENT_MAX_DELIVERY_COUNT,
    relay: { batchSize: config.OUTBOX_BATCH_SIZE, safetyPollMs: config.OUTBOX_SAFETY_POLL_MS },
  });
  let migrated = !config.RUN_MIGRATIONS;
  const { plugin, options: appOptions } = options.app(config as z.output<TSchema>);
  const app = await createService(
    {
      service: options.service,
      config,
      database,
      transport,
      events,
      registry,
      shutdownGraceMs: config.SHUTDOWN_GRACE_MS,
      readinessChecks: {
        migrations: async () => (migrated ? { ok: true } : { ok: false, detail: 'migrations not applied yet' }),
      },
    },
    plugin,
    appOptions,
  );

  // SIGTERM/SIGINT: drain (readiness 503, still serving) for SHUTDOWN_DRAIN_MS, then close within
  // SHUTDOWN_GRACE_MS; a second signal or an overrun exits at once. After an uncaught error: close at once.
  closeWithGrace({ delay: config.SHUTDOWN_DRAIN_MS + config.SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
    if (err) {
      app.log.error({ err }, 'shutting down after an error');
      await app.close();
      return;
    }
    app.log.info({ signal, drainMs: config.SHUTDOWN_DRAIN_MS }, 'shutting down: draining');
    await drainAndClose(app, config.SHUTDOWN_DRAIN_MS);
  });

  await app.listen({ host: config.HOST, port: config.PORT });

  // The database may be unreachable at start: keep trying with backoff, readiness says 503 meanwhile.
  void withRetry(
    async () => {
      if (!migrated) {
        await migrate(database, { url: config.DATABASE_URL });
        migrated = true;
      }
      await database.ping();
      await transport.start();
      await events.start();
      app.log.info({ transport: transport.name, database: database.driver, tracing }, 'events started');
    },
    {
      ...START_UP_BACKOFF,
      retries: Number.POSITIVE_INFINITY,
      shouldRetry: () => true,
      onRetry: (error, _attempt, delay) =>
        app.log.warn(
          { err: error instanceof Error ? error.message : String(error), retryInMs: delay },
          'start-up step failed; retrying',
        ),
    },
  );
  return app;
}
