import { Writable } from 'node:stream';
import type { TestDatabase } from '@astria/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs, runCli } from '../src/cli-run.js';
import { maintenanceTestDatabase, REQUIRED_ENV, recordingImageMaintenance } from './helpers.js';

describe('parseArgs', () => {
  it('accepts the commands and --dry-run, refuses anything else', () => {
    expect(parseArgs(['cleanup'])).toEqual({ kind: 'run', command: 'cleanup', dryRun: false });
    expect(parseArgs(['reconcile', '--dry-run'])).toEqual({ kind: 'run', command: 'reconcile', dryRun: true });
    expect(parseArgs(['--dry-run', 'cleanup'])).toEqual({ kind: 'run', command: 'cleanup', dryRun: true });
    expect(parseArgs(['serve'])).toEqual({ kind: 'serve' });
    expect(parseArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseArgs([])).toMatchObject({ kind: 'usage' });
    expect(parseArgs(['purge'])).toEqual({ kind: 'usage', error: 'unknown command purge' });
    expect(parseArgs(['cleanup', '--force'])).toEqual({ kind: 'usage', error: 'unknown option --force' });
  });
});

describe('one-shot commands', () => {
  // PostgreSQL: a fresh database the CLI connects to by URL. PGlite: the CLI's own in-memory one.
  let database: TestDatabase | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    if (process.env.DATABASE_URL) {
      database = await maintenanceTestDatabase();
      env = { ...REQUIRED_ENV, DATABASE_URL: database.url as string };
    } else {
      env = { ...REQUIRED_ENV, PGLITE_DATA_DIR: 'memory', RUN_MIGRATIONS: 'true' };
    }
  });
  afterAll(async () => {
    await database?.destroy();
  });

  function io(extraEnv: Record<string, string> = {}) {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const logs: string[] = [];
    return {
      stdout,
      stderr,
      logs,
      io: {
        stdout: (line: string) => stdout.push(line),
        stderr: (line: string) => stderr.push(line),
        logStream: new Writable({
          write(chunk, _enc, done) {
            logs.push(String(chunk));
            done();
          },
        }),
        env: { ...env, LOG_LEVEL: 'info', ...extraEnv },
        imageMaintenance: recordingImageMaintenance().provider,
      },
    };
  }

  it('prints one JSON summary line and exits 0', async () => {
    const run = io();
    const code = await runCli({ kind: 'run', command: 'cleanup', dryRun: true }, run.io);
    expect(code).toBe(0);
    expect(run.stdout).toHaveLength(1);
    const summary = JSON.parse(run.stdout[0] as string);
    expect(summary).toMatchObject({ command: 'cleanup', status: 'succeeded', dryRun: true });
    expect(summary.steps.length).toBeGreaterThan(10);
    // Logs are JSON on their own stream, never with a secret.
    expect(run.logs.join('')).toContain('"msg":"cleanup succeeded"');
    expect(run.logs.join('')).not.toContain(REQUIRED_ENV.ASTRIA_API_KEY);
  });

  it('exits non-zero when the run fails', async () => {
    const run = io();
    const failing = {
      ...run.io,
      imageMaintenance: recordingImageMaintenance({
        reconcile: async () => {
          throw new Error('Astria unreachable');
        },
      }).provider,
    };
    expect(await runCli({ kind: 'run', command: 'reconcile', dryRun: false }, failing)).toBe(1);
    expect(JSON.parse(run.stdout[0] as string)).toMatchObject({
      status: 'failed',
      tunes: { error: 'Astria unreachable' },
    });
  });

  it('exits 78 listing every configuration problem, before touching the database', async () => {
    const run = io();
    const code = await runCli(
      { kind: 'run', command: 'cleanup', dryRun: false },
      { ...run.io, env: { CLEANUP_BATCH_SIZE: 'many', CLEANUP_CRON: 'weekly' } },
    );
    expect(code).toBe(78);
    const text = run.stderr.join('\n');
    expect(text).toContain('CLEANUP_BATCH_SIZE');
    expect(text).toContain('CLEANUP_CRON');
    // Cleanup without tune deletion never calls Astria, so its key is not asked for.
    expect(text).not.toContain('ASTRIA_API_KEY');
    expect(run.stdout).toEqual([]);
  });

  it('cleanup --dry-run runs on a database alone: no WhatsApp, Astria or callback settings', async () => {
    const run = io();
    const databaseOnly = Object.fromEntries(
      Object.entries(run.io.env).filter(([key]) => !(key in REQUIRED_ENV) || key === 'LOG_LEVEL'),
    );
    // The image service's real maintenance (photos and blobs), not a stand-in.
    const { imageMaintenance: _standIn, ...realIo } = run.io;
    const code = await runCli({ kind: 'run', command: 'cleanup', dryRun: true }, { ...realIo, env: databaseOnly });
    expect(run.stderr).toEqual([]);
    expect(code).toBe(0);
    expect(JSON.parse(run.stdout[0] as string)).toMatchObject({
      command: 'cleanup',
      status: 'succeeded',
      dryRun: true,
    });
  });

  it('asks for ASTRIA_API_KEY only where the command calls Astria, saying which command needs it', async () => {
    const withoutAstria = (extra: Record<string, string> = {}) => {
      const run = io(extra);
      const { ASTRIA_API_KEY: _key, ...env } = run.io.env as Record<string, string>;
      return { run, io: { ...run.io, env } };
    };
    const reconcile = withoutAstria();
    expect(await runCli({ kind: 'run', command: 'reconcile', dryRun: true }, reconcile.io)).toBe(78);
    expect(reconcile.run.stderr.join('\n')).toMatch(
      /ASTRIA_API_KEY: missing: needed because `maintenance reconcile` polls Astria/,
    );

    const deletion = withoutAstria({ TUNE_DELETION_ENABLED: 'true' });
    expect(await runCli({ kind: 'run', command: 'cleanup', dryRun: false }, deletion.io)).toBe(78);
    expect(deletion.run.stderr.join('\n')).toMatch(
      /`maintenance cleanup` deletes Astria tunes when TUNE_DELETION_ENABLED/,
    );

    const dryDeletion = withoutAstria({ TUNE_DELETION_ENABLED: 'true' });
    expect(await runCli({ kind: 'run', command: 'cleanup', dryRun: true }, dryDeletion.io)).toBe(0);
  });
});
