import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';

export const PACKS_FIXTURE = JSON.parse(
  readFileSync(new URL('./fixtures/astria/packs.json', import.meta.url), 'utf8'),
) as unknown[];

/** A tiny local Astria `GET /packs` for tests: counts requests and fails on demand. */
export async function startPacksServer(apiKey = 'astria-key') {
  const state = { requests: 0, failWith: 0 };
  const app: FastifyInstance = Fastify({ logger: false });
  app.get('/packs', async (request, reply) => {
    state.requests++;
    if (request.headers.authorization !== `Bearer ${apiKey}`) return reply.code(401).send({ error: 'unauthorized' });
    if (state.failWith) return reply.code(state.failWith).send({ error: 'boom' });
    return PACKS_FIXTURE;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, state, close: () => app.close() };
}
