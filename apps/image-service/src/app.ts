import type { ImageServiceConfig } from '@astria/config';
import { imaging } from '@astria/db';
import { acceptRawBodies, parseJson, safeEqual } from '@astria/service-kit';
import { eq } from 'drizzle-orm';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { assertBlobKey, type BlobStorage } from './blob-storage.js';
import { createImageContext } from './context.js';
import { markTuneTrained, recordPrompts } from './delivery.js';
import { callbackToken } from './domain/callback-token.js';
import { MalformedCallbackError, parseCallbackBody } from './domain/callbacks.js';
import { JobWorker } from './jobs.js';
import { createImageMetrics } from './metrics.js';
import { handlePhotoMessage } from './photos.js';
import { PreviewRebuilder } from './previews.js';
import { handleTrainingRequested } from './training.js';

export interface ImageServiceAppOptions {
  config: ImageServiceConfig;
  /** Blob storage override (tests); default from BLOB_STORAGE. */
  blobs?: BlobStorage;
  /** Rebuild previews on the configured schedule (default true). */
  schedulePreviews?: boolean;
}

type CallbackRequest = FastifyRequest<{ Querystring: { request?: string; token?: string } }>;

/**
 * The image service: photo intake (user_message_received), training (training_requested), Astria
 * callbacks (/tune-trained, /pack-tune-received), pack preview videos (/update-images) and the
 * media route that serves locally stored blobs (/media/*).
 */
