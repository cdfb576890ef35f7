import fp from 'fastify-plugin';
import { domainEventConsumers } from '../consumers.js';
import { sendAttempts } from '../send-attempts.js';
import { whatsappSender } from '../sender.js';

/** Subscribes the domain-event consumers and the ordered WhatsApp sender (one subscription). */
export const eventConsumersPlugin = fp(
  async (app) => {
    app.events.consume({
      ...domainEventConsumers(app.turns),
      ...whatsappSender({
        graph: app.graph,
        limiter: app.sendLimiter,
        pacer: app.pairPacer,
        metrics: app.messageMetrics,
        logger: app.log,
        onWindowClosed: app.turns.holdRefused,
        onDeliveryFailed: app.turns.deliveryFailed,
        attempts: sendAttempts({ database: app.database, metrics: app.messageMetrics, logger: app.log }),
      }),
    });
  },
  { name: 'message-event-consumers', fastify: '5.x', dependencies: ['message-ingest', 'whatsapp-graph'] },
);
