import { createHmac } from 'node:crypto';
import { type Database, queryRows } from '@astria/db';
import { makeWamid, metaSerialize, signWebhookBody } from '@astria/simulators/whatsapp';
import { sql } from 'drizzle-orm';
import { Checks, type FaultReport } from '../report.js';
import {
  APP_SECRET,
  CALLBACK_SECRET,
  type ServiceProcess,
  STRIPE_SECRET,
  SUMIT_TOKEN,
  startImageStack,
  startMessageStack,
  startPaymentStack,
} from '../stack.js';
import { type PostResult, pool, textNotification, userPhone } from '../webhooks.js';
import type { FaultOptions } from './message-faults.js';

/** A small deterministic PRNG (mulberry32), so a run is repeatable from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The hostile values: wrong types, huge strings, NUL and lone surrogates, huge numbers, deep nesting, big arrays. */
export const MUTATION_CLASSES = [
  'wrong-type',
  'missing',
  'huge-string',
  'nul',
  'lone-surrogate',
  'huge-number',
  'deep-nesting',
  'big-array',
] as const;
export type MutationClass = (typeof MUTATION_CLASSES)[number];

function hostile(kind: MutationClass, rand: () => number): unknown {
  switch (kind) {
    case 'wrong-type':
      return [null, true, 0, -1, 1.5, [], {}, 'x', { a: 1 }][Math.floor(rand() * 9)];
    case 'huge-string':
      return 'A'.repeat(10_000 + Math.floor(rand() * 200_000));
    case 'nul':
      return `a\u0000b\u0000${'\u0000'.repeat(Math.floor(rand() * 10))}`;
    case 'lone-surrogate':
      return `x\ud800y\udfff${rand() < 0.5 ? '\ud83d' : ''}`;
    case 'huge-number':
      return [1e308, -1e308, 2 ** 64, Number.MAX_SAFE_INTEGER + 2, 1e-320][Math.floor(rand() * 5)];
    case 'deep-nesting': {
      let v: unknown = 'deep';
      for (let i = 0, n = 500 + Math.floor(rand() * 3000); i < n; i++) v = rand() < 0.5 ? [v] : { a: v };
      return v;
    }
    case 'big-array':
      return Array.from({ length: 10_000 }, (_, i) => (rand() < 0.5 ? i : { id: `x${i}` }));
    case 'missing':
      return undefined;
  }
}

/** Every path (object keys and array indexes) inside a JSON value. */
function paths(
  value: unknown,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = [...prefix, Array.isArray(value) ? Number(k) : k];
      out.push(p);
      paths(v, p, out);
    }
  }
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
}

export interface FuzzCase {
  kind: MutationClass;
  path: string;
  /** The unique id of the case's payment, message or prompt (the payload's own, before mutation). */
  key: string;
  payload: unknown;
}

/** 1–3 hostile values of one class at random paths of `payload` (mutated in place). */
function mutate(payload: unknown, kind: MutationClass, rand: () => number): string {
  const all = paths(payload);
  const mutated: string[] = [];
  for (let m = 0, n = 1 + Math.floor(rand() * 3); m < n && all.length > 0; m++) {
    const path = all[Math.floor(rand() * all.length)] as (string | number)[];
    try {
      setAt(payload, path, hostile(kind, rand));
      mutated.push(path.join('.'));
    } catch {
      // the path vanished with an earlier mutation
    }
  }
  return mutated.join(',');
}

/** Mutated copies of an authentic payload: `make(i)` builds case i's payload and its unique key. */
export function fuzzCases(
  count: number,
  seed: number,
  make: (i: number) => { key: string; payload: unknown },
  classes: readonly MutationClass[] = MUTATION_CLASSES,
): FuzzCase[] {
  const rand = prng(seed);
  return Array.from({ length: count }, (_, i) => {
    const { key, payload } = make(i);
    const kind = classes[Math.floor(rand() * classes.length)] as MutationClass;
    return { kind, key, payload, path: mutate(payload, kind, rand) };
  });
}

/** One webhook under fuzz: its authentic payload, how to post it, and what it stored. */
interface Target {
  name: Webhook;
  service: ServiceProcess;
  database: Database;
  make(i: number): { key: string; payload: unknown };
  post(payload: unknown): Promise<PostResult & { body: string }>;
  /** Keys of what the webhook stored (messages, payments, prompts). */
  storedKeys(): Promise<Set<string>>;
  /** True when the answer says the payload carried something valid that was kept. */
  kept(status: number, body: string): boolean;
}

export const WEBHOOKS = ['whatsapp', 'sumit', 'stripe', 'astria'] as const;
export type Webhook = (typeof WEBHOOKS)[number];

