import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messaging, migrate, queryRows } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';

describe(`database (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.destroy();
  });

  it('applies every service schema with its event tables', async () => {
    const rows = await queryRows<{ table_schema: string; table_name: string }>(
      database.db,
      sql`select table_schema, table_name from information_schema.tables
          where table_name in ('outbox','inbox','dead_letters') order by 1, 2`,
    );
    const schemas = new Set(rows.map((r) => r.table_schema));
    expect(schemas).toEqual(new Set(['messaging', 'imaging', 'payments', 'maintenance']));
    expect(rows).toHaveLength(12);
  });

  it('applies the shared rollout schema with its one stage row, starting in shadow', async () => {
    const rows = await queryRows<{ stage: string; percent: number; version: number }>(
      database.db,
      sql`select stage, percent, version from rollout.stage`,
    );
    expect(rows).toEqual([{ stage: 'shadow', percent: 0, version: 0 }]);
  });

  it('is idempotent: migrating again changes nothing', async () => {
    await migrate(database, { url: database.url });
    const [row] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from messaging.outbox`);
    expect(row?.n).toBe(0);
  });

  it('migrates safely when several processes start at once', async () => {
    if (!database.url) return; // PGlite is single-process: the advisory lock only matters on PostgreSQL
    await Promise.all([1, 2, 3].map(() => migrate(database, { url: database.url })));
  });

  it('delivers NOTIFY after commit, not before', async () => {
    const received: string[] = [];
    const unlisten = await database.listen('db_test_channel', (p) => received.push(p));
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_notify('db_test_channel', 'hello')`);
      expect(received).toEqual([]);
    });
    const deadline = Date.now() + 5000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(received).toEqual(['hello']);
    await unlisten();
  });

  it('runs typed queries through drizzle on either driver', async () => {
    await database.db
      .insert(messaging.messagingInbox)
      .values({ subscription: 's', eventId: '0190a4a0-0000-7000-8000-000000000001' });
    const rows = await database.db.select().from(messaging.messagingInbox);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.handledAt).toBeInstanceOf(Date);
  });
});
