import type { MessageServiceConfig } from '@astria/config';
import fp from 'fastify-plugin';
import { PacksClient } from '../packs.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Astria `GET /packs`, cached for PACKS_CACHE_TTL_SECONDS. */
    packs: PacksClient;
  }
}

export const astriaPacksPlugin = fp<{ config: MessageServiceConfig }>(
  async (app, { config }) => {
    app.decorate(
      'packs',
      new PacksClient({
        baseUrl: config.ASTRIA_API_URL,
        apiKey: config.ASTRIA_API_KEY,
        ttlMs: config.PACKS_CACHE_TTL_SECONDS * 1000,
      }),
    );
  },
  { name: 'astria-packs', fastify: '5.x' },
);
