import type { MessageServiceConfig } from '@astria/config';
import fp from 'fastify-plugin';
import { Turns, WebhookIngest } from '../ingest.js';

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
    });
    app.decorate('turns', turns);
    app.decorate(
      'webhookIngest',
      new WebhookIngest({ database: app.database, turns, metrics: app.messageMetrics, config }),
    );
  },
  { name: 'message-ingest', fastify: '5.x', dependencies: ['message-metrics', 'astria-packs'] },
);
