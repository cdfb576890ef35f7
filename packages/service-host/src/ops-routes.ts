import { EVENT_TABLES } from '@astria/db';
import { catalog, subscriptionsOf, type Transport, topicName } from '@astria/events';
import { errorResponseSchema, type ZodTypeProvider } from '@astria/service-kit';
import { and, count, eq, isNull } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';

const pingAccepted = z.object({
  id: z.uuid(),
  occurredAt: z.string().describe('ISO 8601: when the event was written to the outbox'),
});

const pingStatus = z.object({
  id: z.uuid(),
  handled: z.boolean(),
  handledAt: z.string().nullable().describe('ISO 8601: when the subscription committed it (its inbox row)'),
});

const deadLetterCount = z.object({
  service: z.string(),
  deadLetters: z.number().int().describe('Dead letters not yet replayed, across this service’s subscriptions'),
  store: z.enum(['broker', 'database']),
});

/**
 * The operator endpoints every service gets (`pnpm validate`, docs/operations/validation.md). Internal like
 * /metrics and /runs: the ingress routes only the webhook paths, so they are reached in the cluster or
 * through a port-forward.
 * - `POST /ops/ping` on the producer of `ops_ping`: publishes one through the outbox and returns its id;
 * - `GET /ops/ping/:id` on its subscribers: whether (and when) this service handled it — the inbox row
 *   the idempotent consumer commits, so any pod answers for all of them;
 * - `GET /ops/dead-letters` everywhere: how many dead letters wait for this service's subscriptions.
 */
export const opsRoutes = fp<{ transport: Transport }>(
  async (app: FastifyInstance, { transport }) => {
    const service = app.serviceName;
    const tables = EVENT_TABLES[service];
    const routes = app.withTypeProvider<ZodTypeProvider>();

    if (catalog.ops_ping.producer === service) {
      routes.post(
        '/ops/ping',
        {
          schema: {
            description: 'Publishes an ops_ping event (a broker round trip); its subscribers record its arrival',
            body: z.object({ requestedBy: z.string().min(1).max(100).optional() }).nullish(),
            response: { 202: pingAccepted, 400: errorResponseSchema },
          },
        },
        async (request, reply) => {
          const envelope = await app.database.db.transaction((tx) =>
            app.events.outbox.add(
              tx,
              'ops_ping',
              { requestedBy: request.body?.requestedBy ?? 'operator' },
              { key: null },
            ),
          );
          return reply.code(202).send({ id: envelope.id, occurredAt: envelope.occurredAt });
        },
      );
    }

    if ((catalog.ops_ping.subscribers as readonly string[]).includes(service)) {
      // The inbox row is the whole effect: it says the event went through the broker and was handled.
      app.events.consume({ ops_ping: async () => {} });
      routes.get(
        '/ops/ping/:id',
        {
          schema: {
            description: 'Whether this service handled the ops_ping event with this id, and when',
            params: z.object({ id: z.uuid() }),
            response: { 200: pingStatus, 400: errorResponseSchema },
          },
        },
        async (request) => {
          const [row] = await app.database.db
            .select({ handledAt: tables.inbox.handledAt })
            .from(tables.inbox)
            .where(and(eq(tables.inbox.subscription, service), eq(tables.inbox.eventId, request.params.id)))
            .limit(1);
          return { id: request.params.id, handled: Boolean(row), handledAt: row?.handledAt.toISOString() ?? null };
        },
      );
    }

    routes.get(
      '/ops/dead-letters',
      {
        schema: {
          description: "Dead letters waiting for this service's subscriptions (the broker's, or its own table)",
          response: { 200: deadLetterCount },
        },
      },
      async () => {
        if (transport.countDeadLetters) {
          const entities = subscriptionsOf(service).map((type) => ({ topic: topicName(type), subscription: service }));
          return { service, deadLetters: await transport.countDeadLetters(entities), store: 'broker' as const };
        }
        const [row] = await app.database.db
          .select({ n: count() })
          .from(tables.deadLetters)
          .where(isNull(tables.deadLetters.replayedAt));
        return { service, deadLetters: row?.n ?? 0, store: 'database' as const };
      },
    );
  },
  { name: 'astria-ops-routes', fastify: '5.x' },
);
