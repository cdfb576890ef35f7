import { messaging, queryRows } from '@astria/db';
import { makeWamid } from '@astria/simulators/whatsapp';
import { sql } from 'drizzle-orm';
import { Checks, type FaultReport } from '../report.js';
import { startMessageStack } from '../stack.js';
import { pool, postNotification, textNotification, userPhone } from '../webhooks.js';
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
  /** The wamid of the message in the payload, if its id survived the mutation. */
  wamid: string;
  notification: unknown;
}

/** Mutated authentic text notifications: 1–3 hostile values at random paths of a valid one. */
export function fuzzCases(count: number, seed: number, classes: readonly MutationClass[] = MUTATION_CLASSES) {
  const rand = prng(seed);
  const cases: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    const phone = userPhone(seed, i);
    const wamid = makeWamid(phone);
    const notification = textNotification(phone, `fuzz ${i}`, wamid);
    const all = paths(notification);
    const kind = classes[Math.floor(rand() * classes.length)] as MutationClass;
    const mutated: string[] = [];
    for (let m = 0, n = 1 + Math.floor(rand() * 3); m < n; m++) {
      const path = all[Math.floor(rand() * all.length)] as (string | number)[];
      try {
        setAt(notification, path, hostile(kind, rand));
        mutated.push(path.join('.'));
      } catch {
        // the path vanished with an earlier mutation
      }
    }
    cases.push({ kind, path: mutated.join(','), wamid, notification });
  }
  return cases;
}

/** Posts mutated authentic payloads: zero 5xx, zero crashes, nothing stored for what was refused. */
export async function fuzz(
  options: FaultOptions & { classes?: readonly MutationClass[]; seed?: number },
): Promise<FaultReport> {
  const checks = new Checks();
  const stack = await startMessageStack(options.databaseUrl);
  try {
    const seed = options.seed ?? 16;
    const cases = fuzzCases(options.size ?? 5000, seed, options.classes);
    const results = await pool(
      cases.map((c) => async () => ({ c, r: await postNotification(stack.webhookUrl, c.notification, 20_000) })),
      4,
    );
    const byStatus = new Map<number, number>();
    for (const { r } of results) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    const fivexx = results.filter(({ r }) => r.status >= 500 || r.status === 0);
    const stored = new Set(
      (await queryRows<{ wamid: string }>(stack.database.db, sql`select wamid from ${messaging.inboundMessages}`)).map(
        (x) => x.wamid,
      ),
    );
    const refusedButStored = results.filter(({ c, r }) => r.status >= 400 && r.status < 500 && stored.has(c.wamid));
    const classes5xx = new Map<string, number>();
    for (const { c } of fivexx) classes5xx.set(c.kind, (classes5xx.get(c.kind) ?? 0) + 1);
    checks.check('zero 5xx (or no answer)', fivexx.length === 0, `${fivexx.length} of ${results.length}`);
    checks.check('zero crashes', !stack.service.crashed && stack.service.exits.length === 0);
    checks.check('nothing stored for a refused payload', refusedButStored.length === 0, `${refusedButStored.length}`);
    checks.figure('payloads', results.length);
    checks.figure('statuses', [...byStatus].map(([s, n]) => `${s}:${n}`).join(' '));
    checks.figure('5xx by class', [...classes5xx].map(([k, n]) => `${k}:${n}`).join(' ') || 'none');
    for (const { c, r } of fivexx.slice(0, 10)) checks.finding(`${r.status} ${c.kind} at ${c.path}`);
  } finally {
    await stack.close();
  }
  return checks.report('fuzz');
}
