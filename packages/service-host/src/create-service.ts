import { randomUUID } from 'node:crypto';
import type { SharedConfig } from '@astria/config';
import type { Database, ServiceName } from '@astria/db';
import type { EventRuntime, Transport } from '@astria/events';
import { errorsPlugin, type HealthCheck, healthPlugin, loggerOptions, metricsPlugin } from '@astria/service-kit';
import swagger from '@fastify/swagger';
import underPressure from '@fastify/under-pressure';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { Registry } from 'prom-client';
import { opsRoutes } from './ops-routes.js';
import { securityHeadersPlugin } from './security-headers.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The service's database (its own Postgres schema). */
    database: Database;
    /** The service's outbox, relay and consumers. */
    events: EventRuntime;
    /** The service's name, as in the event catalog. */
    serviceName: ServiceName;
    /**
     * Shutdown, step one: readiness answers 503 from now on ("draining") while requests are still served,
     * so load balancers stop sending before the server stops accepting (see `drainAndClose`).
     */
    startDraining(): void;
  }
}

export interface ServiceDependencies {
  service: ServiceName;
  config: Pick<SharedConfig, 'LOG_LEVEL'>;
  database: Database;
  transport: Transport;
  events: EventRuntime;
  registry?: Registry;
  /** Who closes the database and transport when the app closes (false in the sandbox, which shares them). */
  ownsDatabase?: boolean;
  ownsTransport?: boolean;
  /** false silences logs (tests); otherwise JSON logs at config.LOG_LEVEL. */
  logger?: boolean;
  /** Default body limit in bytes; routes may set their own. */
  bodyLimit?: number;
  /** Extra readiness checks (e.g. migrations applied). */
  readinessChecks?: Record<string, HealthCheck>;
  version?: string;
  shutdownGraceMs?: number;
  /** The OpenAPI document's description of this service (its routes come from their zod schemas). */
  apiDescription?: string;
}

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/**
 * Route schemas are zod: given as the server's compilers factory (what `setValidatorCompiler` and
 * `setSerializerCompiler` install), Fastify never builds its default ones, ajv and fast-json-stringify
 * (some 100 modules, ~80 ms at start), which no route would use. Fastify types the factories for ajv.
 */
const ZOD_COMPILERS = {
  buildValidator: () => validatorCompiler,
  buildSerializer: () => serializerCompiler,
} as unknown as CompilersFactory;

/**
 * Builds a service's Fastify app: logs with redaction, helmet, body limits, back-pressure, health,
 * metrics and an error handler that never leaks internals, then the service's own plugin.
 * It does not listen: only a service's main.ts does.
 */
export async function createService<TOptions extends Record<string, unknown>>(
  deps: ServiceDependencies,
  appPlugin: FastifyPluginAsync<TOptions>,
  appOptions: TOptions,
): Promise<FastifyInstance> {
  const logger: FastifyServerOptions['logger'] =
    deps.logger === false ? false : loggerOptions(deps.service, deps.config.LOG_LEVEL);
  const app = Fastify({
    schemaController: { compilersFactory: ZOD_COMPILERS },
    logger,
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    trustProxy: true,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const registry = deps.registry ?? new Registry();
  registry.setDefaultLabels({ service: deps.service });

  // Route schemas are zod (like config and event payloads): they validate requests (a malformed query
  // or body gets a 400 naming the field) and type handlers; @fastify/swagger turns them into OpenAPI.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: deps.service, version: deps.version ?? '1.0.0', description: deps.apiDescription ?? '' },
    },
    transform: jsonSchemaTransform,
  });

  let draining = false;
  app.decorate('startDraining', () => {
    draining = true;
  });
  app.decorate('database', deps.database);
  app.decorate('events', deps.events);
  app.decorate('serviceName', deps.service);

  await app.register(errorsPlugin);
  await app.register(securityHeadersPlugin);
  await app.register(underPressure, {
    maxEventLoopDelay: 2000,
    retryAfter: 5,
    message: 'Service under pressure, retry shortly',
  });
  await app.register(metricsPlugin, { registry });
  // Readiness is the database and the transport answering, plus the service's own conditions.
  await app.register(healthPlugin, {
    service: deps.service,
    version: deps.version ?? process.env.APP_VERSION ?? 'dev',
    // Shutdown began: 503 at once, without waiting on a database ping behind busy connections.
    isDraining: () => draining,
    checks: {
      database: async () => {
        await deps.database.ping();
        return { ok: true };
      },
      transport: () => deps.events.health(),
      ...deps.readinessChecks,
    },
  });

  // Correlation id: from the caller, or the request id; echoed back so a user's report can be traced.
  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers['x-correlation-id'];
    const correlationId = typeof header === 'string' && /^[\w.:-]{1,128}$/.test(header) ? header : request.id;
    request.log = request.log.child({ correlationId });
    reply.header('x-request-id', request.id);
  });

  // Draining: a request still in flight when close() starts is answered, then its keep-alive
  // connection is closed too (Node closes only the connections idle at that moment; a connection
  // that turns idle later would keep the server open until the keep-alive timeout).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  // Shutdown order: stop taking requests (Fastify), stop publishing, drain handlers, mark what settled, close the pool.
  app.addHook('onClose', async () => {
    await deps.events.stop();
    if (deps.ownsTransport !== false) await deps.transport.stop(deps.shutdownGraceMs ?? 10_000);
    await deps.events.close();
    if (deps.ownsDatabase !== false) await deps.database.close();
  });

  // The operator endpoints (pnpm validate): the broker round trip and the dead-letter count.
  await app.register(opsRoutes, { transport: deps.transport });

  await app.register(appPlugin, appOptions);
  return app;
}

/**
 * A graceful stop without a failed request: readiness 503 at once, requests still served for `drainMs`
 * (load balancers and clients that watch readiness stop sending meanwhile), then close: stop accepting,
 * finish every accepted request (keep-alive connections closed after their answer), stop consuming and
 * wait for running handlers and the relay, close the transport and the pool.
 */
export async function drainAndClose(app: FastifyInstance, drainMs: number): Promise<void> {
  app.startDraining();
  if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
  await app.close();
}
