import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Client errors keep their message (they describe the caller's mistake); server errors never leak
 * internals: the caller gets a request id to quote, the log gets the details.
 */
export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
      if (status >= 500) {
        request.log.error({ err: error }, 'request failed');
        return reply
          .code(status)
          .send({ error: 'internal_error', message: 'Something went wrong on our side.', requestId: request.id });
      }
      return reply
        .code(status)
        .send({ error: error.code ?? 'bad_request', message: error.message, requestId: request.id });
    });
    app.setNotFoundHandler((request, reply) => {
      return reply
        .code(404)
        .send({ error: 'not_found', message: `No route for ${request.method} ${request.url.split('?')[0]}` });
    });
  },
  { name: 'astria-errors' },
);
