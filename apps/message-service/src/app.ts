import type { MessageServiceConfig } from '@astria/config';
import { acceptRawBodies, parseJson, safeEqual, verifySha256Signature } from '@astria/service-kit';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { GraphClient } from './graph/client.js';
import { Throttle } from './graph/throttle.js';
import { registerMessageMetrics } from './metrics.js';
import { PacksClient } from './packs.js';
import { MessageService } from './service.js';
import { NotAWhatsAppNotification, parseNotification } from './webhook/notification.js';

export interface MessageServiceAppOptions {
  config: MessageServiceConfig;
  /** Override the clock (tests). */
  now?: () => Date;
  [key: string]: unknown;
}

declare module 'fastify' {
  interface FastifyInstance {
    messageService: MessageService;
  }
}

/** Meta allows up to 3 MB per notification; we accept up to 4 MB and answer 413 above. */
export const WEBHOOK_BODY_LIMIT = 4 * 1024 * 1024;

/**
 * The message service: the WhatsApp webhook (GET handshake, POST notifications), the consumers of
 * the domain events and the ordered outbound sender.
 */
const plugin: FastifyPluginAsync<MessageServiceAppOptions> = async (app, options) => {
  const { config } = options;
  const metrics = registerMessageMetrics(app.metrics);
  const graph = new GraphClient({
    baseUrl: config.WHATSAPP_API_URL,
    accessToken: config.WHATSAPP_API_KEY,
    phoneNumberId: config.WHATSAPP_NUMBER_ID,
    timeoutMs: config.WHATSAPP_HTTP_TIMEOUT_MS,
    retry: { attempts: config.WHATSAPP_SEND_ATTEMPTS, baseMs: 250, maxMs: 4000 },
    onRetry: (error, attempt, delayMs) => {
      metrics.sendRetries.inc({ code: error.label });
      app.log.warn({ code: error.code, status: error.status, attempt, delayMs }, 'Graph send retried');
    },
  });
  const packs = new PacksClient({
    baseUrl: config.ASTRIA_API_URL,
    apiKey: config.ASTRIA_API_KEY,
    ttlMs: config.PACKS_CACHE_TTL_SECONDS * 1000,
  });
  const service = new MessageService({
    database: app.database,
    events: app.events,
    config,
    packs,
    graph,
    throttle: new Throttle(config.WHATSAPP_MAX_MPS),
    metrics,
    logger: app.log,
    ...(options.now ? { now: options.now } : {}),
  });
  app.decorate('messageService', service);
  app.events.consume(service.handlers());

  await app.register(async (webhook: FastifyInstance) => {
    acceptRawBodies(webhook);

    webhook.get<{ Querystring: Record<string, string | string[] | undefined> }>(
      '/whatsapp/webhook',
      async (request, reply) => {
        const q = request.query;
        const mode = q['hub.mode'];
        const token = q['hub.verify_token'];
        const challenge = q['hub.challenge'];
        if (
          mode === 'subscribe' &&
          typeof token === 'string' &&
          typeof challenge === 'string' &&
          challenge.length > 0 &&
          challenge.length <= 512 &&
          safeEqual(token, config.WHATSAPP_VERIFY_TOKEN)
        ) {
          return reply.code(200).type('text/plain; charset=utf-8').send(challenge);
        }
        return reply.code(403).type('text/plain; charset=utf-8').send('Forbidden');
      },
    );

    webhook.post('/whatsapp/webhook', { bodyLimit: WEBHOOK_BODY_LIMIT }, async (request, reply) => {
      const started = performance.now();
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const signature = request.headers['x-hub-signature-256'];
      if (
        !verifySha256Signature(config.WHATSAPP_APP_SECRET, raw, typeof signature === 'string' ? signature : undefined)
      ) {
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
      try {
        const result = await service.ingest(parsed, request.id);
        metrics.webhookRequests.inc({ outcome: 'accepted' });
        metrics.ingestDuration.observe({ outcome: 'accepted' }, (performance.now() - started) / 1000);
        return reply.code(200).send({ ok: true, ...result });
      } catch (error) {
        metrics.webhookRequests.inc({ outcome: 'unavailable' });
        metrics.ingestDuration.observe({ outcome: 'unavailable' }, (performance.now() - started) / 1000);
        request.log.error({ err: error }, 'webhook not stored; Meta will retry');
        return reply
          .code(503)
          .header('retry-after', '5')
          .send({ error: 'unavailable', message: 'Temporarily unavailable, retry later', requestId: request.id });
      }
    });

    webhook.addHook('onResponse', async (request, reply) => {
      if (reply.statusCode === 413 && request.method === 'POST') metrics.webhookRequests.inc({ outcome: 'too_large' });
    });
  });
};

/** Not encapsulated, so `app.messageService` is visible on the service's root instance (tests, sandbox). */
export const messageServiceApp: FastifyPluginAsync<MessageServiceAppOptions> = fp(plugin, {
  name: 'message-service',
  fastify: '5.x',
});
