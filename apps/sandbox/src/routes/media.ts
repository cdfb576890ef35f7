import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PageServerOptions } from '../page-server.js';

/** `GET /api/media/:id`: a photo the bot or the user sent, fetched from the WhatsApp simulator. */
export async function mediaRoutes(app: FastifyInstance, options: PageServerOptions): Promise<void> {
  app
    .withTypeProvider<ZodTypeProvider>()
    .get(
      '/api/media/:id',
      { schema: { params: z.object({ id: z.string().min(1).max(512) }) } },
      async (request, reply) => {
        const media = await options.fetchMedia(request.params.id);
        if (!media) return reply.code(404).send({ error: 'no such media' });
        return reply.type(media.mimeType).header('cache-control', 'private, max-age=3600').send(media.bytes);
      },
    );
}
