import { fileURLToPath } from 'node:url';
import type { ServiceName } from '@astria/db';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ChatStore } from './chat.js';
import { ASSETS_DIR, SAMPLES } from './samples.js';
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
}

const phoneParams = {
  type: 'object',
  required: ['phone'],
  properties: { phone: { type: 'string', pattern: '^\\d{8,15}$' } },
} as const;

const choiceBody = {
  type: 'object',
  required: ['id', 'title'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 256 }, title: { type: 'string', maxLength: 100 } },
} as const;

/**
 * The sandbox page's server: the static chat page, a small JSON API the page drives the WhatsApp
 * simulator through, and one SSE stream with chat changes and the event timeline.
 */
export async function buildPageServer(options: PageServerOptions): Promise<FastifyInstance> {
  const { chat, timeline, user } = options;
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024, forceCloseConnections: true });
  const streams = new Set<{ write(chunk: string): void }>();

  app.addContentTypeParser(/^image\/.*/, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  await app.register(fastifyStatic, { root: PUBLIC_DIR, prefix: '/', index: 'index.html' });
  await app.register(fastifyStatic, { root: ASSETS_DIR, prefix: '/assets/', decorateReply: false });

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
  }));

  app.post<{ Body: { phone: string; name?: string } }>(
    '/api/users',
    {
      schema: {
        body: {
          type: 'object',
          required: ['phone'],
          properties: {
            phone: { type: 'string', pattern: '^\\d{8,15}$' },
            name: { type: 'string', minLength: 1, maxLength: 60 },
          },
        },
      },
    },
    async (request, reply) => {
      const { phone, name } = request.body;
      return reply.code(201).send(chat.addUser(phone, name ?? `User ${phone.slice(-4)}`));
    },
  );

  app.get<{ Params: { phone: string } }>(
    '/api/users/:phone/messages',
    { schema: { params: phoneParams } },
    async (request) => chat.conversation(request.params.phone),
  );

  app.post<{ Params: { phone: string }; Body: { text: string } }>(
    '/api/users/:phone/text',
    {
      schema: {
        params: phoneParams,
        body: {
          type: 'object',
          required: ['text'],
          properties: { text: { type: 'string', minLength: 1, maxLength: 4096 } },
        },
      },
    },
    async (request) => user.text(request.params.phone, request.body.text),
  );

  app.post<{ Params: { phone: string }; Body: { id: string; title: string } }>(
    '/api/users/:phone/button',
    { schema: { params: phoneParams, body: choiceBody } },
    async (request) => user.button(request.params.phone, request.body.id, request.body.title),
  );

  app.post<{ Params: { phone: string }; Body: { id: string; title: string } }>(
    '/api/users/:phone/list',
    { schema: { params: phoneParams, body: choiceBody } },
    async (request) => user.listReply(request.params.phone, request.body.id, request.body.title),
  );

  app.post<{ Params: { phone: string }; Body: Buffer }>(
    '/api/users/:phone/photo',
    { schema: { params: phoneParams } },
    async (request, reply) => {
      const mimeType = String(request.headers['content-type'] ?? '').split(';')[0] ?? '';
      if (!Buffer.isBuffer(request.body) || !/^image\/(jpeg|png|webp)$/.test(mimeType)) {
        return reply.code(415).send({ error: 'send the photo as image/jpeg, image/png or image/webp' });
      }
      return user.photo(request.params.phone, request.body, mimeType);
    },
  );

  app.post<{ Params: { phone: string }; Body: { name: string } }>(
    '/api/users/:phone/sample',
    {
      schema: {
        params: phoneParams,
        body: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', enum: SAMPLES.map((s) => s.name) } },
        },
      },
    },
    async (request) => user.sample(request.params.phone, request.body.name),
  );

  app.post<{ Params: { phone: string }; Body: { messageId: string } }>(
    '/api/users/:phone/read',
    {
      schema: {
        params: phoneParams,
        body: { type: 'object', required: ['messageId'], properties: { messageId: { type: 'string', minLength: 1 } } },
      },
    },
    async (request, reply) => {
      await user.read(request.params.phone, request.body.messageId);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string } }>('/api/media/:id', async (request, reply) => {
    const media = await options.fetchMedia(request.params.id);
    if (!media) return reply.code(404).send({ error: 'no such media' });
    return reply.type(media.mimeType).header('cache-control', 'private, max-age=3600').send(media.bytes);
  });

  app.get('/pay-unavailable', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(
        '<!doctype html><meta charset="utf-8"><title>Payments not simulated</title><p>The payment simulator is not available in this build, so this link goes nowhere. Build <code>@astria/simulators</code> and restart the sandbox.</p>',
      ),
  );

  // One stream for everything live: chat changes and event timeline entries.
  app.get('/api/stream', (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const stream = {
      write(chunk: string) {
        raw.write(chunk);
      },
    };
    const send = (event: string, data: unknown) => stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    streams.add(stream);
    const unsubscribeChat = chat.subscribe((change) => send(change.type, change));
    const unsubscribeTimeline = timeline.subscribe((entry) => send('timeline', entry));
    const heartbeat = setInterval(() => stream.write(': keep-alive\n\n'), 15_000);
    heartbeat.unref();
    send('hello', { at: new Date().toISOString() });
    request.raw.on('close', () => {
      clearInterval(heartbeat);
      unsubscribeChat();
      unsubscribeTimeline();
      streams.delete(stream);
    });
  });

  return app;
}
