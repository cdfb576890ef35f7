import { queryRows } from '@astria/db';
import { createTestDatabase, type TestDatabase } from '@astria/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOldAppTables,
  formatImportReport,
  importAtFirstTouch,
  migrateFromMonolith,
  migrateToMonolith,
  setStage,
} from '../src/index.js';

const A = '972502220001'; // uploading: photos to re-request
const B = '972502220002'; // tune ready, Hebrew, a credit, two ratings
const C = '972502220003'; // paid, tune not delivered: training
const D = '972502220004'; // writing feedback
const SERVED = '972502220005'; // already served by the new system: never overwritten
const BAD = 'not-a-phone';

const driver = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

describe(`migrate-from-monolith and migrate-to-monolith against the old tables (${driver})`, () => {
  let db: TestDatabase;
  let old: TestDatabase;
  beforeAll(async () => {
    [db, old] = await Promise.all([createTestDatabase(), createTestDatabase({ migrate: false })]);
    await createOldAppTables(old.db);
    await old.db.execute(sql`insert into users (phone, state, credits, tuneid, chosen_pack, entity_type, language) values
      (${A}, 1, '0', null, null, null, 0),
      (${B}, 2, '1', '123', '7', 'woman', 1),
      (${C}, 1, '1', '55', '8', 'man', 0),
      (${D}, 3, '', '9', '3', 'man', 0),
      (${SERVED}, 0, '0', null, null, null, 0),
      (${BAD}, 0, '0', null, null, null, 0)`);
    await old.db.execute(sql`insert into pictures (phone_number, path) values (${A}, 'media-a1'), (${A}, 'media-a2')`);
    await old.db.execute(sql`insert into ratings (phone_number, rating, date, feedback) values
      (${B}, 5, current_date, 'great'), (${B}, 4, current_date - 3, null)`);
    await old.db.execute(sql`insert into msgs (id, date) values
      ('wamid.r1', current_date), ('wamid.r2', current_date - 1), ('wamid.r3', current_date - 13), ('wamid.old', current_date - 40)`);
    await old.db.execute(
      sql`insert into payments (id, date) values ('5001', current_date - 100), ('5002', current_date)`,
    );
    await db.db.execute(
      sql`insert into rollout.owners (user_id, owner, reason, stage_version) values (${SERVED}, 'new', 'allow', 1)`,
    );
  });
  afterAll(async () => {
    await Promise.all([db?.destroy(), old?.destroy()]);
  });

  const conversation = async (userId: string) =>
    (
      await queryRows<{ state: string; language: string; data: Record<string, unknown> }>(
        db.db,
        sql`select state, language, data from messaging.conversations where user_id = ${userId}`,
      )
    ).map((r) => ({ ...r, data: typeof r.data === 'string' ? JSON.parse(r.data) : r.data }))[0];
  const count = async (query: ReturnType<typeof sql>) => (await queryRows<{ n: number }>(db.db, query))[0]?.n;

  it('a dry run reports what it would do and writes nothing', async () => {
    const report = await migrateFromMonolith({ oldDb: old.db, db: db.db, source: 'old', dryRun: true });
    expect(report.users).toMatchObject({
      read: 6,
      imported: 4,
      skipped: { 'invalid-phone': 1, 'served-by-new-system': 1 },
    });
    expect(report.messages).toMatchObject({ read: 3, imported: 3 });
    expect(report.payments).toMatchObject({ read: 2, imported: 2 });
    expect(formatImportReport(report)[0]).toBe('dry run: nothing was written');
    expect(await count(sql`select count(*)::int as n from messaging.conversations`)).toBe(0);
    expect(await count(sql`select count(*)::int as n from rollout.import_checkpoints`)).toBe(0);
  });

  it('imports users, recent message ids, payment ids and ratings, and reports why it skipped the rest', async () => {
    const progress: string[] = [];
    const report = await migrateFromMonolith({
      oldDb: old.db,
      db: db.db,
      source: 'old',
      batchSize: 2,
      onProgress: (kind, done, total) => progress.push(`${kind} ${done}/${total}`),
    });
    expect(report.users).toEqual({ read: 6, imported: 4, skipped: { 'invalid-phone': 1, 'served-by-new-system': 1 } });
    expect(report.messages).toEqual({ read: 3, imported: 3, skipped: {} });
    expect(report.payments).toEqual({ read: 2, imported: 2, skipped: {} });
    expect(report.ratings).toBe(2);
    expect(report.photosToRerequest).toBe(1);
    expect(progress).toContain('users 6/6');
    expect(formatImportReport(report)).toContain(
      'users: read 6, imported 4, skipped 2 (1 served-by-new-system, 1 invalid-phone)',
    );

    expect(await conversation(A)).toMatchObject({
      state: 'collecting_photos',
      language: 'en',
      data: { rerequestPhotos: ['media-a1', 'media-a2'], photos: [], credit: null },
    });
    expect(await conversation(B)).toMatchObject({
      state: 'has_model',
      language: 'he',
      data: {
        models: [{ tuneId: 123, packId: 7, subjectClass: 'woman' }],
        selectedTuneId: 123,
        credit: { provider: 'monolith', tier: 'standard' },
        subjectClass: 'woman',
        packId: 7,
      },
    });
    expect(await conversation(C)).toMatchObject({ state: 'training', data: { training: { tuneId: 55, packId: 8 } } });
    expect(await conversation(D)).toMatchObject({ state: 'writing_feedback', data: { models: [{ tuneId: 9 }] } });
    expect(await conversation(SERVED)).toBeUndefined();
    expect(await count(sql`select count(*)::int as n from messaging.feedback where user_id = ${B}`)).toBe(2);
    expect(
      await count(
        sql`select count(*)::int as n from messaging.inbound_messages where wamid in ('wamid.r1', 'wamid.r3')`,
      ),
    ).toBe(2);
    expect(await count(sql`select count(*)::int as n from messaging.inbound_messages where wamid = 'wamid.old'`)).toBe(
      0,
    );
    expect(
      await count(
        sql`select count(*)::int as n from payments.payments where provider = 'sumit' and provider_payment_id in ('5001', '5002')`,
      ),
    ).toBe(2);
    expect(await count(sql`select count(*)::int as n from rollout.import_checkpoints`)).toBe(0);
  });

  it('is idempotent: a second run changes nothing and adds no rating or id twice', async () => {
    const report = await migrateFromMonolith({ oldDb: old.db, db: db.db, source: 'old' });
    expect(report.users.imported).toBe(4);
    expect(report.ratings).toBe(0);
    expect(report.messages).toEqual({ read: 3, imported: 0, skipped: { 'already-recorded': 3 } });
    expect(report.payments).toEqual({ read: 2, imported: 0, skipped: { 'already-recorded': 2 } });
    expect(await count(sql`select count(*)::int as n from messaging.feedback where user_id = ${B}`)).toBe(2);
    expect(await count(sql`select imports as n from rollout.imported_users where user_id = ${B}`)).toBe(2);
  });

  it('resumes after the last committed batch of an interrupted run', async () => {
    await db.db.execute(
      sql`insert into rollout.import_checkpoints (source, kind, last_key) values ('old', 'users', ${B})`,
    );
    const report = await migrateFromMonolith({ oldDb: old.db, db: db.db, source: 'old' });
    expect(report.users.resumedAfter).toBe(B);
    expect(report.users.read).toBe(4); // C, D, SERVED, BAD
  });

  it('imports one user at first touch, as the old app left them', async () => {
    await old.db.execute(sql`update users set state = 2, tuneid = '77', chosen_pack = '5' where phone = ${A}`);
    expect(await db.db.transaction((tx) => importAtFirstTouch(tx, old.db, A))).toBe(true);
    expect(await conversation(A)).toMatchObject({ state: 'has_model', data: { models: [{ tuneId: 77, packId: 5 }] } });
    expect(await db.db.transaction((tx) => importAtFirstTouch(tx, old.db, '972509999999'))).toBe(false);
  });

  it('writes the users the fallback handed back into the old tables, idempotently', async () => {
    await expect(migrateToMonolith({ db: db.db, oldDb: old.db })).rejects.toThrow(/fallback/);
    const NEWCOMER = '972502220009';
    await db.db.execute(sql`insert into messaging.conversations (user_id, state, language, data) values
      (${NEWCOMER}, 'choosing_pack', 'he', ${JSON.stringify({
        photos: [{ messageId: 'w1', status: 'accepted' }],
        credit: { paymentId: 'p1', provider: 'sumit', tier: 'lite' },
        subjectClass: 'woman',
      })}::jsonb)`);
    await db.db.execute(
      sql`insert into messaging.inbound_messages (wamid, user_id, type) values ('wamid.n1', ${NEWCOMER}, 'text')`,
    );
    await db.db.execute(sql`insert into payments.payments (id, provider, provider_payment_id, status, user_id, raw_payload)
      values (gen_random_uuid(), 'sumit', '6001', 'applied', ${NEWCOMER}, '{}'::jsonb)`);
    await setStage(db.db, { stage: 'canary', percent: 0, allow: [NEWCOMER] }, 'test');
    await db.db.execute(
      sql`insert into rollout.owners (user_id, owner, reason, stage_version) values (${NEWCOMER}, 'new', 'allow', 1)`,
    );
    await setStage(db.db, { stage: 'fallback' }, 'test');
    const first = await migrateToMonolith({ db: db.db, oldDb: old.db });
    // SERVED was handed back too, but has no conversation here: nothing to write for them.
    expect(first).toEqual({ users: 1, messageIds: 1, paymentIds: 1 });
    const again = await migrateToMonolith({ db: db.db, oldDb: old.db });
    expect(again).toEqual({ users: 1, messageIds: 0, paymentIds: 0 });
    const rows = await queryRows(old.db, sql`select * from users where phone = ${NEWCOMER}`);
    expect(rows).toEqual([
      { phone: NEWCOMER, state: 1, credits: '1', tuneid: null, chosen_pack: null, entity_type: 'woman', language: 1 },
    ]);
    expect(await queryRows(old.db, sql`select id from msgs where id = 'wamid.n1'`)).toHaveLength(1);
    expect(await queryRows(old.db, sql`select id from payments where id = '6001'`)).toHaveLength(1);
  });
});