/** The bytes a provider would send (JSON; `undefined` values, from the `missing` class, are left out). */
function serialize(value: unknown): string {
  return JSON.stringify(value) ?? '';
}

async function postRaw(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<PostResult & { body: string }> {
  const started = performance.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    return {
      status: response.status,
      ms: performance.now() - started,
      retryAfter: response.headers.get('retry-after'),
      body: text,
    };
  } catch (error) {
    return { status: 0, ms: performance.now() - started, retryAfter: null, error: String(error), body: '' };
  }
}

const json = (body: string): Record<string, unknown> => {
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    return {};
  }
};

async function keys(database: Database, query: ReturnType<typeof sql>): Promise<Set<string>> {
  return new Set((await queryRows<{ k: string }>(database.db, query)).map((r) => String(r.k)));
}

const FUZZ_TUNE_ID = 4_242_424;
const FUZZ_REQUEST = 'chaos-fuzz-request';

/** Starts the service behind `webhook` and describes how to fuzz it; `close` stops it. */
async function target(
  webhook: Webhook,
  databaseUrl: string,
  seed: number,
): Promise<Target & { close(): Promise<void> }> {
  if (webhook === 'whatsapp') {
    const stack = await startMessageStack(databaseUrl);
    return {
      name: webhook,
      service: stack.service,
      database: stack.database,
      close: () => stack.close(),
      make(i) {
        const phone = userPhone(seed, i);
        const wamid = makeWamid(phone);
        return { key: wamid, payload: textNotification(phone, `fuzz ${i}`, wamid) };
      },
      post(payload) {
        const body = metaSerialize(payload);
        return postRaw(stack.webhookUrl, body, { 'x-hub-signature-256': signWebhookBody(APP_SECRET, body) });
      },
      storedKeys: () => keys(stack.database, sql`select wamid as k from messaging.inbound_messages`),
      // 200 with nothing accepted (everything refused or malformed) keeps nothing.
      kept: (status, body) => status === 200 && Number(json(body).accepted) + Number(json(body).duplicates) > 0,
    };
  }
  if (webhook === 'sumit' || webhook === 'stripe') {
    const stack = await startPaymentStack(databaseUrl);
    // One authentic payment of each provider, made by the simulator: its exact body is the seed of every case.
    const paid = await stack.sim.pay({ provider: webhook, tier: 'standard', userId: '972501112233', name: 'Fuzz' });
    const base = JSON.parse(paid.body) as Record<string, unknown>;
    const sumitUrl = `${stack.serviceUrl}/payment-received?token=${SUMIT_TOKEN}`;
    const stripeUrl = `${stack.serviceUrl}/stripe/webhook`;
    return {
      name: webhook,
      service: stack.service,
      database: stack.database,
      close: () => stack.close(),
      make(i) {
        const payload = structuredClone(base) as Record<string, unknown> & {
          data?: { object?: Record<string, unknown> };
        };
        const key = webhook === 'sumit' ? `F${seed}-${i}` : `cs_fuzz_${seed}_${i}`;
        if (webhook === 'sumit') payload.EntityID = key;
        else {
          payload.id = `evt_fuzz_${seed}_${i}`;
          if (payload.data?.object) payload.data.object.id = key;
        }
        return { key, payload };
      },
      async post(payload) {
        const body = serialize(payload);
        if (webhook === 'sumit') return postRaw(sumitUrl, body);
        // Signed exactly as Stripe signs: t=<seconds>,v1=HMAC-SHA256(secret, "<t>.<body>").
        const t = Math.floor(Date.now() / 1000);
        const v1 = createHmac('sha256', STRIPE_SECRET).update(`${t}.${body}`).digest('hex');
        return postRaw(stripeUrl, body, { 'stripe-signature': `t=${t},v1=${v1}` });
      },
      storedKeys: () =>
        keys(stack.database, sql`select provider_payment_id as k from payments.payments where provider = ${webhook}`),
      kept: (status, body) =>
        status === 200 && ['applied', 'needs_review', 'duplicate'].includes(String(json(body).status)),
    };
  }
  const stack = await startImageStack(databaseUrl);
  // A tune Astria is rendering (as training_requested + Astria would have left it): callbacks for it are stored.
  await stack.database.db.execute(
    sql`insert into imaging.tunes (request_id, user_id, pack_id, tier, subject_class, payment_id, title, tune_id, status)
        values (${FUZZ_REQUEST}, '972501112233', 1, 'standard', 'man', 'pay-fuzz', 'fuzz', ${FUZZ_TUNE_ID}, 'trained')`,
  );
  // The callback URL Astria was given (image-service's callbackUrls: an HMAC of the request id).
  const token = createHmac('sha256', CALLBACK_SECRET).update(`astria-callback:v1:${FUZZ_REQUEST}`).digest('base64url');
  const query = `request=${FUZZ_REQUEST}&token=${token}`;
  const promptsUrl = `${stack.serviceUrl}/pack-tune-received?${query}`;
  const tuneUrl = `${stack.serviceUrl}/tune-trained?${query}`;
  // Every fourth case is the tune callback (to its own URL); the others a prompt callback.
  const urlOf = new WeakMap<object, string>();
  return {
    name: webhook,
    service: stack.service,
    database: stack.database,
    close: () => stack.close(),
    make(i) {
      const id = 10_000_000 + i;
      if (i % 4 === 3) {
        const payload = {
          tune: {
            id: FUZZ_TUNE_ID,
            title: 'fuzz',
            trained_at: '2026-12-01T09:00:00.000Z',
            eta: '2026-12-01T08:55:00.000Z',
            expires_at: '2026-12-31T09:00:00.000Z',
            orig_images: ['https://cdn.example.com/fuzz/orig/1.jpg'],
          },
        };
        urlOf.set(payload, tuneUrl);
        return { key: `tune-${i}`, payload };
      }
      const payload = {
        prompt: {
          id,
          tune_id: FUZZ_TUNE_ID,
          text: `sks man as an astronaut ${i}`,
          images: [`https://cdn.example.com/fuzz/${id}/1.jpg`, `https://cdn.example.com/fuzz/${id}/2.jpg`],
          user_error: null,
          created_at: '2026-12-01T10:00:00.000Z',
          negative_prompt: '',
          steps: 30,
        },
      };
      urlOf.set(payload, promptsUrl);
      return { key: String(id), payload };
    },
    post: (payload) => postRaw(urlOf.get(payload as object) ?? promptsUrl, serialize(payload)),
    storedKeys: () => keys(stack.database, sql`select prompt_id as k from imaging.prompts`),
    kept: (status) => status === 200,
  };
}

