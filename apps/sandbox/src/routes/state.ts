import type { FastifyInstance } from 'fastify';
import type { PageServerOptions } from '../page-server.js';
import { SAMPLES } from '../samples.js';

/** `GET /api/state`: what the page shows on load (users, services, simulators, samples, recent timeline). */
export async function stateRoutes(app: FastifyInstance, options: PageServerOptions): Promise<void> {
  const { chat, timeline } = options;
  app.get('/api/state', async () => ({
    users: chat.listUsers(),
    services: options.services.map((s) => ({
      ...s,
      health: `${s.url}/health`,
      metrics: `${s.url}/metrics`,
    })),
    simulated: options.simulated,
    urls: options.urls,
    samples: SAMPLES.map((s) => ({
      name: s.name,
      label: s.label,
      url: `/assets/samples/${s.name}`,
      accepted: s.verdict.accepted,
    })),
    timeline: timeline.recent(200),
    counters: { retries: timeline.retries, deadLetters: timeline.deadLetters },
    clock: options.clock ? { offsetHours: options.clock.offsetMs() / 3_600_000 } : null,
    optedOut: await options.optedOutUsers(),
  }));
}
