import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { BROKEN_IMAGE, blackImage, placeholderPortrait } from './images.js';

/**
 * A local HTTP simulator of the Astria API (https://docs.astria.ai), for tests and the sandbox:
 * packs with covers and prompts, photo inspection with results chosen by the test, tunes that train
 * after a delay and then call the callbacks they were given, generated placeholder portraits, and
 * errors on demand (422, 429, 5xx, and 504 = "created, but timed out").
 */

export interface InspectResult {
  name: string;
  funny_face?: boolean;
  blurry?: boolean;
  wearing_sunglasses?: boolean;
  includes_multiple_people?: boolean;
  wearing_hat?: boolean;
  [characteristic: string]: string | boolean | number | undefined;
}

export interface InspectedFile {
  bytes: Buffer;
  filename: string;
  mimeType: string;
  name: string | undefined;
}

export type InspectFn = (file: InspectedFile) => InspectResult | { status: number; body: unknown };

export interface SimPackPrompt {
  id: number;
  text: string;
  /** Image URLs; relative paths (`/_sim/...`) are made absolute with the simulator's URL. */
  images: string[];
}

export interface SimPack {
  id: number;
  slug: string;
  title: string;
  costs: Record<string, { cost: number; num_images: number }>;
  /** Default: three generated prompts per class of `costs`. */
  prompts_per_class?: Record<string, SimPackPrompt[]>;
}

export interface SimTune {
  id: number;
  title: string;
  name: string;
  token: string;
  branch: string;
  model_type: string;
  pack_id: number | null;
  eta: string;
  trained_at: string | null;
  started_training_at: string;
  expires_at: string;
  created_at: string;
  updated_at: string;
  characteristics: Record<string, string>;
  orig_images: string[];
  /** Bytes of the uploaded training photos (for assertions). */
  uploads: Array<{ filename: string; size: number }>;
  callback: string | null;
  prompts_callback: string | null;
  prompt_callback: string | null;
  deleted: boolean;
}

export interface SimPrompt {
  id: number;
  tune_id: number;
  text: string;
  negative_prompt: string;
  images: string[];
  trained_at: string | null;
  started_training_at: string;
  created_at: string;
  updated_at: string;
  url: string;
  user_error?: string;
}

export interface SimRequest {
  method: string;
  url: string;
  route: string;
  status: number;
  authorized: boolean;
}

export interface SimCallback {
  url: string;
  body: unknown;
  status: number | null;
}

export interface AstriaSimulatorOptions {
  apiKey: string;
  host?: string;
  port?: number;
  /** Time from tune creation to the tune callback (and the prompts right after). Default 200 ms. */
  trainingDelayMs?: number;
  /** Default: the fixture packs (Corporate Headshots lite/standard/premium, Dating Profile). */
  packs?: SimPack[];
  /** Default inspect behaviour when no queued result is left. Default: an accepted woman. */
  inspect?: InspectFn;
  /** Images generated per prompt. Default 2. */
  imagesPerPrompt?: number;
  /** How tunes are called back: false keeps them silent (for reconciliation tests). Default true. */
  callbacks?: boolean;
}

