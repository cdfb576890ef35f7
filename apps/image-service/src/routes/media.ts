import { imaging } from '@astria/db';
import { errorResponseSchema, type ZodTypeProvider } from '@astria/service-kit';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { assertBlobKey } from '../blob-storage.js';

/**
 * `GET /media/*`: locally stored blobs at a stable public URL (the Azure adapter serves from the storage
 * account). Photos are private: only previews are served. `GET /previews/:packId`: a pack's preview videos.
 */
export async function mediaRoutes(app: FastifyInstance): Promise<void> {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const { blobs } = app.imageContext;

  routes.get(
    '/media/*',
    {
      schema: {
        description: 'A stored preview video or image (photos are never served)',
        params: z.object({ '*': z.string().max(1024) }),
      },
    },
    async (request, reply) => {
      const key = request.params['*'];
      try {
        assertBlobKey(key);
      } catch {
        return reply.code(404).send({ error: 'not_found' });
      }
      if (!key.startsWith('previews/')) return reply.code(404).send({ error: 'not_found' });
      const blob = await blobs.get(key);
      if (!blob) return reply.code(404).send({ error: 'not_found' });
      return reply
        .header('cache-control', 'public, max-age=300')
        .header('cross-origin-resource-policy', 'cross-origin')
        .type(blob.contentType)
        .send(blob.bytes);
    },
  );

  routes.get(
    '/previews/:packId',
    {
      schema: {
        description: "A pack's preview videos, one per subject class",
        params: z.object({ packId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }),
        response: {
          200: z.array(z.object({ subjectClass: z.string(), url: z.string(), builtAt: z.string() })),
          400: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const rows = await app.database.db
        .select({
          subjectClass: imaging.previewVideos.subjectClass,
          url: imaging.previewVideos.url,
          builtAt: imaging.previewVideos.builtAt,
        })
        .from(imaging.previewVideos)
        .where(eq(imaging.previewVideos.packId, request.params.packId));
      return rows.map((row) => ({ ...row, builtAt: row.builtAt.toISOString() }));
    },
  );
}
