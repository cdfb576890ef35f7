import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDatabase, type Database, EVENT_TABLES, migrate } from '@astria/db';
import { createTestDatabase } from '@astria/db/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEnvelope } from '../src/index.js';

const run = promisify(execFile);
const CLI = new URL('../dist/cli.js', import.meta.url).pathname;

describe('events dlq CLI', () => {
  let env: Record<string, string>;
  let open: () => Promise<Database>;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    if (process.env.DATABASE_URL) {
      const db = await createTestDatabase();
      await db.close();
      env = { DATABASE_URL: db.url as string };
      open = () => createDatabase({ url: db.url, poolMax: 2 });
      cleanup = () => db.destroy();
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'astria-dlq-'));
      const db = await createDatabase({ pgliteDataDir: dir });
      await migrate(db);
      await db.close();
      env = { PGLITE_DATA_DIR: dir, DATABASE_URL: '' };
      open = () => createDatabase({ pgliteDataDir: dir });
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
    const db = await open();
    const envelope = buildEnvelope(
      'image_processed',
      1,
      { userId: '972501234567', messageId: 'wamid.x', photoId: 'p1', status: 'accepted', characteristics: {} },
      { source: 'image-service', key: '972501234567' },
    );
    await db.db.insert(EVENT_TABLES['message-service'].deadLetters).values({
      subscription: 'message-service',
      eventId: envelope.id,
      type: envelope.type,
      key: envelope.key,
      envelope,
      reason: 'max_delivery_count_exceeded',
      lastError: 'connect ECONNREFUSED 127.0.0.1:443',
      deliveryCount: 10,
    });
    await db.close();
  });
  afterAll(async () => cleanup());

  const cli = (...args: string[]) =>
    run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env, ENV_FILE: '/nonexistent' } }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it('lists dead letters with their reason, error and reference', async () => {
    const { code, stdout } = await cli('dlq', 'list');
    expect(code).toBe(0);
    expect(stdout).toContain('1 dead letter:');
    expect(stdout).toMatch(/messaging:\d+/);
    expect(stdout).toContain('message-service ← image_processed');
    expect(stdout).toContain('max_delivery_count_exceeded');
    expect(stdout).toContain('ECONNREFUSED');
  });

  it('explains its usage and refuses bad references', async () => {
    expect((await cli('nope')).code).toBe(2);
    const bad = await cli('dlq', 'replay', 'garbage');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('is not a dead-letter reference');
  });

  it('replays into the subscribing service outbox, addressed to that subscription', async () => {
    const { code, stdout } = await cli('dlq', 'replay', '--all');
    expect(code).toBe(0);
    expect(stdout).toMatch(/Replayed messaging:\d+: image_processed .* → message-service/);
    const db = await open();
    const outbox = await db.db
      .select()
      .from(EVENT_TABLES['message-service'].outbox)
      .where(eq(EVENT_TABLES['message-service'].outbox.type, 'image_processed'));
    await db.close();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]?.targetSubscription).toBe('message-service');
    expect((await cli('dlq', 'list')).stdout).toContain('No dead letters.');
  });
});
