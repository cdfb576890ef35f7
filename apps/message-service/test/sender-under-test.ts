import type { Database } from '@astria/db';
import type { ExternalEffectHandler } from '@astria/events';
import { silentLogger } from '@astria/service-kit';
import type { WhatsAppSimulator } from '@astria/simulators/whatsapp';
import { GraphClient } from '../src/graph/client.js';
import type { MessageMetrics } from '../src/metrics.js';
import { PairPacer } from '../src/pair-pacer.js';
import { sendAttempts } from '../src/send-attempts.js';
import { type SenderDeps, whatsappSender } from '../src/sender.js';

/**
 * The WhatsApp sender's handler as the consumer gets it, on a test database and the WhatsApp simulator
 * (number 111, token `tok`): no send limit or pair pacing to wait on, attempts marked in the database.
 */
export function senderUnderTest(
  database: Database,
  sim: WhatsAppSimulator,
  metrics: MessageMetrics,
  extra: Pick<SenderDeps, 'onDeliveryFailed' | 'onWindowClosed'> = {},
): ExternalEffectHandler<'whatsapp_send_requested'> {
  return whatsappSender({
    graph: new GraphClient({
      baseUrl: sim.url,
      accessToken: 'tok',
      phoneNumberId: '111',
      retry: { retries: 1, baseMs: 1, maxMs: 2 },
    }),
    limiter: { acquire: async () => {} },
    pacer: new PairPacer({ intervalMs: 1, burst: 100 }),
    metrics,
    logger: silentLogger(),
    attempts: sendAttempts({ database, metrics, logger: silentLogger() }),
    ...extra,
  }).whatsapp_send_requested as ExternalEffectHandler<'whatsapp_send_requested'>;
}
