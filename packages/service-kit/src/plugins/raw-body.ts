import type { FastifyInstance } from 'fastify';

/**
 * For an encapsulated group of routes that verify signatures: every body arrives as the raw
 * Buffer (no JSON parsing before verification). Register it inside the routes' own plugin.
 */
export function acceptRawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
}

/** Parses a verified raw body as JSON; returns undefined when it is not JSON. */
export function parseJson(raw: unknown): unknown {
  if (!Buffer.isBuffer(raw)) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}
