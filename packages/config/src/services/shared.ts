import { z } from 'zod';
import { bool, positiveInt } from '../fields.js';

/** What every service reads: logging, database, event transport, delivery policy. */
export const sharedConfigShape = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
    .optional()
    .describe('unset: embedded PGlite under PGLITE_DATA_DIR'),
  DATABASE_POOL_MAX: positiveInt(10),
  DATABASE_STATEMENT_TIMEOUT_MS: positiveInt(5000).describe('PostgreSQL statement_timeout of every connection'),
  DATABASE_IDLE_IN_TX_TIMEOUT_MS: positiveInt(10_000).describe(
    'PostgreSQL idle_in_transaction_session_timeout of every connection',
  ),
  DATABASE_CONNECT_TIMEOUT_MS: positiveInt(2000).describe('how long opening one PostgreSQL connection may take'),
  PGLITE_DATA_DIR: z.string().default('.data/pglite'),
  EVENT_TRANSPORT: z.enum(['memory', 'servicebus'], { error: 'memory or servicebus' }).default('memory'),
  SERVICEBUS_CONNECTION_STRING: z.string().optional(),
  SERVICEBUS_NAMESPACE: z.string().optional(),
  SERVICEBUS_MAX_CONCURRENT_SESSIONS: positiveInt(8).describe(
    'Service Bus: sessions (event keys) handled at once per subscription and ordered topic',
  ),
  SERVICEBUS_MAX_CONCURRENT_CALLS: positiveInt(16).describe(
    'Service Bus: deliveries handled at once per subscription and unordered topic',
  ),
  SERVICEBUS_SESSION_IDLE_MS: positiveInt(1000).describe(
    'Service Bus: how long an idle session is kept before its lock is given up for another',
  ),
  EVENT_MAX_DELIVERY_COUNT: positiveInt(10),
  EVENT_RETRY_BASE_MS: positiveInt(1000),
  EVENT_RETRY_MAX_MS: positiveInt(60_000),
  OUTBOX_SAFETY_POLL_MS: positiveInt(5000),
  OUTBOX_BATCH_SIZE: positiveInt(200),
  SHUTDOWN_DRAIN_MS: z.coerce
    .number()
    .int('a whole number')
    .min(0, 'zero or a positive whole number')
    .default(3000)
    .describe(
      'after SIGTERM: readiness answers 503 at once, requests are still served this long (so load balancers stop sending), then the server stops accepting',
    ),
  SHUTDOWN_GRACE_MS: positiveInt(10_000).describe(
    'after the drain: how long in-flight requests and event handlers may take before the process exits anyway',
  ),
  RUN_MIGRATIONS: bool(false),
  APPLICATIONINSIGHTS_CONNECTION_STRING: z.string().optional(),
};

/** Service Bus needs either a connection string or a namespace (managed identity). */
export function requireTransportSettings(
  value: { EVENT_TRANSPORT: string; SERVICEBUS_CONNECTION_STRING?: string; SERVICEBUS_NAMESPACE?: string },
  ctx: z.RefinementCtx,
): void {
  if (value.EVENT_TRANSPORT === 'servicebus' && !value.SERVICEBUS_CONNECTION_STRING && !value.SERVICEBUS_NAMESPACE) {
    ctx.addIssue({
      code: 'custom',
      path: ['SERVICEBUS_CONNECTION_STRING'],
      message: 'SERVICEBUS_CONNECTION_STRING or SERVICEBUS_NAMESPACE is required when EVENT_TRANSPORT=servicebus',
    });
  }
}

export const sharedConfigSchema = z.object(sharedConfigShape).superRefine(requireTransportSettings);
export type SharedConfig = z.output<typeof sharedConfigSchema>;
