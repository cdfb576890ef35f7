import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type Database, migrate, queryRows } from '@astria/db';
import { createTestDatabase, waitFor } from '@astria/db/testing';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventRuntime, type EventRuntime, MemoryTransport } from '../src/index.js';

const EVENTS = 20;
const KILL_AT = 5;

describe(`a process killed between commit and delivery loses nothing (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite on disk'})`, () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('redelivers every committed event exactly once after SIGKILL', async () => {
    let childEnv: Record<string, string>;
    let reopen: () => Promise<Database>;
    if (process.env.DATABASE_URL) {
      const testDb = await createTestDatabase();
      await testDb.close();
      cleanups.push(() => testDb.destroy());
      childEnv = { CRASH_DATABASE_URL: testDb.url as string };
      reopen = () => createDatabase({ url: testDb.url, poolMax: 4 });
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'astria-crash-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      const setup = await createDatabase({ pgliteDataDir: dir });
      await migrate(setup);
      await setup.close();
      childEnv = { CRASH_PGLITE_DIR: dir };
      reopen = () => createDatabase({ pgliteDataDir: dir });
    }
    {
      const db = await reopen();
      await db.db.execute(sql`create table public.crash_effects (event_id uuid not null)`);
      await db.close();
    }

    const child = fork(new URL('./fixtures/crash-child.mjs', import.meta.url), {
      env: { ...process.env, ...childEnv, CRASH_EVENTS: String(EVENTS), CRASH_KILL_AT: String(KILL_AT) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const messages: unknown[] = [];
    child.on('message', (m) => messages.push(m));
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    expect(exit.signal).toBe('SIGKILL');
    expect(messages).toContainEqual({ committed: EVENTS });

    const database = await reopen();
    const [before] = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from public.crash_effects`,
    );
    expect(before?.n).toBe(KILL_AT - 1); // the dying handler's transaction rolled back

    const transport = new MemoryTransport({ retry: { baseMs: 10, maxMs: 50 } });
    const runtimes: EventRuntime[] = [
      createEventRuntime({ database, service: 'message-service', transport, relay: { safetyPollMs: 100 } }),
      createEventRuntime({ database, service: 'image-service', transport }),
    ];
    runtimes[1]?.consume({
      user_message_received: async (event, tx) => {
        await tx.execute(sql`insert into public.crash_effects (event_id) values (${event.id})`);
      },
    });
    cleanups.push(async () => {
      for (const r of runtimes) await r.stop();
      await transport.stop(1000);
      for (const r of runtimes) await r.close();
      await database.close();
    });
    await transport.start();
    for (const r of runtimes) await r.start();

    const rows = await waitFor(
      async () => {
        const r = await queryRows<{ event_id: string; n: number }>(
          database.db,
          sql`select event_id, count(*)::int as n from public.crash_effects group by event_id`,
        );
        return r.length === EVENTS ? r : null;
      },
      { timeoutMs: 15_000, what: `${EVENTS} distinct effects after the restart` },
    );
    expect(rows.every((r) => r.n === 1)).toBe(true);
    await waitFor(
      async () => {
        const [p] = await queryRows<{ n: number }>(
          database.db,
          sql`select count(*)::int as n from messaging.outbox where published_at is null`,
        );
        return p?.n === 0;
      },
      { what: 'the outbox to drain' },
    );
  });
});
