import type { MessageServiceConfig } from '@astria/config';
import { permanentStoreError } from '@astria/db';
import {
  acceptRawBodies,
  parseJson,
  safeEqual,
  verifySha256Signature,
  type ZodTypeProvider,
} from '@astria/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { NotAWhatsAppNotification, parseNotification } from '../webhook/notification.js';
import { recordRefusals, refusedForGood } from '../webhook/refusals.js';

/** Meta allows up to 3 MB per notification; we accept up to 4 MB and answer 413 above. */
export const WEBHOOK_BODY_LIMIT = 4 * 1024 * 1024;

/** Meta's verification handshake. Absent or wrong values get 403 from the handler; malformed ones the schema's 400. */
const handshakeQuery = z.object({
  'hub.mode': z.string().max(64).optional().describe('"subscribe"'),
  'hub.verify_token': z.string().max(1024).optional().describe('must equal WHATSAPP_VERIFY_TOKEN'),
  'hub.challenge': z.string().max(512).optional().describe('echoed back as plain text'),
});

const notificationHeaders = z.looseObject({
  'x-hub-signature-256': z
    .string()
    .optional()
    .describe('sha256=<hex HMAC-SHA256 of the raw body with WHATSAPP_APP_SECRET>; missing or wrong → 401'),
});

/**
 * The body is NOT parsed by the framework: the signature is computed over the exact bytes Meta sent,
 * so the schema only describes it (for OpenAPI) and lets the raw Buffer through untouched.
 */
const notificationBody = z.any().meta({
  description:
    'A WhatsApp Business Account notification (object "whatsapp_business_account", entry[].changes[].value with ' +
    'messages and/or statuses), as the raw bytes Meta signed; verified before it is parsed. Up to 4 MB.',
});

const errorBody = z.object({ error: z.string(), message: z.string(), requestId: z.string().optional() });

export interface WhatsAppWebhookOptions {
  config: MessageServiceConfig;
}

/**
 * `GET /whatsapp/webhook` (verification handshake) and `POST /whatsapp/webhook` (notifications: signature
 * over the raw body, then parse, then one committed transaction through `app.webhookIngest`).
 * Encapsulated: its bodies arrive raw (acceptRawBodies) without affecting other routes.
 */
export const whatsappWebhookRoutes: FastifyPluginAsync<WhatsAppWebhookOptions> = async (instance, { config }) => {
  const app = instance.withTypeProvider<ZodTypeProvider>();
  const metrics = app.messageMetrics;
  acceptRawBodies(app);

  app.get(
    '/whatsapp/webhook',
    {
      schema: {
        summary: 'Meta webhook verification handshake',
        querystring: handshakeQuery,
        response: { 200: z.string().describe('hub.challenge'), 403: z.string() },
      },
    },
    async (request, reply) => {
      const { 'hub.mode': mode, 'hub.verify_token': token, 'hub.challenge': challenge } = request.query;
      if (
        mode === 'subscribe' &&
        token !== undefined &&
        challenge !== undefined &&
        challenge.length > 0 &&
        safeEqual(token, config.WHATSAPP_VERIFY_TOKEN)
      ) {
        return reply.code(200).type('text/plain; charset=utf-8').send(challenge);
      }
      return reply.code(403).type('text/plain; charset=utf-8').send('Forbidden');
    },
  );

  app.post(
    '/whatsapp/webhook',
    {
      bodyLimit: WEBHOOK_BODY_LIMIT,
      schema: {
        summary: 'WhatsApp notifications (messages and delivery statuses)',
        headers: notificationHeaders,
        body: notificationBody,
        response: {
          200: z.object({
            ok: z.literal(true),
            accepted: z.number(),
            duplicates: z.number(),
            statuses: z.number(),
            refused: z
              .number()
              .describe('messages and statuses refused for good (malformed, over a limit, unstorable)'),
          }),
          400: errorBody,
          401: errorBody,
          503: errorBody,
        },
      },
    },
    async (request, reply) => {
      const started = performance.now();
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const signature = request.headers['x-hub-signature-256'];
      if (!verifySha256Signature(config.WHATSAPP_APP_SECRET, raw, signature)) {
        metrics.webhookRequests.inc({ outcome: 'bad_signature' });
        request.log.warn({ hasSignature: typeof signature === 'string' }, 'webhook signature missing or invalid');
        return reply.code(401).send({ error: 'invalid_signature', message: 'X-Hub-Signature-256 missing or invalid' });
      }
      let parsed: ReturnType<typeof parseNotification>;
      try {
        const body = parseJson(raw);
        if (body === undefined) throw new NotAWhatsAppNotification('not JSON');
        parsed = parseNotification(body, config.WHATSAPP_NUMBER_ID);
      } catch (error) {
        metrics.webhookRequests.inc({ outcome: 'bad_payload' });
        return reply
          .code(400)
          .send({ error: 'bad_payload', message: `Not a WhatsApp notification: ${(error as Error).message}` });
      }
      recordRefusals(request.log, metrics, parsed.refused);
      try {
        // The move-over: the old app's part is split off and forwarded (rollout/route-notification.ts).
        const routed = await app.notificationRouter.route(raw, parsed);
        const result = await app.webhookIngest.ingest(routed.notification, request.id, routed.forward);
        metrics.webhookRequests.inc({ outcome: 'accepted' });
        metrics.ingestDuration.observe({ outcome: 'accepted' }, (performance.now() - started) / 1000);
        return reply.code(200).send({ ok: true, ...result, refused: parsed.refused.length });
      } catch (error) {
        const sqlState = permanentStoreError(error);
        if (sqlState !== null) return reply.code(200).send(refusedForGood(request.log, metrics, parsed, sqlState));
        metrics.webhookRequests.inc({ outcome: 'unavailable' });
        metrics.ingestDuration.observe({ outcome: 'unavailable' }, (performance.now() - started) / 1000);
        request.log.error({ err: error }, 'webhook not stored; Meta will retry');
        return reply
          .code(503)
          .header('retry-after', '5')
          .send({ error: 'unavailable', message: 'Temporarily unavailable, retry later', requestId: request.id });
      }
    },
  );

  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode === 413 && request.method === 'POST') metrics.webhookRequests.inc({ outcome: 'too_large' });
  });
};
