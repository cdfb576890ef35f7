import type { MessageServiceConfig } from '@astria/config';
import fp from 'fastify-plugin';
import { Turns, WebhookIngest } from '../ingest.js';
import { moveOverEffectGuard } from '../rollout/effect-guard.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** One turn of one user's conversation, inside a given transaction (webhooks and consumers). */
    turns: Turns;
    /** Verified webhooks → committed turns, with group commit. */
    webhookIngest: WebhookIngest;
  }
}

export interface IngestPluginOptions {
  config: MessageServiceConfig;
  /** Override the clock (tests). */
  now?: () => Date;
}

export const ingestPlugin = fp<IngestPluginOptions>(
  async (app, { config, now }) => {
    const turns = new Turns({
      events: app.events,
      config,
      packs: app.packs,
      metrics: app.messageMetrics,
      logger: app.log,
      ...(now ? { now } : {}),
      // The move-over: with an old app, turns of users this system does not serve keep their effects back.
      ...(config.MONOLITH_WEBHOOK_URL ? { effects: moveOverEffectGuard() } : {}),
    });
    app.decorate('turns', turns);
    app.decorate(
      'webhookIngest',
      new WebhookIngest({ database: app.database, turns, metrics: app.messageMetrics, config }),
    );
  },
  { name: 'message-ingest', fastify: '5.x', dependencies: ['message-metrics', 'astria-packs'] },
);