export interface AstriaSimulator {
  readonly url: string;
  /** Next inspect results, in order (each one used once), or a function deciding every result. */
  setInspectResults(results: Array<InspectResult | { status: number; body: unknown }> | InspectFn): void;
  /** The next `count` requests to `route` (e.g. 'POST /p/:id/tunes') answer `status`; 504 on POST tunes still creates the tune. */
  failNext(route: string, status: number, count?: number): void;
  /** Turns callbacks on or off (off: tunes still train, nobody is told; reconciliation must find them). */
  setCallbacks(enabled: boolean): void;
  readonly tunes: Map<number, SimTune>;
  readonly prompts: Map<number, SimPrompt>;
  readonly requests: SimRequest[];
  readonly callbacks: SimCallback[];
  readonly packs: SimPack[];
  /** Resolves when every scheduled training has finished and its callbacks were sent. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export const ACCEPTED_INSPECTION: InspectResult = {
  name: 'woman',
  age: '30-40',
  ethnicity: '',
  eye_color: 'brown eyes',
  hair_color: 'dark brown hair',
  hair_length: 'long hair',
  facial_hair: '',
  glasses: '',
  funny_face: false,
  blurry: false,
  wearing_sunglasses: false,
  includes_multiple_people: false,
  wearing_hat: false,
  selfie: true,
  full_body_image_or_longshot: false,
};

const FIXTURE_PACKS: SimPack[] = [
  {
    id: 260,
    slug: 'corporate-headshots-standard',
    title: 'Corporate Headshots',
    costs: { man: { cost: 360, num_images: 24 }, woman: { cost: 360, num_images: 24 } },
  },
  {
    id: 261,
    slug: 'corporate-headshots-lite',
    title: 'Corporate Headshots',
    costs: { man: { cost: 180, num_images: 12 }, woman: { cost: 180, num_images: 12 } },
  },
  {
    id: 262,
    slug: 'corporate-headshots-premium',
    title: 'Corporate Headshots',
    costs: { man: { cost: 600, num_images: 40 }, woman: { cost: 600, num_images: 40 } },
  },
  {
    id: 310,
    slug: 'dating-profile-standard',
    title: 'Dating Profile',
    costs: { woman: { cost: 360, num_images: 24 } },
  },
];

const PROMPT_STYLES = ['soft studio light', 'outdoor portrait, golden hour', 'city street, candid'];

function defaultPrompts(pack: SimPack): Record<string, SimPackPrompt[]> {
  const out: Record<string, SimPackPrompt[]> = {};
  for (const cls of Object.keys(pack.costs)) {
    out[cls] = PROMPT_STYLES.map((style, i) => ({
      id: pack.id * 1000 + i + 1,
      text: `ohwx ${cls}, ${pack.title.toLowerCase()}, ${style}`,
      images: [`/_sim/images/pack-${pack.id}-${cls}-${i + 1}.jpg`],
    }));
  }
  return out;
}

/** Fields of a multipart or JSON body, Rails style (`tune[tune_ids][]` repeats). */
interface ParsedForm {
  fields: Map<string, string[]>;
  files: Map<string, InspectedFile[]>;
}

async function parseForm(request: FastifyRequest): Promise<ParsedForm> {
  const fields = new Map<string, string[]>();
  const files = new Map<string, InspectedFile[]>();
  const push = <T>(map: Map<string, T[]>, key: string, value: T) => {
    const list = map.get(key) ?? [];
    list.push(value);
    map.set(key, list);
  };
  const contentType = String(request.headers['content-type'] ?? '');
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(request.body as Buffer, { headers: { 'content-type': contentType } }).formData();
    for (const [key, value] of form.entries()) {
      if (typeof value === 'string') push(fields, key, value);
      else
        push(files, key, {
          bytes: Buffer.from(await value.arrayBuffer()),
          filename: value.name,
          mimeType: value.type,
          name: undefined,
        });
    }
    return { fields, files };
  }
  // JSON: flatten { tune: { title, tune_ids: [..] } } into Rails keys.
  const flatten = (prefix: string, value: unknown) => {
    if (Array.isArray(value)) for (const v of value) push(fields, `${prefix}[]`, String(v));
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}[${k}]` : k, v);
    else if (value !== undefined && value !== null) push(fields, prefix, String(value));
  };
  if (request.body && typeof request.body === 'object' && !Buffer.isBuffer(request.body)) flatten('', request.body);
  else if (Buffer.isBuffer(request.body) && request.body.length > 0) {
    try {
      flatten('', JSON.parse(request.body.toString('utf8')));
    } catch {
      // not JSON: no fields
    }
  }
  return { fields, files };
}

export async function startAstriaSimulator(options: AstriaSimulatorOptions): Promise<AstriaSimulator> {
  const trainingDelayMs = options.trainingDelayMs ?? 200;
  const imagesPerPrompt = options.imagesPerPrompt ?? 2;
  const packs: SimPack[] = (options.packs ?? FIXTURE_PACKS).map((p) => ({
    ...p,
    prompts_per_class: p.prompts_per_class ?? defaultPrompts(p),
  }));
  const tunes = new Map<number, SimTune>();
  const prompts = new Map<number, SimPrompt>();
  const requests: SimRequest[] = [];
  const callbacks: SimCallback[] = [];
  const failures = new Map<string, Array<number>>();
  let inspectQueue: Array<InspectResult | { status: number; body: unknown }> = [];
  let inspectFn: InspectFn | undefined = options.inspect;
  let callbacksEnabled = options.callbacks ?? true;
  let nextTuneId = 1_504_944;
  let nextPromptId = 20_931_885;
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  const imageCache = new Map<string, Buffer>();
  let baseUrl = '';

  const abs = (u: string) => (u.startsWith('/') ? `${baseUrl}${u}` : u);
  const now = () => new Date().toISOString();

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
    const isSim = request.url.startsWith('/_sim/');
    const authorized = isSim || request.headers.authorization === `Bearer ${options.apiKey}`;
    const entry: SimRequest = { method: request.method, url: request.url, route, status: 0, authorized };
    requests.push(entry);
    (request as FastifyRequest & { simEntry?: SimRequest }).simEntry = entry;
    if (!authorized) {
      return reply.code(401).send({ error: 'Unauthorized' });
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const entry = (request as FastifyRequest & { simEntry?: SimRequest }).simEntry;
    if (entry) entry.status = reply.statusCode;
  });

  /** The status a test queued for this route, if any (consumed). */
  function takeFailure(route: string): number | undefined {
    const queue = failures.get(route);
    if (!queue || queue.length === 0) return undefined;
    return queue.shift();
  }

  function failureBody(status: number) {
    if (status === 422) return { base: ['Validation failed: the request was refused'] };
    if (status === 429) return { error: 'Too many requests' };
    return { error: `Simulated ${status}` };
  }

  function publicTune(t: SimTune) {
    const { uploads: _u, callback: _c, prompts_callback: _p, prompt_callback: _pc, deleted: _d, ...rest } = t;
    return { ...rest, base_tune_id: t.id, url: `${baseUrl}/tunes/${t.id}.json` };
  }

  async function post(url: string, body: unknown): Promise<void> {
    const record: SimCallback = { url, body, status: null };
    callbacks.push(record);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      record.status = res.status;
      await res.arrayBuffer();
    } catch {
      record.status = -1; // Astria does not retry failed callbacks
    }
  }

  function makePrompts(tune: SimTune, packId: number | null, cls: string): SimPrompt[] {
    const pack = packs.find((p) => p.id === packId);
    const texts = pack?.prompts_per_class?.[cls]?.map((p) => p.text) ?? [`ohwx ${cls}, portrait`];
    const created = now();
    return texts.map((text) => {
      const id = nextPromptId++;
      const prompt: SimPrompt = {
        id,
        tune_id: tune.id,
        text: text.replace(/^ohwx\b/, `${tune.token}`),
        negative_prompt: '',
        images: [],
        trained_at: null,
        started_training_at: created,
        created_at: created,
        updated_at: created,
        url: `${baseUrl}/tunes/${tune.id}/prompts/${id}.json`,
      };
      prompts.set(id, prompt);
      return prompt;
    });
  }

  function finishPrompts(list: SimPrompt[]) {
    const at = now();
    for (const p of list) {
      p.images = Array.from({ length: imagesPerPrompt }, (_, i) => `${baseUrl}/_sim/images/p-${p.id}-${i + 1}.jpg`);
      p.trained_at = at;
      p.updated_at = at;
    }
  }

  /** After the delay: train (unless rendering on an existing tune), then render the prompts and call back. */
  function schedule(
    tune: SimTune,
    packId: number | null,
    cls: string,
    train: boolean,
    cb: { tune: string | null; prompts: string | null; prompt: string | null },
  ) {
    const list = makePrompts(tune, packId, cls);
    const timer = setTimeout(() => {
      timers.delete(timer);
      const work = (async () => {
        if (tune.deleted) return;
        if (train) {
          const at = now();
          tune.trained_at = at;
          tune.updated_at = at;
          if (callbacksEnabled && cb.tune) await post(cb.tune, { tune: publicTune(tune) });
        }
        finishPrompts(list);
        if (!callbacksEnabled) return;
        if (cb.prompt) for (const p of list) await post(cb.prompt, { prompt: p });
        if (cb.prompts) await post(cb.prompts, list);
      })();
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    }, trainingDelayMs);
    timers.add(timer);
  }

  // ---- packs
  app.get('/packs', async (_request, reply) => {
    const status = takeFailure('GET /packs');
    if (status) return reply.code(status).send(failureBody(status));
    return packs.map(({ prompts_per_class: _p, ...p }) => ({ ...p, cover_url: `${baseUrl}/_sim/covers/${p.id}.jpg` }));
  });

  app.get<{ Params: { id: string } }>('/p/:id', async (request, reply) => {
    const status = takeFailure('GET /p/:id');
    if (status) return reply.code(status).send(failureBody(status));
    const pack = packs.find((p) => String(p.id) === request.params.id);
    if (!pack) return reply.code(404).send({ error: 'Not found' });
    const perClass: Record<string, unknown[]> = {};
    for (const [cls, list] of Object.entries(pack.prompts_per_class ?? {})) {
      perClass[cls] = list.map((p) => ({ ...p, tune_id: null, images: p.images.map(abs) }));
    }
    return { ...pack, cover_url: `${baseUrl}/_sim/covers/${pack.id}.jpg`, prompts_per_class: perClass };
  });

  // ---- inspect
  app.post('/images/inspect', async (request, reply) => {
    const status = takeFailure('POST /images/inspect');
    if (status) return reply.code(status).send(failureBody(status));
    const form = await parseForm(request);
    const file = form.files.get('file')?.[0];
    if (!file) return reply.code(422).send({ file: ['is missing'] });
    file.name = form.fields.get('name')?.[0];
    const queued = inspectQueue.shift();
    const result = queued ?? (inspectFn ? inspectFn(file) : ACCEPTED_INSPECTION);
    if ('status' in result && typeof result.status === 'number' && 'body' in result) {
      return reply.code(result.status).send(result.body);
    }
    return result;
  });

  // ---- tunes
  app.post<{ Params: { id: string } }>('/p/:id/tunes', async (request, reply) => {
    const status = takeFailure('POST /p/:id/tunes');
    if (status && status !== 504) return reply.code(status).send(failureBody(status));
    const packId = Number(request.params.id);
    const pack = packs.find((p) => p.id === packId);
    if (!pack) return reply.code(404).send({ error: 'Pack not found' });
    const { fields, files } = await parseForm(request);
    const field = (k: string) => fields.get(`tune[${k}]`)?.[0];
    const title = field('title');
    const name = field('name');
    const tuneIds = (fields.get('tune[tune_ids][]') ?? []).map(Number);
    const cb = {
      tune: field('callback') ?? null,
      prompts: field('prompts_callback') ?? null,
      prompt: fields.get('tune[prompt_attributes][callback]')?.[0] ?? null,
    };
    if (tuneIds.length > 0) {
      const base = tunes.get(tuneIds[0] ?? 0);
      if (!base || base.deleted) return reply.code(422).send({ tune_ids: ['not found'] });
      schedule(base, packId, name ?? base.name, false, cb);
      if (status === 504) return reply.code(504).send(failureBody(504));
      return reply.code(201).send({ status: 201, message: 'Prompts created' });
    }
    if (!title || !name) return reply.code(422).send({ title: ['is required'], name: ['is required'] });
    const images = files.get('tune[images][]') ?? [];
    const imageUrls = fields.get('tune[image_urls][]') ?? [];
    if (images.length + imageUrls.length === 0) return reply.code(422).send({ images: ['are required'] });
    const existing = [...tunes.values()].find((t) => t.title === title && !t.deleted);
    if (existing) {
      if (status === 504) return reply.code(504).send(failureBody(504));
      return reply.code(201).send(publicTune(existing));
    }
    const characteristics: Record<string, string> = {};
    for (const [k, v] of fields) {
      const m = /^tune\[characteristics\]\[(.+)\]$/.exec(k);
      if (m?.[1] && v[0] !== undefined) characteristics[m[1]] = v[0];
    }
    const created = new Date();
    const id = nextTuneId++;
    const tune: SimTune = {
      id,
      title,
      name,
      token: 'ohwx',
      branch: field('branch') ?? 'flux1',
      model_type: 'lora',
      pack_id: packId,
      eta: new Date(created.getTime() + trainingDelayMs).toISOString(),
      trained_at: null,
      started_training_at: created.toISOString(),
      expires_at: new Date(created.getTime() + 30 * 86_400_000).toISOString(),
      created_at: created.toISOString(),
      updated_at: created.toISOString(),
      characteristics,
      orig_images: images.map((_f, i) => `${baseUrl}/_sim/orig/${id}-${i + 1}.jpg`).concat(imageUrls),
      uploads: images.map((f) => ({ filename: f.filename, size: f.bytes.length })),
      callback: cb.tune,
      prompts_callback: cb.prompts,
      prompt_callback: cb.prompt,
      deleted: false,
    };
    tunes.set(id, tune);
    schedule(tune, packId, name, true, cb);
    if (status === 504) return reply.code(504).send(failureBody(504));
    return reply.code(201).send(publicTune(tune));
  });

  app.get<{ Querystring: { title?: string } }>('/tunes', async (request, reply) => {
    const status = takeFailure('GET /tunes');
    if (status) return reply.code(status).send(failureBody(status));
    const title = request.query.title;
    return [...tunes.values()]
      .filter((t) => !t.deleted && (title === undefined || t.title === title))
      .sort((a, b) => b.id - a.id)
      .map(publicTune);
  });

  app.get<{ Params: { id: string } }>('/tunes/:id', async (request, reply) => {
    const status = takeFailure('GET /tunes/:id');
    if (status) return reply.code(status).send(failureBody(status));
    const tune = tunes.get(Number(request.params.id));
    if (!tune || tune.deleted) return reply.code(404).send({ error: 'Not found' });
    return publicTune(tune);
  });

  app.get<{ Params: { id: string } }>('/tunes/:id/prompts', async (request, reply) => {
    const status = takeFailure('GET /tunes/:id/prompts');
    if (status) return reply.code(status).send(failureBody(status));
    const tune = tunes.get(Number(request.params.id));
    if (!tune || tune.deleted) return reply.code(404).send({ error: 'Not found' });
    return [...prompts.values()].filter((p) => p.tune_id === tune.id).sort((a, b) => b.id - a.id);
  });

  app.delete<{ Params: { id: string } }>('/tunes/:id', async (request, reply) => {
    const status = takeFailure('DELETE /tunes/:id');
    if (status) return reply.code(status).send(failureBody(status));
    const tune = tunes.get(Number(request.params.id));
    if (!tune || tune.deleted) return reply.code(404).send({ error: 'Not found' });
    tune.deleted = true;
    return reply.code(204).send();
  });

  // ---- generated pictures
  const serveImage = async (key: string, make: () => Promise<Buffer>, reply: FastifyReply) => {
    let bytes = imageCache.get(key);
    if (!bytes) {
      bytes = await make();
      imageCache.set(key, bytes);
    }
    return reply.type('image/jpeg').send(bytes);
  };
  app.get<{ Params: { name: string } }>('/_sim/images/:name', async (request, reply) => {
    const name = request.params.name;
    if (name.startsWith('black')) return serveImage(name, () => blackImage(), reply);
    if (name.startsWith('broken')) return reply.type('image/jpeg').send(BROKEN_IMAGE);
    if (name.startsWith('missing')) return reply.code(404).send({ error: 'Not found' });
    return serveImage(name, () => placeholderPortrait(name), reply);
  });
  app.get<{ Params: { name: string } }>('/_sim/covers/:name', async (request, reply) =>
    serveImage(
      `cover-${request.params.name}`,
      () => placeholderPortrait(`cover-${request.params.name}`, 512, 512),
      reply,
    ),
  );
  app.get<{ Params: { name: string } }>('/_sim/orig/:name', async (request, reply) =>
    serveImage(`orig-${request.params.name}`, () => placeholderPortrait(`orig-${request.params.name}`), reply),
  );

  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  baseUrl = address.replace('0.0.0.0', '127.0.0.1');

  return {
    url: baseUrl,
    setInspectResults(results) {
      if (typeof results === 'function') {
        inspectFn = results;
        inspectQueue = [];
      } else inspectQueue = [...results];
    },
    failNext(route, status, count = 1) {
      const queue = failures.get(route) ?? [];
      for (let i = 0; i < count; i++) queue.push(status);
      failures.set(route, queue);
    },
    setCallbacks(enabled) {
      callbacksEnabled = enabled;
    },
    tunes,
    prompts,
    requests,
    callbacks,
    packs,
    async idle() {
      while (timers.size > 0 || inFlight.size > 0) {
        await Promise.all([...inFlight]);
        if (timers.size > 0) await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...inFlight]);
      await app.close();
    },
  };
}