/** One webhook fuzzed: zero 5xx, zero crashes, nothing stored for a payload that carried nothing valid. */
async function fuzzOne(checks: Checks, t: Target, cases: FuzzCase[]): Promise<void> {
  const results = await pool(
    cases.map((c) => async () => ({ c, r: await t.post(c.payload) })),
    4,
  );
  const byStatus = new Map<number, number>();
  for (const { r } of results) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  const fivexx = results.filter(({ r }) => r.status >= 500 || r.status === 0);
  const stored = await t.storedKeys();
  // Refused (4xx), or answered without keeping anything: its key must not be stored.
  const refusedButStored = results.filter(({ c, r }) => !t.kept(r.status, r.body) && stored.has(c.key));
  const classes5xx = new Map<string, number>();
  for (const { c } of fivexx) classes5xx.set(c.kind, (classes5xx.get(c.kind) ?? 0) + 1);
  const n = t.name;
  checks.check(`${n}: zero 5xx (or no answer)`, fivexx.length === 0, `${fivexx.length} of ${results.length}`);
  checks.check(`${n}: zero crashes`, !t.service.crashed && t.service.exits.length === 0);
  checks.check(
    `${n}: nothing stored for a payload refused or carrying nothing valid`,
    refusedButStored.length === 0,
    `${refusedButStored.length}`,
  );
  checks.figure(`${n} payloads`, results.length);
  checks.figure(`${n} statuses`, [...byStatus].map(([s, k]) => `${s}:${k}`).join(' '));
  checks.figure(`${n} stored`, stored.size);
  checks.figure(`${n} 5xx by class`, [...classes5xx].map(([k, v]) => `${k}:${v}`).join(' ') || 'none');
  for (const { c, r } of fivexx.slice(0, 5)) checks.finding(`${n} ${r.status} ${c.kind} at ${c.path}`);
  for (const { c, r } of refusedButStored.slice(0, 5))
    checks.finding(`${n} stored after ${r.status}: ${c.kind} at ${c.path}`);
}

/**
 * Posts mutated authentic payloads to each webhook (`size` per webhook, default 5,000): WhatsApp, SUMIT,
 * Stripe (correctly signed) and Astria's prompt callback (with its URL token).
 */
export async function fuzz(
  options: FaultOptions & { classes?: readonly MutationClass[]; seed?: number; webhooks?: readonly Webhook[] },
): Promise<FaultReport> {
  const checks = new Checks();
  const seed = options.seed ?? 16;
  const started = performance.now();
  for (const webhook of options.webhooks ?? WEBHOOKS) {
    const t = await target(webhook, options.databaseUrl, seed);
    try {
      await fuzzOne(checks, t, fuzzCases(options.size ?? 5000, seed, t.make, options.classes));
    } finally {
      await t.close();
    }
  }
  checks.figure('seconds', Math.round((performance.now() - started) / 100) / 10);
  return checks.report('fuzz');
}
