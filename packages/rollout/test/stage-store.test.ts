import { createTestDatabase, type TestDatabase } from '@astria/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStageReader, readStage, resolveOwner, runRollout, userBucket } from '../src/index.js';

describe(`rollout stage and owners (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.destroy();
  });

  it('sets the stage through the CLI command, records who/when/from/to, and shows it in status', async () => {
    expect(
      await runRollout(database.db, [
        'set',
        '--stage',
        'canary',
        '--percent',
        '10',
        '--allow',
        '972500000001',
        '--by',
        'ops',
      ]),
    ).toEqual(['stage canary 10 % (version 1)']);
    const settings = await readStage(database.db);
    expect(settings).toMatchObject({ stage: 'canary', percent: 10, allow: ['972500000001'], deny: [], version: 1 });
    const status = await runRollout(database.db, ['status']);
    expect(status[0]).toBe('stage canary 10 % (version 1)');
    expect(status.join('\n')).toMatch(/v1 .* by ops: \{.*"stage":"shadow".*\} -> \{.*"stage":"canary".*\}/);
    await expect(runRollout(database.db, ['set', '--stage', 'full', '--percent', '5'])).rejects.toThrow(/canary/);
    await expect(runRollout(database.db, ['set', '--stage', 'bogus'])).rejects.toThrow(/--stage/);
  });

  it('lets every pod see a change within the TTL, logging each version once', async () => {
    let clock = 0;
    const seen: number[] = [];
    const reader = createStageReader(database.db, {
      ttlMs: 2000,
      now: () => clock,
      onVersion: (s) => seen.push(s.version),
    });
    const before = await reader.current();
    await runRollout(database.db, ['set', '--percent', '20']);
    expect((await reader.current()).version).toBe(before.version); // cached
    clock += 2000;
    expect(await reader.current()).toMatchObject({ percent: 20, version: before.version + 1 });
    expect(seen).toEqual([before.version, before.version + 1]);
  });

  it('assigns owners stickily, counts them in status, and hands everyone back at fallback', async () => {
    const users = Array.from({ length: 200 }, (_, i) => `97254${String(i).padStart(7, '0')}`);
    const inAt50 = users.filter((u) => userBucket(u) < 50);
    const mid = inAt50[0] ?? '';
    await runRollout(database.db, ['set', '--stage', 'canary', '--percent', '50']);
    const settings = await readStage(database.db);
    const owners = await Promise.all(
      users.map((u) => resolveOwner(database.db, settings, u, { midTrainingInOldApp: async (id) => id === mid })),
    );
    const movedCount = owners.filter((o) => o.owner === 'new').length;
    expect(movedCount).toBe(inAt50.length - 1);
    expect((await resolveOwner(database.db, settings, mid, { midTrainingInOldApp: async () => false })).owner).toBe(
      'new',
    );
    // The percentage shrinks: the moved users stay.
    await runRollout(database.db, ['set', '--percent', '10']);
    const shrunk = await readStage(database.db);
    for (const u of inAt50) expect((await resolveOwner(database.db, shrunk, u)).owner).toBe('new');
    expect((await runRollout(database.db, ['status']))[2]).toBe(
      `users served by the new system ${inAt50.length}, by the old app ${users.length - inAt50.length}`,
    );
    await runRollout(database.db, ['set', '--stage', 'fallback']);
    expect((await runRollout(database.db, ['status']))[2]).toBe(
      `users served by the new system 0, by the old app ${users.length}`,
    );
    const fallback = await readStage(database.db);
    expect((await resolveOwner(database.db, fallback, inAt50[1] ?? '')).owner).toBe('old');
  });
});
