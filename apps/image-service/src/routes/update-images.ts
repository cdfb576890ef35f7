import { acceptRawBodies, errorResponseSchema, safeEqual, type ZodTypeProvider } from '@astria/service-kit';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

/**
 * `POST /update-images`: rebuild the packs' preview videos now (202; a rebuild in progress is joined).
 * The token comes as `Authorization: Bearer …` or `?token=`; the body is ignored (any content type).
 */
export async function updateImagesRoutes(app: FastifyInstance): Promise<void> {
  acceptRawBodies(app);
  const { config } = app.imageContext;
  app.withTypeProvider<ZodTypeProvider>().post(
    '/update-images',
    {
      schema: {
        description: 'Rebuilds the preview videos of every pack (in the background)',
        querystring: z.object({ token: z.string().max(512).optional() }),
        headers: z.looseObject({ authorization: z.string().max(1024).optional() }),
        response: {
          202: z.object({ status: z.enum(['started', 'already_running']) }),
          400: errorResponseSchema,
          401: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      const header = request.headers.authorization;
      const given = header?.startsWith('Bearer ') ? header.slice(7) : request.query.token;
      if (!given || !safeEqual(given, config.UPDATE_IMAGES_TOKEN)) {
        return reply.code(401).send({ error: 'unauthorized' });
      }
      const { started } = app.previews.start();
      return reply.code(202).send({ status: started ? 'started' : 'already_running' });
    },
  );
}
