import type { Database } from '@astria/db';
import type { TestDatabase } from '@astria/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CleanupStep } from '../src/cleanup.js';
import { type RunSummary, runCommand } from '../src/jobs.js';
import { silentLogger } from '../src/logger.js';
import { rowRules } from '../src/retention.js';
import { cleanRows } from '../src/row-cleanup.js';
import { count, maintenanceTestDatabase, recordingImageMaintenance, testConfig } from './helpers.js';

let database: TestDatabase;

beforeAll(async () => {
  database = await maintenanceTestDatabase();
});
afterAll(async () => {
  await database?.destroy();
});

async function exec(db: Database, text: string) {
  await db.db.execute(sql.raw(text));
}

async function seed(db: Database) {
  await exec(
    db,
    `truncate messaging.inbound_messages, messaging.outbox, imaging.inbox, payments.dead_letters, maintenance.runs`,
  );
  // 7 de-dup records past 14 days, 2 recent.
  await exec(
    db,
    `insert into messaging.inbound_messages (wamid, user_id, type, received_at)
     select 'wamid.old' || g, '972500000000', 'text', now() - interval '20 days' - g * interval '1 minute' from generate_series(1, 7) g`,
  );
  await exec(
    db,
    `insert into messaging.inbound_messages (wamid, user_id, type, received_at) values
     ('wamid.new1', '972500000000', 'text', now() - interval '1 day'),
     ('wamid.new2', '972500000000', 'text', now() - interval '13 days')`,
  );
  // Outbox: 3 published long ago, 1 published recently, 1 never published (however old: kept).
  await exec(
    db,
    `insert into messaging.outbox (event_id, type, envelope, created_at, published_at) values
     (gen_random_uuid(), 'old', '{}', now() - interval '10 days', now() - interval '10 days'),
     (gen_random_uuid(), 'old', '{}', now() - interval '9 days', now() - interval '9 days'),
     (gen_random_uuid(), 'old', '{}', now() - interval '8 days', now() - interval '8 days'),
     (gen_random_uuid(), 'fresh', '{}', now() - interval '1 day', now() - interval '1 day'),
     (gen_random_uuid(), 'pending', '{}', now() - interval '30 days', null)`,
  );
  // Inbox: 2 handled 40 days ago, 1 yesterday.
  await exec(
    db,
    `insert into imaging.inbox (subscription, event_id, handled_at) values
     ('image-service', gen_random_uuid(), now() - interval '40 days'),
     ('image-service', gen_random_uuid(), now() - interval '41 days'),
     ('image-service', gen_random_uuid(), now() - interval '1 day')`,
  );
  // Dead letters: unresolved old (deleted), unresolved young (kept), replayed long ago (deleted),
  // old but replayed two days ago (kept: retention counts from the replay).
  await exec(
    db,
    `insert into payments.dead_letters (subscription, event_id, type, envelope, reason, delivery_count, dead_lettered_at, replayed_at) values
     ('s', gen_random_uuid(), 'unresolved_old', '{}', 'r', 10, now() - interval '40 days', null),
     ('s', gen_random_uuid(), 'unresolved_young', '{}', 'r', 10, now() - interval '5 days', null),
     ('s', gen_random_uuid(), 'replayed_old', '{}', 'r', 10, now() - interval '50 days', now() - interval '45 days'),
     ('s', gen_random_uuid(), 'replayed_recent', '{}', 'r', 10, now() - interval '40 days', now() - interval '2 days')`,
  );
  await exec(
    db,
    `insert into maintenance.runs (command, status, started_at, finished_at) values
     ('cleanup', 'succeeded', now() - interval '100 days', now() - interval '100 days')`,
  );
}

const settings = {
  CLEANUP_BATCH_SIZE: '2',
  DEDUP_RETENTION_DAYS: '14',
  OUTBOX_RETENTION_DAYS: '7',
  INBOX_RETENTION_DAYS: '30',
  DEAD_LETTER_RETENTION_DAYS: '30',
  MAINTENANCE_RUN_HISTORY_DAYS: '90',
};

function stepOf(summary: RunSummary, kind: string, target: string): CleanupStep {
  const step = summary.steps?.find((s) => s.kind === kind && s.target === target);
  if (!step) throw new Error(`no ${kind} step on ${target}`);
  return step;
}

