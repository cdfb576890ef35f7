import type { FastifyInstance } from 'fastify';
import type { PageServerOptions } from '../page-server.js';

/** `GET /api/stream`: one SSE stream for everything live: chat changes and event timeline entries. */
export async function streamRoutes(app: FastifyInstance, options: PageServerOptions): Promise<void> {
  const { chat, timeline } = options;
  app.get('/api/stream', (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const send = (event: string, data: unknown) => raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const unsubscribeChat = chat.subscribe((change) => send(change.type, change));
    const unsubscribeTimeline = timeline.subscribe((entry) => send('timeline', entry));
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
    heartbeat.unref();
    send('hello', { at: new Date().toISOString() });
    request.raw.on('close', () => {
      clearInterval(heartbeat);
      unsubscribeChat();
      unsubscribeTimeline();
    });
  });
}
