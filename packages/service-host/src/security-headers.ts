import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';

/**
 * helmet's security headers on every answer. The middleware is built once: `@fastify/helmet` built it
 * again for every request (re-validating its options), which under load was ~13 % of the garbage a
 * webhook made. No route here needs per-route helmet options or CSP nonces.
 */
export const securityHeadersPlugin = fp(
  async (app: FastifyInstance) => {
    const apply = helmet();
    app.addHook('onRequest', (request, reply, done) => {
      apply(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
    });
  },
  { name: 'security-headers' },
);
