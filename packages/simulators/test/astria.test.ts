import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AstriaSimulator, startAstriaSimulator } from '../src/astria/index.js';

const KEY = 'sim-key';
const auth = { authorization: `Bearer ${KEY}` };

/** A tiny receiver of the simulator's callbacks. */
function startReceiver(): Promise<{ url: string; received: Array<{ path: string; body: unknown }>; server: Server }> {
  const received: Array<{ path: string; body: unknown }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server }),
    ),
  );
}

describe('Astria simulator', () => {
  let sim: AstriaSimulator;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    sim = await startAstriaSimulator({ apiKey: KEY, trainingDelayMs: 20 });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await sim.close();
    receiver.server.close();
  });

  it('refuses a wrong key', async () => {
    const res = await fetch(`${sim.url}/packs`, { headers: { authorization: 'Bearer nope' } });
    expect(res.status).toBe(401);
  });

  it('lists the fixture packs and a pack with prompts per class and real JPEG images', async () => {
    const packs = (await (await fetch(`${sim.url}/packs`, { headers: auth })).json()) as Array<{ id: number }>;
    expect(packs.map((p) => p.id)).toEqual([260, 261, 262, 310]);
    const pack = (await (await fetch(`${sim.url}/p/260`, { headers: auth })).json()) as {
      prompts_per_class: Record<string, Array<{ images: string[] }>>;
    };
    const first = pack.prompts_per_class.woman?.[0]?.images[0];
    expect(first).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/_sim\/images\//);
    const bytes = Buffer.from(await (await fetch(first as string)).arrayBuffer());
    const meta = await sharp(bytes).metadata();
    expect(meta.format).toBe('jpeg');
  });

  it('inspects with queued results, then the default', async () => {
    sim.setInspectResults([{ name: '', funny_face: false }]);
    const inspect = async () => {
      const form = new FormData();
      form.append('file', new Blob([Buffer.from('x')], { type: 'image/jpeg' }), 'a.jpg');
      form.append('name', 'woman');
      return (await (
        await fetch(`${sim.url}/images/inspect`, { method: 'POST', headers: auth, body: form })
      ).json()) as {
        name: string;
      };
    };
    expect((await inspect()).name).toBe('');
    expect((await inspect()).name).toBe('woman');
  });

  it('trains a tune, is idempotent by title, and calls back the tune then all prompts', async () => {
    const form = () => {
      const f = new FormData();
      f.append('tune[title]', 'req-1');
      f.append('tune[name]', 'woman');
      f.append('tune[callback]', `${receiver.url}/tune`);
      f.append('tune[prompts_callback]', `${receiver.url}/prompts`);
      f.append('tune[characteristics][eye_color]', 'brown eyes');
      f.append('tune[images][]', new Blob([Buffer.from('img')], { type: 'image/jpeg' }), '1.jpg');
      return f;
    };
    const first = (await (
      await fetch(`${sim.url}/p/260/tunes`, { method: 'POST', headers: auth, body: form() })
    ).json()) as { id: number; eta: string };
    const again = (await (
      await fetch(`${sim.url}/p/260/tunes`, { method: 'POST', headers: auth, body: form() })
    ).json()) as { id: number };
    expect(again.id).toBe(first.id);
    expect(sim.tunes.get(first.id)?.characteristics).toEqual({ eye_color: 'brown eyes' });
    await sim.idle();
    expect(receiver.received.map((r) => r.path)).toEqual(['/tune', '/prompts']);
    const prompts = receiver.received[1]?.body as Array<{ tune_id: number; images: string[] }>;
    expect(prompts).toHaveLength(3);
    expect(prompts.every((p) => p.tune_id === first.id && p.images.length === 2)).toBe(true);
    const listed = (await (await fetch(`${sim.url}/tunes/${first.id}/prompts`, { headers: auth })).json()) as unknown[];
    expect(listed).toHaveLength(3);
  });

  it('fails on demand, and a 504 still creates the tune (findable by title)', async () => {
    sim.failNext('POST /p/:id/tunes', 429);
    sim.failNext('POST /p/:id/tunes', 504);
    const body = () => {
      const f = new FormData();
      f.append('tune[title]', 'req-504');
      f.append('tune[name]', 'man');
      f.append('tune[image_urls][]', 'https://example.com/a.jpg');
      return f;
    };
    expect((await fetch(`${sim.url}/p/261/tunes`, { method: 'POST', headers: auth, body: body() })).status).toBe(429);
    expect((await fetch(`${sim.url}/p/261/tunes`, { method: 'POST', headers: auth, body: body() })).status).toBe(504);
    const found = (await (await fetch(`${sim.url}/tunes?title=req-504`, { headers: auth })).json()) as unknown[];
    expect(found).toHaveLength(1);
    sim.failNext('POST /p/:id/tunes', 422);
    expect((await fetch(`${sim.url}/p/261/tunes`, { method: 'POST', headers: auth, body: body() })).status).toBe(422);
  });

  it('renders a pack on an existing tune, and deletes tunes', async () => {
    const tuneId = [...sim.tunes.keys()][0] as number;
    const res = await fetch(`${sim.url}/p/310/tunes`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ tune: { title: 'req-2', name: 'woman', tune_ids: [tuneId] } }),
    });
    expect(await res.json()).toEqual({ status: 201, message: 'Prompts created' });
    expect((await fetch(`${sim.url}/tunes/${tuneId}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    expect((await fetch(`${sim.url}/tunes/${tuneId}`, { headers: auth })).status).toBe(404);
  });
});
