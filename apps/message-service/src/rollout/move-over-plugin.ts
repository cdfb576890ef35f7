import type { MessageServiceConfig } from '@astria/config';
import { createDatabase, type Database } from '@astria/db';
import { withExternalEffect } from '@astria/events';
import { forwardToOldApp, oldAppMidTraining } from '@astria/rollout';
import fp from 'fastify-plugin';
import { onMoveToNewSystem } from './first-touch.js';
import { createNotificationRouter, type NotificationRouter } from './route-notification.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The move-over's split of each notification between this system and the old app. */
    notificationRouter: NotificationRouter;
    /** The old app's database (MONOLITH_DATABASE_URL), read-only; null when not configured. */
    monolithDatabase: Database | null;
  }
}

type MoveOverConfig = Pick<
  MessageServiceConfig,
  | 'MONOLITH_WEBHOOK_URL'
  | 'MONOLITH_PAYMENT_URL'
  | 'MONOLITH_DATABASE_URL'
  | 'WHATSAPP_APP_SECRET'
  | 'FORWARD_TIMEOUT_MS'
>;

/**
 * The move-over (issue #13): the notification router (webhook), the old app's database (read-only)
 * and the consumers that post each `whatsapp_forward_requested` to the old app, re-signed, and each
 * `sumit_forward_requested` (from payment-service) as SUMIT sent it; a failure throws, so the event is retried with backoff and dead-lettered after its budget.
 */
export const moveOverPlugin = fp<{ config: MoveOverConfig; monolithDatabase?: Database }>(
  async (app, { config, monolithDatabase }) => {
    let oldDb: Database | null = monolithDatabase ?? null;
    if (!oldDb && config.MONOLITH_DATABASE_URL) {
      oldDb = await createDatabase({ url: config.MONOLITH_DATABASE_URL, poolMax: 2 });
      const owned = oldDb;
      app.addHook('onClose', async () => owned.close());
    }
    app.decorate('monolithDatabase', oldDb);
    app.decorate(
      'notificationRouter',
      createNotificationRouter({
        config,
        database: app.database,
        stage: app.rolloutStage,
        midTrainingInOldApp: oldDb ? oldAppMidTraining(oldDb.db) : undefined,
        onMove: onMoveToNewSystem(app.events.outbox, oldDb),
      }),
    );
    app.events.consume({
      whatsapp_forward_requested: withExternalEffect(
        async (event) => {
          if (!config.MONOLITH_WEBHOOK_URL) throw new Error('MONOLITH_WEBHOOK_URL is not set: cannot forward');
          await forwardToOldApp(event.data.body, {
            url: config.MONOLITH_WEBHOOK_URL,
            appSecret: config.WHATSAPP_APP_SECRET,
            timeoutMs: config.FORWARD_TIMEOUT_MS,
          });
        },
        async () => {},
      ),
      sumit_forward_requested: withExternalEffect(
        async (event) => {
          if (!config.MONOLITH_PAYMENT_URL) throw new Error('MONOLITH_PAYMENT_URL is not set: cannot forward');
          await forwardToOldApp(event.data.body, {
            url: config.MONOLITH_PAYMENT_URL,
            timeoutMs: config.FORWARD_TIMEOUT_MS,
          });
        },
        async () => {},
      ),
    });
  },
  { name: 'move-over', fastify: '5.x', dependencies: ['rollout-stage'] },
);
