import { createHmac } from 'node:crypto';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metaSerialize, startWhatsAppSimulator, type WhatsAppSimulator } from '../src/whatsapp/index.js';

const options = { phoneNumberId: '106540352242922', accessToken: 'sim-token', appSecret: 'sim-secret' };

describe('WhatsApp simulator', () => {
  let sim: WhatsAppSimulator;
  const received: Array<{ body: string; signature: string | undefined }> = [];
  const webhook = Fastify();
  webhook.removeAllContentTypeParsers();
  webhook.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));
  webhook.post('/hook', async (request) => {
    received.push({ body: request.body as string, signature: request.headers['x-hub-signature-256'] as string });
    return 'ok';
  });

  beforeAll(async () => {
    await webhook.listen({ host: '127.0.0.1', port: 0 });
    const address = webhook.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    sim = await startWhatsAppSimulator({ ...options, webhookUrl: `http://127.0.0.1:${port}/hook` });
  });
  afterAll(async () => {
    await sim.close();
    await webhook.close();
  });

  const send = (body: unknown, token = options.accessToken, numberId = options.phoneNumberId) =>
    fetch(`${sim.url}/${numberId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('accepts a message, answers with a wamid and records it', async () => {
    const seen: string[] = [];
    const off = sim.onSent((m) => seen.push(m.wamid));
    const response = await send({
      messaging_product: 'whatsapp',
      to: '972501234567',
      type: 'text',
      text: { body: 'hi' },
    });
    expect(response.status).toBe(200);
    const json = (await response.json()) as { messages: Array<{ id: string }> };
    expect(json.messages[0]?.id).toMatch(/^wamid\./);
    expect(sim.sent.at(-1)).toMatchObject({ to: '972501234567', type: 'text', wamid: json.messages[0]?.id });
    expect(seen).toEqual([json.messages[0]?.id]);
    off();
  });

  it('answers mark-as-read with success and rejects bad tokens and numbers like Graph', async () => {
    const reads: string[] = [];
    const off = sim.onMarkRead((r) => reads.push(r.messageId));
    const read = await send({
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'wamid.x',
      typing_indicator: { type: 'text' },
    });
    expect(await read.json()).toEqual({ success: true });
    expect(reads).toEqual(['wamid.x']);
    off();
    const bad = await send({ messaging_product: 'whatsapp', to: '1', type: 'text', text: { body: 'x' } }, 'wrong');
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { code: number } }).error.code).toBe(190);
    const other = await send(
      { messaging_product: 'whatsapp', to: '1', type: 'text', text: { body: 'x' } },
      options.accessToken,
      '999',
    );
    expect(other.status).toBe(400);
  });

  it('fails on demand: the next N requests, or every request to one recipient', async () => {
    sim.failNext(2, { status: 429, code: 130429, message: '(#130429) Rate limit hit' });
    const message = { messaging_product: 'whatsapp', to: '15550001111', type: 'text', text: { body: 'x' } };
    expect((await send(message)).status).toBe(429);
    const second = await send(message);
    expect(((await second.json()) as { error: { code: number } }).error.code).toBe(130429);
    expect((await send(message)).status).toBe(200);
    sim.failFor('15550001111', { status: 400, code: 131026 });
    expect((await send(message)).status).toBe(400);
    sim.failFor('15550001111', null);
    expect((await send(message)).status).toBe(200);
  });

  it('accepts template sends only for templates it knows (132001 otherwise)', async () => {
    const template = (name: string) => ({
      messaging_product: 'whatsapp',
      to: '15550002222',
      type: 'template',
      template: { name, language: { code: 'en' } },
    });
    expect((await send(template('astria_portraits_ready'))).status).toBe(200);
    const unknown = await send(template('not_approved'));
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: number } }).error.code).toBe(132001);
  });

  it('serves media metadata and bytes with the Bearer token, and 404 once expired', async () => {
    const { mediaId } = sim.addMedia(Buffer.from('jpeg-bytes'), 'image/jpeg');
    const auth = { authorization: `Bearer ${options.accessToken}` };
    const meta = (await (await fetch(`${sim.url}/${mediaId}`, { headers: auth })).json()) as {
      url: string;
      file_size: number;
    };
    expect(meta.file_size).toBe(10);
    expect((await fetch(meta.url)).status).toBe(401);
    const bytes = await fetch(meta.url, { headers: auth });
    expect(Buffer.from(await bytes.arrayBuffer()).toString()).toBe('jpeg-bytes');
    sim.expireMedia(mediaId);
    expect((await fetch(`${sim.url}/${mediaId}`, { headers: auth })).status).toBe(404);
  });

  it('posts notifications serialized and signed exactly as Meta does', async () => {
    const delivery = await sim.sendText('972501234567', 'שלום 👋 café a/b', { name: 'דנה' });
    expect(delivery.status).toBe(200);
    const last = received.at(-1);
    expect([...(last?.body ?? '')].every((c) => c.charCodeAt(0) < 128)).toBe(true);
    expect(last?.body).toContain('\\u05e9');
    expect(last?.body).toContain('a\\/b');
    expect(last?.signature).toBe(
      `sha256=${createHmac('sha256', options.appSecret)
        .update(last?.body ?? '')
        .digest('hex')}`,
    );
    const parsed = JSON.parse(last?.body ?? '{}');
    expect(parsed.entry[0].changes[0].value.messages[0]).toMatchObject({
      from: '972501234567',
      id: delivery.wamid,
      type: 'text',
      text: { body: 'שלום 👋 café a/b' },
    });
    await sim.sendButtonReply('972501234567', 'tier:lite', 'Lite');
    expect(JSON.parse(received.at(-1)?.body ?? '{}').entry[0].changes[0].value.messages[0].interactive).toEqual({
      type: 'button_reply',
      button_reply: { id: 'tier:lite', title: 'Lite' },
    });
    await sim.sendStatus('wamid.abc', 'failed', { recipient: '972501234567', errorCode: 131047 });
    expect(JSON.parse(received.at(-1)?.body ?? '{}').entry[0].changes[0].value.statuses[0]).toMatchObject({
      id: 'wamid.abc',
      status: 'failed',
      errors: [{ code: 131047 }],
    });
  });

  it('enforces the 24-hour window by its own clock: 131047 for free-form sends once it moved 24 h past the last message', async () => {
    const user = '15550003333';
    const text = { messaging_product: 'whatsapp', to: user, type: 'text', text: { body: 'x' } };
    const template = {
      messaging_product: 'whatsapp',
      to: user,
      type: 'template',
      template: { name: 'astria_follow_up', language: { code: 'en' } },
    };
    await sim.sendText(user, 'hello');
    expect(sim.lastInboundAt(user)).not.toBeNull();
    expect((await send(text)).status).toBe(200);
    sim.advanceClock(23 * 3600_000);
    expect((await send(text)).status).toBe(200);
    sim.advanceClock(3600_000);
    const refused = await send(text);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: number } }).error.code).toBe(131047);
    expect(sim.rejected.at(-1)).toMatchObject({ to: user, code: 131047 });
    // Templates still go out; the user's answer (stamped with the simulator's clock) reopens the window.
    expect((await send(template)).status).toBe(200);
    await sim.sendText(user, 'ok');
    expect(Number(JSON.parse(received.at(-1)?.body ?? '{}').entry[0].changes[0].value.messages[0].timestamp)).toBe(
      Math.floor((sim.lastInboundAt(user)?.getTime() ?? 0) / 1000),
    );
    expect((await send(text)).status).toBe(200);
    expect(() => sim.advanceClock(-1)).toThrow();
  });

  it('applies the pair rate per recipient: a burst, then one per interval (131056 over it), other users unaffected', async () => {
    const paced = await startWhatsAppSimulator({ ...options, pairRate: { intervalMs: 200, burst: 3 } });
    try {
      const to = (user: string) => ({ messaging_product: 'whatsapp', to: user, type: 'text', text: { body: 'x' } });
      const post = (body: unknown) =>
        fetch(`${paced.url}/${options.phoneNumberId}/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const burst = [];
      for (let i = 0; i < 4; i++) burst.push((await post(to('15550004444'))).status);
      expect(burst).toEqual([200, 200, 200, 400]);
      expect(paced.rejected).toMatchObject([{ to: '15550004444', code: 131056 }]);
      expect((await post(to('15550005555'))).status).toBe(200);
      paced.advanceClock(200);
      expect((await post(to('15550004444'))).status).toBe(200);
      expect((await post(to('15550004444'))).status).toBe(400);
    } finally {
      await paced.close();
    }
  });

  it('accepts and then reports failed in a status webhook with errors[], for the matching sends only', async () => {
    sim.failAfterAccept({ type: 'image', code: 131053, title: 'Media upload error' });
    const image = {
      messaging_product: 'whatsapp',
      to: '15550006666',
      type: 'image',
      image: { link: 'https://x.test/a.jpg' },
    };
    const text = { messaging_product: 'whatsapp', to: '15550006666', type: 'text', text: { body: 'x' } };
    const before = received.length;
    expect((await send(text)).status).toBe(200);
    const accepted = await send(image);
    expect(accepted.status).toBe(200);
    const wamid = ((await accepted.json()) as { messages: Array<{ id: string }> }).messages[0]?.id;
    const statusOf = () =>
      received
        .slice(before)
        .map((r) => JSON.parse(r.body).entry[0].changes[0].value.statuses?.[0])
        .find((st) => st?.id === wamid);
    // Wait on the condition (the webhook POST is in flight), 5 s at most.
    for (const deadline = Date.now() + 5000; !statusOf() && Date.now() < deadline; )
      await new Promise((resolve) => setTimeout(resolve, 5));
    expect(statusOf()).toMatchObject({ status: 'failed', errors: [{ code: 131053, title: 'Media upload error' }] });
    expect((await send(image)).status).toBe(200);
  });

  it('metaSerialize escapes like Python json.dumps(ensure_ascii=True) plus \\/', () => {
    expect(metaSerialize({ a: 'é/😀' })).toBe('{"a":"\\u00e9\\/\\ud83d\\ude00"}');
  });
});
