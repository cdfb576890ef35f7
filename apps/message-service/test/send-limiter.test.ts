import { fork } from 'node:child_process';
import { createTestDatabase, type TestDatabase } from '@astria/db/testing';
import { startWhatsAppSimulator, type WhatsAppSimulator } from '@astria/simulators/whatsapp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PODS = 3;
const USERS = 4;
const MESSAGES = 10;
const PER_SECOND = 30;

// Real processes on real PostgreSQL: PGlite is one process's in-memory database, it cannot be shared by pods.
describe.skipIf(!process.env.DATABASE_URL)(
  'send limiter shared by every pod (needs DATABASE_URL: real PostgreSQL)',
  () => {
    let database: TestDatabase;
    let sim: WhatsAppSimulator;
    beforeAll(async () => {
      database = await createTestDatabase();
      sim = await startWhatsAppSimulator({ phoneNumberId: '111', accessToken: 'tok', appSecret: 's' });
    });
    afterAll(async () => {
      await sim?.close();
      await database?.destroy();
    });

    it('three sender processes stay within 10 % of WHATSAPP_MAX_MPS together, each user in order', async () => {
      const children = Array.from({ length: PODS }, (_, pod) =>
        fork(new URL('./fixtures/send-limiter/sender-child.mjs', import.meta.url), {
          env: {
            ...process.env,
            LIMIT_DATABASE_URL: database.url ?? '',
            LIMIT_GRAPH_URL: sim.url,
            LIMIT_PER_SECOND: String(PER_SECOND),
            LIMIT_POD: String(pod),
            LIMIT_USERS: String(USERS),
            LIMIT_MESSAGES: String(MESSAGES),
          },
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      );
      const exits = children.map(
        (child) => new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))),
      );
      const said = (child: (typeof children)[number], key: string) =>
        new Promise<void>((resolve) =>
          child.on('message', (m) => {
            if ((m as Record<string, unknown>)[key]) resolve();
          }),
        );
      await Promise.all(children.map((child) => said(child, 'ready')));
      const done = children.map((child) => said(child, 'done'));
      for (const child of children) child.send('go');
      await Promise.all(done);
      expect(await Promise.all(exits)).toEqual([0, 0, 0]);

      const total = PODS * USERS * MESSAGES;
      expect(sim.sent).toHaveLength(total);
      const times = sim.sent.map((m) => m.at.getTime()).sort((a, b) => a - b);
      // Steady state: the middle 80 % of the sends (process start-up and the last stragglers left out).
      const steady = times.slice(Math.floor(total * 0.1), Math.ceil(total * 0.9));
      const rate = (steady.length - 1) / (((steady.at(-1) as number) - (steady[0] as number)) / 1000);
      expect(rate).toBeGreaterThan(PER_SECOND * 0.9);
      expect(rate).toBeLessThan(PER_SECOND * 1.1);
      // No one-second window goes over the limit plus the burst (not one pod's share times three).
      for (const start of times) {
        const inWindow = times.filter((t) => t >= start && t < start + 1000).length;
        expect(inWindow).toBeLessThanOrEqual(Math.ceil(PER_SECOND * 1.1 + PER_SECOND / 10));
      }
      // Per-user order: every recipient's bodies arrive 1, 2, 3, …
      const byUser = new Map<string, number[]>();
      for (const m of sim.sent) {
        const body = Number((m.payload.text as { body: string }).body);
        byUser.set(m.to, [...(byUser.get(m.to) ?? []), body]);
      }
      expect(byUser.size).toBe(PODS * USERS);
      for (const bodies of byUser.values()) expect(bodies).toEqual(Array.from({ length: MESSAGES }, (_, i) => i + 1));
    }, 60_000);
  },
);