export const imageServiceApp: FastifyPluginAsync<ImageServiceAppOptions> = async (app, options) => {
  const { config } = options;
  const metrics = createImageMetrics(app.metrics);
  const context = createImageContext({
    database: app.database,
    config,
    log: app.log,
    metrics,
    outbox: app.events.outbox,
    ...(options.blobs ? { blobs: options.blobs } : {}),
  });
  const previews = new PreviewRebuilder(context);
  const jobs = new JobWorker(context, {
    pollMs: config.OUTBOX_SAFETY_POLL_MS,
    maxAttempts: config.EVENT_MAX_DELIVERY_COUNT,
    retryBaseMs: config.EVENT_RETRY_BASE_MS,
    retryMaxMs: config.EVENT_RETRY_MAX_MS,
  });

  app.events.consume({
    user_message_received: (event, tx) => handlePhotoMessage(context, event, tx),
    training_requested: (event, tx) => handleTrainingRequested(context, event, tx),
  });

  await app.register(async (callbacks: FastifyInstance) => {
    // Raw bodies: the token is checked before anything is parsed, and any content type is accepted.
    acceptRawBodies(callbacks);

    const verifyToken = async (request: CallbackRequest, reply: FastifyReply, route: string) => {
      const { request: requestId, token } = request.query;
      if (!requestId || !token || !safeEqual(token, callbackToken(config.CALLBACK_SIGNING_SECRET, requestId))) {
        metrics.callbacks.inc({ route, outcome: 'unauthorized' });
        request.log.warn({ route }, 'Astria callback with a missing or invalid token');
        return reply.code(401).send({ error: 'unauthorized' });
      }
    };
    const bodyOf = (request: FastifyRequest, expect: 'tune' | 'prompts') => {
      const json = parseJson(request.body);
      if (json === undefined) throw new MalformedCallbackError('the body is not JSON');
      return parseCallbackBody(json, expect);
    };

    callbacks.post<{ Querystring: { request?: string; token?: string } }>(
      '/tune-trained',
      { onRequest: (request, reply) => verifyToken(request, reply, 'tune-trained') },
      async (request, reply) => {
        const requestId = request.query.request as string;
        let body: ReturnType<typeof parseCallbackBody>;
        try {
          body = bodyOf(request, 'tune');
        } catch (error) {
          metrics.callbacks.inc({ route: 'tune-trained', outcome: 'malformed' });
          return reply.code(400).send({ error: 'bad_request', message: (error as Error).message });
        }
        if (body.kind !== 'tune') {
          // A prompt sent to the tune URL: take it (same request, same token).
          const outcome = await recordPrompts(context, requestId, body.prompts, {
            completeSet: body.completeSet,
            source: 'callback',
          });
          return answerPrompts(request, reply, 'tune-trained', requestId, outcome.outcome);
        }
        const outcome = await markTuneTrained(context, requestId, body.tune);
        metrics.callbacks.inc({ route: 'tune-trained', outcome });
        if (outcome === 'unknown_request') {
          request.log.warn({ requestId, tuneId: body.tune.id }, 'tune callback for an unknown tune');
          return reply.code(404).send({ error: 'unknown_tune' });
        }
        request.log.info({ requestId, tuneId: body.tune.id, outcome }, 'tune trained');
        return reply.code(200).send({ ok: true, outcome });
      },
    );

    callbacks.post<{ Querystring: { request?: string; token?: string } }>(
      '/pack-tune-received',
      { onRequest: (request, reply) => verifyToken(request, reply, 'pack-tune-received') },
      async (request, reply) => {
        const requestId = request.query.request as string;
        let body: ReturnType<typeof parseCallbackBody>;
        try {
          body = bodyOf(request, 'prompts');
        } catch (error) {
          metrics.callbacks.inc({ route: 'pack-tune-received', outcome: 'malformed' });
          return reply.code(400).send({ error: 'bad_request', message: (error as Error).message });
        }
        if (body.kind === 'tune') {
          const outcome = await markTuneTrained(context, requestId, body.tune);
          metrics.callbacks.inc({ route: 'pack-tune-received', outcome });
          if (outcome === 'unknown_request') return reply.code(404).send({ error: 'unknown_tune' });
          return reply.code(200).send({ ok: true, outcome });
        }
        const outcome = await recordPrompts(context, requestId, body.prompts, {
          completeSet: body.completeSet,
          source: 'callback',
        });
        return answerPrompts(request, reply, 'pack-tune-received', requestId, outcome.outcome);
      },
    );

    function answerPrompts(
      request: FastifyRequest,
      reply: FastifyReply,
      route: string,
      requestId: string,
      outcome: string,
    ) {
      metrics.callbacks.inc({ route, outcome });
      if (outcome === 'unknown_request') {
        request.log.warn({ requestId }, 'prompt callback for an unknown tune');
        return reply.code(404).send({ error: 'unknown_tune' });
      }
      request.log.info({ requestId, outcome }, 'prompt callback');
      return reply.code(200).send({ ok: true, outcome });
    }

    callbacks.post<{ Querystring: { token?: string } }>('/update-images', async (request, reply) => {
      const header = request.headers.authorization;
      const given = header?.startsWith('Bearer ') ? header.slice(7) : request.query.token;
      if (!given || !safeEqual(given, config.UPDATE_IMAGES_TOKEN)) {
        return reply.code(401).send({ error: 'unauthorized' });
      }
      const { started } = previews.start();
      return reply.code(202).send({ status: started ? 'started' : 'already_running' });
    });
  });

  // Locally stored blobs at a stable public URL (the Azure adapter serves from the storage account).
  // Photos are private: only previews are served.
  app.get<{ Params: { '*': string } }>('/media/*', async (request, reply) => {
    const key = request.params['*'];
    try {
      assertBlobKey(key);
    } catch {
      return reply.code(404).send({ error: 'not_found' });
    }
    if (!key.startsWith('previews/')) return reply.code(404).send({ error: 'not_found' });
    const blob = await context.blobs.get(key);
    if (!blob) return reply.code(404).send({ error: 'not_found' });
    return reply
      .header('cache-control', 'public, max-age=300')
      .header('cross-origin-resource-policy', 'cross-origin')
      .type(blob.contentType)
      .send(blob.bytes);
  });

  app.get<{ Params: { packId: string } }>('/previews/:packId', async (request) => {
    const packId = Number(request.params.packId);
    if (!Number.isSafeInteger(packId)) return [];
    return app.database.db
      .select({
        subjectClass: imaging.previewVideos.subjectClass,
        url: imaging.previewVideos.url,
        builtAt: imaging.previewVideos.builtAt,
      })
      .from(imaging.previewVideos)
      .where(eq(imaging.previewVideos.packId, packId));
  });

  app.addHook('onReady', async () => {
    await jobs.start();
    if (options.schedulePreviews !== false) await previews.schedule(config.PREVIEW_REBUILD_INTERVAL_HOURS);
  });
  app.addHook('onClose', async () => {
    await jobs.stop();
    await previews.stop();
  });
};
