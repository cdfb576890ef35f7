import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PageServerOptions } from '../page-server.js';
import { SAMPLES } from '../samples.js';

const phone = z.string().regex(/^\d{8,15}$/);
const phoneParams = z.object({ phone });
const choiceBody = z.object({ id: z.string().min(1).max(256), title: z.string().max(100) });
const sampleNames = SAMPLES.map((s) => s.name) as [string, ...string[]];

/**
 * The page's users and what they do: add a user, read a conversation, and send (text, button and list
 * replies, a photo or a sample, a read receipt) through the WhatsApp simulator.
 */
export async function userRoutes(app: FastifyInstance, options: PageServerOptions): Promise<void> {
  const { chat, user } = options;
  const routes = app.withTypeProvider<ZodTypeProvider>();

  routes.post(
    '/api/users',
    { schema: { body: z.object({ phone, name: z.string().min(1).max(60).optional() }) } },
    async (request, reply) => {
      const { phone, name } = request.body;
      return reply.code(201).send(chat.addUser(phone, name ?? `User ${phone.slice(-4)}`));
    },
  );

  routes.get('/api/users/:phone/messages', { schema: { params: phoneParams } }, async (request) =>
    chat.conversation(request.params.phone),
  );

  routes.post(
    '/api/users/:phone/text',
    { schema: { params: phoneParams, body: z.object({ text: z.string().min(1).max(4096) }) } },
    async (request) => user.text(request.params.phone, request.body.text),
  );

  routes.post('/api/users/:phone/button', { schema: { params: phoneParams, body: choiceBody } }, async (request) =>
    user.button(request.params.phone, request.body.id, request.body.title),
  );

  routes.post('/api/users/:phone/list', { schema: { params: phoneParams, body: choiceBody } }, async (request) =>
    user.listReply(request.params.phone, request.body.id, request.body.title),
  );

  routes.post('/api/users/:phone/photo', { schema: { params: phoneParams } }, async (request, reply) => {
    const mimeType = String(request.headers['content-type'] ?? '').split(';')[0] ?? '';
    if (!Buffer.isBuffer(request.body) || !/^image\/(jpeg|png|webp)$/.test(mimeType)) {
      return reply.code(415).send({ error: 'send the photo as image/jpeg, image/png or image/webp' });
    }
    return user.photo(request.params.phone, request.body, mimeType);
  });

  routes.post(
    '/api/users/:phone/sample',
    { schema: { params: phoneParams, body: z.object({ name: z.enum(sampleNames) }) } },
    async (request) => user.sample(request.params.phone, request.body.name),
  );

  routes.post(
    '/api/users/:phone/read',
    { schema: { params: phoneParams, body: z.object({ messageId: z.string().min(1) }) } },
    async (request, reply) => {
      await user.read(request.params.phone, request.body.messageId);
      return reply.code(204).send();
    },
  );
}
