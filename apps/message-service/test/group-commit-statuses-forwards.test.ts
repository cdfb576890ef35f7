import { queryRows } from '@astria/db';
import { userHashOf } from '@astria/events';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestResult } from '../src/ingest.js';
import type { ForwardPart } from '../src/rollout/route-notification.js';
import type { DeliveryStatus, InboundMessage, ParsedNotification, StatusUpdate } from '../src/webhook/notification.js';
import { createHarness, type Harness } from './harness.js';

/**
 * A group's statuses (one statement) and forwards (one de-dup insert, one outbox insert) leave exactly
 * what one transaction per status, or per forward, in the order the group takes them gives: the same
 * scenario runs both ways, under two prefixes (`run`: 1 one by one, 2 as one group), and the rows are
 * compared with the prefix taken out. PGlite, or PostgreSQL with DATABASE_URL.
 */
describe(`group commit: set-based statuses and forwards (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let h: Harness;

  beforeAll(async () => {
    // One transaction at a time: every webhook arriving meanwhile joins the next group.
    h = await createHarness({ INGEST_MAX_CONCURRENT_TX: '1', INGEST_MAX_BATCH: '32' });
  });
  afterAll(async () => {
    await h.close();
  });

  const empty = (): ParsedNotification => ({ messages: [], statuses: [], ignoredChanges: 0, refused: [] });
  const user = (run: number, n: number) => `1555${run}00000${n}`;
  const wamid = (run: number, name: string) => `wamid.r${run}.${name}`;
  /** Takes the run's prefix out of every user id and wamid of a value. */
  const unprefixed = (run: number, value: unknown) =>
    JSON.parse(JSON.stringify(value).replaceAll(`wamid.r${run}.`, 'wamid.').replaceAll(`1555${run}0`, '15550'));
  const groupCount = async () => {
    const metrics = (await h.app.inject('/metrics')).body;
    return Number(/whatsapp_ingest_group_size_count\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
  };
  const pendingSends = async () =>
    (await h.registry.getMetricsAsJSON())
      .find((m) => m.name === 'whatsapp_delivery_failures_total')
      ?.values.filter((v) => v.labels.action === 'pending_send')
      .reduce((sum, v) => sum + v.value, 0) ?? 0;

  /** The jobs as one group, behind a first webhook with nothing in it (its transaction: begin, commit). */
  async function groupBehindEmpty(jobs: Array<() => Promise<IngestResult>>): Promise<IngestResult[]> {
    const first = h.app.webhookIngest.ingest(empty(), 'occupy');
    const results = await Promise.all(jobs.map((job) => job()));
    await first;
    return results;
  }

  /** Ingests the jobs as ONE group (the metric counts two: the first webhook and the group). */
  async function asOneGroup(jobs: Array<() => Promise<IngestResult>>): Promise<IngestResult[]> {
    const before = await groupCount();
    const results = await groupBehindEmpty(jobs);
    expect((await groupCount()) - before).toBe(2);
    return results;
  }

  describe('statuses', () => {
    // Users 1–3 are served; 8 erased their data and came back (a conversation since); 9 erased it (none since).
    const status = (
      run: number,
      name: string,
      s: DeliveryStatus,
      recipient: number | null,
      at: number,
      errorCode: number | null = null,
    ): StatusUpdate => ({
      wamid: wamid(run, name),
      status: s,
      recipient: recipient === null ? null : user(run, recipient),
      timestamp: 1_764_000_000_000 + at * 1000,
      errorCode,
      errorTitle: errorCode === null ? null : `error ${errorCode}`,
    });

    /** The webhooks of a run: duplicates, statuses out of order, after `failed`, late ones of an erased user. */
    function webhooks(run: number): StatusUpdate[][] {
      const s = (name: string, st: DeliveryStatus, recipient: number | null, at: number, code: number | null = null) =>
        status(run, name, st, recipient, at, code);
      const fixed: StatusUpdate[][] = [
        [s('a1', 'sent', 1, 1), s('a1', 'delivered', 1, 2), s('b1', 'read', 2, 3)],
        [s('a1', 'read', 1, 5), s('a1', 'delivered', 1, 4), s('b1', 'delivered', 2, 2), s('e1', 'read', 9, 6)],
        [s('b1', 'read', 2, 7), s('c1', 'failed', 3, 8, 131049), s('c1', 'delivered', 3, 9), s('pre', 'sent', 1, 1)],
        [s('pre', 'read', 1, 9), s('r1', 'delivered', 8, 9), s('n1', 'sent', null, 9), s('a1', 'read', 1, 9)],
        [
          s('c2', 'read', 3, 10),
          s('c2', 'failed', 3, 11, 131026),
          s('e2', 'failed', 9, 12, 131000),
          s('c1', 'sent', 3, 7),
        ],
        [s('c2', 'failed', 3, 13, 131026), s('e1', 'delivered', 9, 13), s('d1', 'delivered', 2, 14)],
      ];
      // And many more of several users, in a scrambled order (a fixed pseudo-random sequence).
      const kinds: DeliveryStatus[] = ['sent', 'delivered', 'read', 'delivered', 'sent', 'read', 'failed'];
      let seed = 17;
      const next = (n: number) => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed % n;
      };
      const more = Array.from({ length: 14 }, () =>
        Array.from({ length: 4 }, () => {
          const k = next(9);
          const kind = kinds[next(kinds.length)] as DeliveryStatus;
          return s(`m${k}`, kind, k === 8 ? 9 : (k % 3) + 1, 20 + next(50), kind === 'failed' ? 131049 : null);
        }),
      );
      return [...fixed, ...more];
    }

    async function prepare(run: number) {
      const db = h.database.db;
      for (const n of [8, 9])
        await db.execute(sql`insert into messaging.erasures (user_hash) values (${userHashOf(user(run, n))})`);
      await db.execute(
        sql`insert into messaging.conversations (user_id, state, language, data) values (${user(run, 8)}, 'collecting_photos', 'en', '{}'::jsonb)`,
      );
      await db.execute(
        sql`insert into messaging.message_statuses (wamid, status, rank) values (${wamid(run, 'pre')}, 'delivered', 2)`,
      );
    }

    const stored = async (run: number) =>
      unprefixed(
        run,
        await queryRows(
          h.database.db,
          sql`select wamid, recipient, status, rank, error_code, error_title, status_at
                from messaging.message_statuses where wamid like ${`wamid.r${run}.%`} order by wamid`,
        ),
      );

    it('one statement for the group leaves the rows, counts and failures of one statement per status', async () => {
      // Run 1, one by one: each status alone, in the order a group takes them (by wamid; a wamid's in webhook order).
      await prepare(1);
      const pendingBefore = await pendingSends();
      const oneByOne = webhooks(1);
      const counts = oneByOne.map(() => 0);
      const order = oneByOne
        .flatMap((statuses, index) => statuses.map((s) => ({ s, index })))
        .sort((a, b) => (a.s.wamid < b.s.wamid ? -1 : a.s.wamid > b.s.wamid ? 1 : 0));
      for (const { s, index } of order) {
        const result = await h.app.webhookIngest.ingest({ ...empty(), statuses: [s] }, `c${index}`);
        counts[index] = (counts[index] ?? 0) + result.statuses;
      }
      const pendingOneByOne = (await pendingSends()) - pendingBefore;

      // Run 2: the same webhooks as one group.
      await prepare(2);
      const results = await asOneGroup(
        webhooks(2).map((statuses, index) => () => h.app.webhookIngest.ingest({ ...empty(), statuses }, `c${index}`)),
      );
      expect(results.map((r) => r.statuses)).toEqual(counts);
      expect(await stored(2)).toEqual(await stored(1));
      expect((await pendingSends()) - pendingBefore - pendingOneByOne).toBe(pendingOneByOne);

      // What that is, for the named wamids: the first status of the highest rank; erased users' dropped.
      const rows = (await stored(2)) as Array<Record<string, unknown> & { wamid: string }>;
      const byWamid = new Map(rows.map((r) => [r.wamid, r]));
      expect(byWamid.get('wamid.a1')?.status).toBe('read');
      expect(new Date(byWamid.get('wamid.a1')?.status_at as string).getTime()).toBe(1_764_000_005_000);
      expect(byWamid.get('wamid.b1')?.status).toBe('read');
      expect(byWamid.get('wamid.c1')).toMatchObject({
        status: 'failed',
        error_code: 131049,
        error_title: 'error 131049',
      });
      expect(byWamid.get('wamid.c2')).toMatchObject({ status: 'failed', error_code: 131026 });
      expect(byWamid.get('wamid.pre')?.status).toBe('read');
      expect(byWamid.get('wamid.r1')?.status).toBe('delivered');
      expect(byWamid.get('wamid.n1')?.status).toBe('sent');
      expect(byWamid.has('wamid.e1') || byWamid.has('wamid.e2') || byWamid.has('wamid.m8')).toBe(false);
      expect(rows.every((r) => r.recipient === null)).toBe(true);
      expect(results.slice(0, 6).map((r) => r.statuses)).toEqual([3, 1, 1, 3, 2, 1]);
      expect(pendingOneByOne).toBeGreaterThanOrEqual(2);
    });
  });

  /**
   * The statements postgres.js sends while `run` runs (its `debug` hook, read per query from the client's
   * options), but the driver's own look-ups of types on a new connection; first words only, and the texts.
   */
  async function statementsOf(run: () => Promise<void>): Promise<{ verbs: string[]; texts: string[] }> {
    const texts: string[] = [];
    const client = h.database.postgres as unknown as { options: { debug?: unknown } };
    client.options.debug = (_connection: number, query: string) => {
      if (!query.includes('pg_catalog')) texts.push(query.trim());
    };
    try {
      await run();
    } finally {
      client.options.debug = undefined;
    }
    return { verbs: texts.map((q) => q.split(/\s/)[0] ?? ''), texts };
  }

  it.skipIf(!process.env.DATABASE_URL)(
    'a group of 32 webhooks of 4 statuses each costs one statement for them',
    async () => {
      const statuses = (i: number): StatusUpdate[] =>
        (['sent', 'delivered', 'read', 'delivered'] as const).map((s, k) => ({
          wamid: `wamid.count.${i}.${k % 3}`,
          status: s,
          recipient: `155570000${i % 8}`,
          timestamp: 1_764_000_000_000 + k,
          errorCode: null,
          errorTitle: null,
        }));
      let results: IngestResult[] = [];
      const { verbs, texts } = await statementsOf(async () => {
        results = await groupBehindEmpty(
          Array.from(
            { length: 32 },
            (_, i) => () => h.app.webhookIngest.ingest({ ...empty(), statuses: statuses(i) }, 'c'),
          ),
        );
      });
      expect(results.map((r) => r.statuses)).toEqual(Array(32).fill(4));
      expect(verbs).toEqual(['begin', 'commit', 'begin', 'with', 'commit']);
      expect(texts[3]).toContain('messaging.message_statuses');
    },
  );

  describe('forwards', () => {
    const message = (run: number, name: string, from: number): InboundMessage => ({
      id: wamid(run, name),
      userId: user(run, from),
      phone: user(run, from),
      name: null,
      timestamp: 1_764_000_000_000,
      type: 'text',
      text: 'hi',
    });

    /** Webhooks with the old app's part: new messages, a Meta retry in the same group, seen ones, statuses only, shadow. */
    function jobs(run: number): Array<{ notification: ParsedNotification; forward: ForwardPart }> {
      const m = (name: string, from: number) => message(run, name, from);
      const part = (messages: InboundMessage[], statuses = 0, shadow = false, key = user(run, 1)) => ({
        body: JSON.stringify({ messages: messages.map((x) => x.id.replace(`r${run}.`, '')), statuses }),
        messages,
        statuses,
        shadow,
        key,
      });
      const shadowed = (messages: InboundMessage[]) => ({
        notification: { ...empty(), messages },
        forward: part(messages, 0, true, messages[0]?.userId),
      });
      return [
        { notification: empty(), forward: part([m('a1', 1), m('a2', 1)]) },
        { notification: empty(), forward: part([m('b1', 2)], 1, false, user(run, 2)) },
        { notification: empty(), forward: part([m('a2', 1)]) }, // Meta's retry of a2, in the same group: not again
        { notification: empty(), forward: part([], 2) }, // statuses only
        { notification: empty(), forward: part([m('seen', 3)], 0, false, user(run, 3)) }, // recorded before
        { notification: empty(), forward: part([m('c2', 3), m('seen', 3)], 0, false, user(run, 3)) },
        { notification: empty(), forward: part([m('b1', 2)], 0, false, user(run, 2)) },
        { notification: empty(), forward: part([m('b1', 2)], 1, false, user(run, 2)) }, // a status: forwarded
        shadowed([m('s1', 4)]),
        shadowed([m('s-seen', 5)]), // recorded before: a duplicate here, not forwarded
        { notification: empty(), forward: part([]) }, // nothing at all
      ];
    }

    async function prepare(run: number) {
      const db = h.database.db;
      for (const [name, from] of [
        ['seen', 3],
        ['s-seen', 5],
      ] as const)
        await db.execute(
          sql`insert into messaging.inbound_messages (wamid, user_id, type, sent_at) values (${wamid(run, name)}, ${user(run, from)}, 'text', now())`,
        );
    }

    const forwards = async (run: number) =>
      unprefixed(
        run,
        (
          await queryRows<{ key: string; envelope: unknown }>(
            h.database.db,
            sql`select key, envelope from messaging.outbox
                 where type = 'whatsapp_forward_requested' and key like ${`1555${run}%`} order by seq`,
          )
        ).map(({ key, envelope }) => {
          const e = (typeof envelope === 'string' ? JSON.parse(envelope) : envelope) as {
            correlationId: string;
            data: unknown;
          };
          return { key, correlationId: e.correlationId, data: e.data };
        }),
      );
    const recorded = async (run: number) =>
      unprefixed(
        run,
        await queryRows(
          h.database.db,
          sql`select wamid, user_id, type from messaging.inbound_messages where wamid like ${`wamid.r${run}.%`} order by wamid`,
        ),
      );

    it('one de-dup insert and one outbox insert for the group give the events of one forward at a time', async () => {
      await prepare(1);
      const oneByOne: IngestResult[] = [];
      for (const [index, { notification, forward }] of jobs(1).entries())
        oneByOne.push(await h.app.webhookIngest.ingest(notification, `c${index}`, forward));

      await prepare(2);
      const results = await asOneGroup(
        jobs(2).map(
          ({ notification, forward }, index) =>
            () =>
              h.app.webhookIngest.ingest(notification, `c${index}`, forward),
        ),
      );
      expect(results).toEqual(oneByOne);
      expect(await forwards(2)).toEqual(await forwards(1));
      expect(await recorded(2)).toEqual(await recorded(1));
      // Which went, in webhook order: not the retry of a2, not what was seen before, not an empty part.
      expect(((await forwards(2)) as Array<{ correlationId: string }>).map((f) => f.correlationId)).toEqual([
        'c0',
        'c1',
        'c3',
        'c5',
        'c7',
        'c8',
      ]);
    });

    it.skipIf(!process.env.DATABASE_URL)(
      'a group of 32 forwards costs one de-dup insert and one outbox insert',
      async () => {
        const part = (i: number): ForwardPart => ({
          body: '{}',
          messages: [message(3, `count.${i}.0`, 6), message(3, `count.${i}.1`, 6)],
          statuses: 0,
          shadow: false,
          key: user(3, 6),
        });
        let results: IngestResult[] = [];
        const { verbs, texts } = await statementsOf(async () => {
          results = await groupBehindEmpty(
            Array.from({ length: 32 }, (_, i) => () => h.app.webhookIngest.ingest(empty(), `c${i}`, part(i))),
          );
        });
        expect(results).toHaveLength(32);
        expect(verbs).toEqual(['begin', 'commit', 'begin', 'insert', 'with', 'commit']);
        expect(texts[3]).toContain('messaging.inbound_messages');
        expect(texts[4]).toContain('"outbox"');
        const [row] = await queryRows<{ n: number }>(
          h.database.db,
          sql`select count(*)::int as n from messaging.outbox where type = 'whatsapp_forward_requested' and key = ${user(3, 6)}`,
        );
        expect(row?.n).toBe(32);
      },
    );
  });
});
