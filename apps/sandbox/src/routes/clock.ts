import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PageServerOptions } from '../page-server.js';

/**
 * The page's clock and consent view: `POST /api/clock/advance` moves the simulated WhatsApp's clock
 * forward (e.g. "+25 h": the 24-hour window of every user closes, so the next business-initiated message
 * goes behind a template), `GET /api/opted-out` lists the users who sent STOP.
 */
export async function clockRoutes(app: FastifyInstance, options: PageServerOptions): Promise<void> {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.post(
    '/api/clock/advance',
    { schema: { body: z.object({ hours: z.number().int().min(1).max(240) }) } },
    async (request, reply) => {
      if (!options.clock) return reply.code(409).send({ error: 'the clock moves only with the simulated WhatsApp' });
      options.clock.advance(request.body.hours * 3_600_000);
      return { offsetHours: options.clock.offsetMs() / 3_600_000 };
    },
  );
  routes.get('/api/opted-out', async () => ({ users: await options.optedOutUsers() }));
}
