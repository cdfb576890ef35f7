import { errorResponseSchema, type ZodTypeProvider } from '@astria/service-kit';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

const runsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('How many runs, newest first (1–100)'),
});

const run = z.object({
  id: z.number().int(),
  command: z.string(),
  dryRun: z.boolean(),
  status: z.string(),
  startedAt: z.string().describe('ISO 8601'),
  finishedAt: z.string().nullable().describe('ISO 8601; null while running'),
  summary: z.unknown(),
});

const runsResponse = z.object({
  schedule: z.object({ cleanup: z.string().nullable(), reconcile: z.string().nullable() }),
  runs: z.array(run),
});

/** `GET /runs?limit=20`: the latest runs (scheduled and CronJob alike) and the next scheduled times. */
export async function runsRoutes(app: FastifyInstance): Promise<void> {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/runs',
    {
      schema: {
        description: 'The latest maintenance runs and the next scheduled time of each command',
        querystring: runsQuery,
        response: { 200: runsResponse, 400: errorResponseSchema },
      },
    },
    async (request) => {
      const runs = await app.runHistory.recent(request.query.limit);
      return {
        schedule: app.scheduler.next(),
        runs: runs.map((r) => ({
          ...r,
          startedAt: r.startedAt.toISOString(),
          finishedAt: r.finishedAt?.toISOString() ?? null,
        })),
      };
    },
  );
}
