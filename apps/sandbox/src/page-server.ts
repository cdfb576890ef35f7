import { fileURLToPath } from 'node:url';
import type { ServiceName } from '@astria/db';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { ChatStore } from './chat.js';
import { clockRoutes } from './routes/clock.js';
import { mediaRoutes } from './routes/media.js';
import { stateRoutes } from './routes/state.js';
import { streamRoutes } from './routes/stream.js';
import { userRoutes } from './routes/users.js';
import { ASSETS_DIR } from './samples.js';
import type { UserActions } from './sandbox.js';
import type { SandboxUrls } from './services.js';
import type { EventTimeline } from './timeline.js';

export const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));

export interface PageServerOptions {
  chat: ChatStore;
  timeline: EventTimeline;
  user: UserActions;
  urls: SandboxUrls;
  services: Array<{ service: ServiceName; url: string; running: boolean }>;
  simulated: { whatsapp: boolean; astria: boolean; payments: boolean };
  fetchMedia(mediaId: string): Promise<{ bytes: Buffer; mimeType: string } | undefined>;
  /** The simulated WhatsApp's clock (absent with a real WhatsApp number). */
  clock?: { offsetMs(): number; advance(ms: number): void };
  /** Users who opted out (STOP), from the message service's conversations. */
  optedOutUsers(): Promise<string[]>;
}

/**
 * The sandbox page's server: the static chat page, a small JSON API the page drives the WhatsApp
 * simulator through (zod schemas, like the services' routes), and one SSE stream with chat changes and
 * the event timeline. Composes the static files, then the routes.
 */
export async function buildPageServer(options: PageServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024, forceCloseConnections: true });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addContentTypeParser(/^image\/.*/, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/', index: 'index.html' });
  await app.register(fastifyStatic, { root: ASSETS_DIR, prefix: '/assets/', decorateReply: false });

  await app.register(stateRoutes, options);
  await app.register(userRoutes, options);
  await app.register(mediaRoutes, options);
  await app.register(clockRoutes, options);
  await app.register(streamRoutes, options);
  return app;
}
