import type { MessageServiceConfig } from '@astria/config';
import fp from 'fastify-plugin';
import { GraphClient } from '../graph/client.js';
import { PairPacer } from '../pair-pacer.js';
import { SendLimiter } from '../send-limiter.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The WhatsApp Cloud API (Graph) client. */
    graph: GraphClient;
    /** The number's send rate limit (WHATSAPP_MAX_MPS), shared by every pod through PostgreSQL. */
    sendLimiter: SendLimiter;
    /** WhatsApp's per-user pair rate (WHATSAPP_PAIR_INTERVAL_MS, WHATSAPP_PAIR_BURST), per recipient. */
    pairPacer: PairPacer;
  }
}

/** The Graph client (retries counted in `whatsapp_send_retries_total`) and the send limiter shared by every pod. */
export const whatsappGraphPlugin = fp<{ config: MessageServiceConfig }>(
  async (app, { config }) => {
    const metrics = app.messageMetrics;
    app.decorate(
      'graph',
      new GraphClient({
        baseUrl: config.WHATSAPP_API_URL,
        accessToken: config.WHATSAPP_API_KEY,
        phoneNumberId: config.WHATSAPP_NUMBER_ID,
        timeoutMs: config.WHATSAPP_HTTP_TIMEOUT_MS,
        retry: { retries: config.WHATSAPP_SEND_ATTEMPTS - 1, baseMs: 250, maxMs: 4000 },
        onRetry: (error, attempt, delayMs) => {
          metrics.sendRetries.inc({ code: error.label });
          app.log.warn({ code: error.code, status: error.status, attempt, delayMs }, 'Graph send retried');
        },
      }),
    );
    const limiter = new SendLimiter({
      database: app.database,
      phoneNumberId: config.WHATSAPP_NUMBER_ID,
      perSecond: config.WHATSAPP_MAX_MPS,
    });
    app.decorate('sendLimiter', limiter);
    app.decorate(
      'pairPacer',
      new PairPacer({ intervalMs: config.WHATSAPP_PAIR_INTERVAL_MS, burst: config.WHATSAPP_PAIR_BURST }),
    );
    app.addHook('onClose', async () => limiter.close());
  },
  { name: 'whatsapp-graph', fastify: '5.x', dependencies: ['message-metrics'] },
);
