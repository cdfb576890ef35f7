import { errorResponseSchema, safeEqual, storableString, type ZodTypeProvider } from '@astria/service-kit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { markTuneTrained, recordPrompts } from '../callbacks.js';
import { callbackToken } from '../domain/callback-token.js';
import { type CallbackBody, MalformedCallbackError, parseCallbackBody } from '../domain/callbacks.js';

/** Astria's numeric ids (a number, or a string of digits). */
const astriaId = z.union([z.number().int().positive().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d{1,15}$/)]);
/** Every string that is stored is storable (no NUL, no lone surrogate: 400, never a 500) and bounded. */
const timestamp = storableString(64).nullable().optional();

/** A prompt as Astria sends it (only the fields the service reads; others pass through). */
const prompt = z.looseObject({
  id: astriaId,
  tune_id: astriaId.nullable().optional(),
  text: storableString(20_000).nullable().optional(),
  images: z
    .array(storableString(4096).regex(/^https?:\/\//))
    .max(200)
    .nullable()
    .optional(),
  /** A string or any JSON: stored sanitized, cut to 500 characters (domain/callbacks.ts). */
  user_error: z.unknown().optional(),
  created_at: timestamp,
});

/** A tune as Astria sends it (only the fields the service reads; others pass through). */
const tune = z.looseObject({
  id: astriaId,
  trained_at: timestamp,
  eta: timestamp,
  expires_at: timestamp,
});

/**
 * Astria's callback bodies: `{"prompt":{…}}`, a bare array of prompts (prompts_callback), `{"prompts":[…]}`,
 * `{"tune":{…}}`, or a flat prompt or tune. `parseCallbackBody` (domain/callbacks.ts) tells which.
 */
export const astriaCallbackBody = z.union([
  z.array(prompt).min(1).max(500),
  z.looseObject({ prompt }),
  z.looseObject({ prompts: z.array(prompt).max(500) }),
  z.looseObject({ tune }),
  z.looseObject({ ...prompt.shape, ...tune.shape }),
]);

/** The URL Astria was given: the request it belongs to and its HMAC token (checked before the body is read). */
const callbackQuery = z.object({
  request: z.string().min(1).max(200),
  token: z.string().min(1).max(200),
});

const callbackResponses = {
  200: z.object({ ok: z.literal(true), outcome: z.string() }),
  400: errorResponseSchema,
  401: errorResponseSchema,
  404: errorResponseSchema,
};

type Route = 'tune-trained' | 'pack-tune-received';

/**
 * `POST /tune-trained` and `POST /pack-tune-received`: Astria's callbacks. The token in the URL is checked
 * first (401), then the body (any content type, read as JSON) against the schema (400); the effects are in
 * callbacks.ts. A prompt sent to the tune URL, or a tune to the prompts URL, is taken all the same.
 */
export async function astriaCallbackRoutes(app: FastifyInstance): Promise<void> {
  const { config } = app.imageContext;
  const context = app.imageContext;
  const metrics = app.imageMetrics;

  // Any content type: Astria's bodies are JSON whatever the header says.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('the body is not JSON'), { statusCode: 400 }) as FastifyError, undefined);
    }
  });

  const routeOf = (request: FastifyRequest): Route =>
    request.routeOptions.url === '/tune-trained' ? 'tune-trained' : 'pack-tune-received';

  // The token is checked before anything is parsed.
  app.addHook('onRequest', async (request: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply) => {
    const { request: requestId, token } = request.query;
    if (
      typeof requestId !== 'string' ||
      !requestId ||
      typeof token !== 'string' ||
      !token ||
      !safeEqual(token, callbackToken(config.CALLBACK_SIGNING_SECRET, requestId))
    ) {
      const route = routeOf(request);
      metrics.callbacks.inc({ route, outcome: 'unauthorized' });
      request.log.warn({ route }, 'Astria callback with a missing or invalid token');
      return reply.code(401).send({ error: 'unauthorized' });
    }
  });
  // A body that is not JSON or fails the schema is counted as malformed.
  app.addHook('onError', async (request, _reply, error) => {
    if (error.statusCode === 400) metrics.callbacks.inc({ route: routeOf(request), outcome: 'malformed' });
  });

  async function handle(request: FastifyRequest, reply: FastifyReply, route: Route, requestId: string, body: unknown) {
    let parsed: CallbackBody;
    try {
      parsed = parseCallbackBody(body, route === 'tune-trained' ? 'tune' : 'prompts');
    } catch (error) {
      if (!(error instanceof MalformedCallbackError)) throw error;
      metrics.callbacks.inc({ route, outcome: 'malformed' });
      return reply.code(400).send({ error: 'bad_request', message: error.message });
    }
    if (parsed.kind === 'tune') {
      const outcome = await markTuneTrained(context, requestId, parsed.tune);
      metrics.callbacks.inc({ route, outcome });
      if (outcome === 'unknown_request') {
        request.log.warn({ requestId, tuneId: parsed.tune.id }, 'tune callback for an unknown tune');
        return reply.code(404).send({ error: 'unknown_tune' });
      }
      request.log.info({ requestId, tuneId: parsed.tune.id, outcome }, 'tune trained');
      return reply.code(200).send({ ok: true, outcome });
    }
    const { outcome } = await recordPrompts(context, requestId, parsed.prompts, {
      completeSet: parsed.completeSet,
      source: 'callback',
    });
    metrics.callbacks.inc({ route, outcome });
    if (outcome === 'unknown_request') {
      request.log.warn({ requestId }, 'prompt callback for an unknown tune');
      return reply.code(404).send({ error: 'unknown_tune' });
    }
    request.log.info({ requestId, outcome }, 'prompt callback');
    return reply.code(200).send({ ok: true, outcome });
  }

  const routes = app.withTypeProvider<ZodTypeProvider>();
  for (const route of ['tune-trained', 'pack-tune-received'] as const) {
    routes.post(
      `/${route}`,
      {
        schema: {
          description:
            route === 'tune-trained'
              ? "Astria's tune callback: the tune trained (its training photos are then deleted)"
              : "Astria's prompt callback: finished prompts, recorded once; when the set is complete, images_generated is published",
          querystring: callbackQuery,
          body: astriaCallbackBody,
          response: callbackResponses,
        },
      },
      (request, reply) => handle(request, reply, route, request.query.request, request.body),
    );
  }
}