function dedupRule(config: ReturnType<typeof testConfig>) {
  const rule = rowRules(config, new Date()).find((r) => r.kind === 'dedup');
  if (!rule) throw new Error('no de-dup rule');
  return rule;
}

describe('cleanup', () => {
  beforeEach(async () => {
    await seed(database);
  });

  it('--dry-run reports what each rule would delete and deletes nothing', async () => {
    const images = recordingImageMaintenance({ purgePhotos: async () => ({ rows: 12, blobs: 12 }) });
    const summary = await runCommand(
      { database, config: testConfig(settings), imageMaintenance: images.provider, logger: silentLogger },
      'cleanup',
      { dryRun: true },
    );
    expect(summary.status).toBe('succeeded');
    expect(summary.dryRun).toBe(true);
    expect(stepOf(summary, 'dedup', 'messaging.inbound_messages').rows).toBe(7);
    expect(stepOf(summary, 'outbox', 'messaging.outbox').rows).toBe(3);
    expect(stepOf(summary, 'inbox', 'imaging.inbox').rows).toBe(2);
    expect(stepOf(summary, 'dead_letters', 'payments.dead_letters').rows).toBe(2);
    expect(stepOf(summary, 'photos', 'imaging photos and blobs')).toMatchObject({ rows: 12, blobs: 12 });
    expect(images.calls).toEqual([
      { method: 'purgePhotos', options: { dryRun: true, abandonedAfterDays: 30, batchSize: 2 } },
    ]);
    expect(await count(database, 'messaging.inbound_messages')).toBe(9);
    expect(await count(database, 'messaging.outbox')).toBe(5);
    expect(await count(database, 'imaging.inbox')).toBe(3);
    expect(await count(database, 'payments.dead_letters')).toBe(4);
  });

  it('deletes exactly the rows past each retention, in batches, and keeps the rest', async () => {
    const images = recordingImageMaintenance({ purgePhotos: async () => ({ rows: 3, blobs: 5 }) });
    const summary = await runCommand(
      { database, config: testConfig(settings), imageMaintenance: images.provider, logger: silentLogger },
      'cleanup',
      { dryRun: false },
    );
    expect(summary.status).toBe('succeeded');
    // 7 rows at 2 per batch: 2 + 2 + 2 + 1.
    expect(stepOf(summary, 'dedup', 'messaging.inbound_messages')).toMatchObject({ rows: 7, batches: 4 });
    const remaining = (await database.db.execute(
      sql`select wamid from messaging.inbound_messages order by wamid`,
    )) as unknown;
    const wamids = (Array.isArray(remaining) ? remaining : (remaining as { rows: unknown[] }).rows).map(
      (r) => (r as { wamid: string }).wamid,
    );
    expect(wamids).toEqual(['wamid.new1', 'wamid.new2']);

    expect(stepOf(summary, 'outbox', 'messaging.outbox')).toMatchObject({ rows: 3, batches: 2 });
    expect(await count(database, 'messaging.outbox', `type = 'fresh'`)).toBe(1);
    expect(await count(database, 'messaging.outbox', `type = 'pending'`)).toBe(1);
    expect(await count(database, 'messaging.outbox')).toBe(2);

    expect(stepOf(summary, 'inbox', 'imaging.inbox').rows).toBe(2);
    expect(await count(database, 'imaging.inbox')).toBe(1);

    expect(stepOf(summary, 'dead_letters', 'payments.dead_letters').rows).toBe(2);
    expect(await count(database, 'payments.dead_letters', `type in ('unresolved_young', 'replayed_recent')`)).toBe(2);
    expect(await count(database, 'payments.dead_letters')).toBe(2);

    expect(stepOf(summary, 'run_history', 'maintenance.runs').rows).toBe(1);
    expect(stepOf(summary, 'photos', 'imaging photos and blobs')).toMatchObject({ rows: 3, blobs: 5 });
    expect(stepOf(summary, 'tunes', 'Astria tunes').skipped).toBe('TUNE_DELETION_ENABLED is false');
    expect(images.calls.map((c) => c.method)).toEqual(['purgePhotos']);
    expect(summary.totals).toEqual({ rows: 7 + 3 + 2 + 2 + 1 + 3, blobs: 5, tunes: 0 });

    // The run itself is in the history, with its summary.
    expect(
      await count(database, 'maintenance.runs', `command = 'cleanup' and status = 'succeeded' and not dry_run`),
    ).toBe(1);
  });

  it('every retention period is configurable', async () => {
    const summary = await runCommand(
      {
        database,
        config: testConfig({
          ...settings,
          DEDUP_RETENTION_DAYS: '30',
          OUTBOX_RETENTION_DAYS: '20',
          INBOX_RETENTION_DAYS: '60',
          DEAD_LETTER_RETENTION_DAYS: '1',
        }),
        imageMaintenance: recordingImageMaintenance().provider,
        logger: silentLogger,
      },
      'cleanup',
      { dryRun: false },
    );
    expect(summary.status).toBe('succeeded');
    expect(stepOf(summary, 'dedup', 'messaging.inbound_messages').rows).toBe(0);
    expect(stepOf(summary, 'outbox', 'messaging.outbox').rows).toBe(0);
    expect(stepOf(summary, 'inbox', 'imaging.inbox').rows).toBe(0);
    // With a 1-day retention only the replay of two days ago is past it; the 5-day unresolved one too.
    expect(stepOf(summary, 'dead_letters', 'payments.dead_letters').rows).toBe(4);
  });

  it('deletes expired Astria tunes only when enabled, with their retention', async () => {
    const images = recordingImageMaintenance({ deleteExpiredTunes: async () => ({ tunes: 4 }) });
    const summary = await runCommand(
      {
        database,
        config: testConfig({ ...settings, TUNE_DELETION_ENABLED: 'true', TUNE_RETENTION_DAYS: '45' }),
        imageMaintenance: images.provider,
        logger: silentLogger,
      },
      'cleanup',
      { dryRun: false },
    );
    expect(stepOf(summary, 'tunes', 'Astria tunes')).toMatchObject({ tunes: 4 });
    expect(images.calls).toContainEqual({
      method: 'deleteExpiredTunes',
      options: { dryRun: false, retentionDays: 45, batchSize: 2 },
    });
    expect(summary.totals?.tunes).toBe(4);
  });

  it('a failing kind is reported and the others still run; the run fails', async () => {
    const images = recordingImageMaintenance({
      purgePhotos: async () => {
        throw new Error('blob store unreachable');
      },
    });
    const summary = await runCommand(
      { database, config: testConfig(settings), imageMaintenance: images.provider, logger: silentLogger },
      'cleanup',
      { dryRun: false },
    );
    expect(summary.status).toBe('failed');
    expect(stepOf(summary, 'photos', 'imaging photos and blobs').error).toBe('blob store unreachable');
    expect(stepOf(summary, 'dedup', 'messaging.inbound_messages').rows).toBe(7);
    expect(await count(database, 'maintenance.runs', `command = 'cleanup' and status = 'failed'`)).toBe(1);
  });

  it('an image service that cannot be loaded fails its kinds only', async () => {
    const summary = await runCommand(
      {
        database,
        config: testConfig(settings),
        imageMaintenance: async () => {
          throw new Error('@astria/image-service does not export createImageMaintenance');
        },
        logger: silentLogger,
      },
      'cleanup',
      { dryRun: true },
    );
    expect(summary.status).toBe('failed');
    expect(stepOf(summary, 'photos', 'imaging photos and blobs').error).toMatch(/createImageMaintenance/);
    expect(stepOf(summary, 'inbox', 'imaging.inbox').rows).toBe(2);
  });

  it('skips a de-dup table that does not exist (service not deployed) instead of failing', async () => {
    const config = testConfig(settings);
    const rule = { ...dedupRule(config), table: 'no_such_table' };
    expect(await cleanRows(database, rule, { dryRun: false, batchSize: 10 })).toEqual({
      rows: 0,
      batches: 0,
      skipped: 'messaging.no_such_table does not exist',
    });
  });

  it('stops between batches when aborted (shutdown)', async () => {
    const config = testConfig(settings);
    const rule = dedupRule(config);
    const controller = new AbortController();
    let batches = 0;
    const result = await cleanRows(database, rule, {
      dryRun: false,
      batchSize: 2,
      signal: controller.signal,
      onBatch: () => {
        batches++;
        controller.abort();
      },
    });
    expect(result).toEqual({ rows: 2, batches: 1 });
    expect(batches).toBe(1);
    expect(await count(database, 'messaging.inbound_messages')).toBe(7);
  });
});
