import { type TestDatabase, waitFor } from '@astria/db/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import type { MaintenanceCommand } from '../src/runs.js';
import { createScheduler } from '../src/scheduler.js';
import { buildApp, gate, maintenanceTestDatabase, recordingImageMaintenance, testConfig } from './helpers.js';

let database: TestDatabase;
let app: FastifyInstance;
const images = recordingImageMaintenance({ reconcile: async () => ({ checked: 1, recovered: 1, pending: 0 }) });

beforeAll(async () => {
  database = await maintenanceTestDatabase();
  app = await buildApp(database, { config: testConfig(), imageMaintenance: images.provider });
});
afterAll(async () => {
  await app?.close();
  await database?.destroy();
});

describe('scheduler mode (long-running)', () => {
  it('answers health, and its schedule is the CronJobs one, in UTC', async () => {
    expect((await app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    const runs = (await app.inject({ method: 'GET', url: '/runs' })).json();
    const nextCleanup = new Date(runs.schedule.cleanup);
    expect(nextCleanup.getUTCDay()).toBe(3); // Wednesday
    expect([nextCleanup.getUTCHours(), nextCleanup.getUTCMinutes()]).toEqual([4, 0]);
    expect(new Date(runs.schedule.reconcile).getUTCMinutes() % 10).toBe(0);
  });

  it('exports last success, runs and deletions on /metrics, from the run history', async () => {
    // A run made elsewhere (a CronJob pod) is in the history: the scheduler's /metrics shows it.
    await database.db.execute(
      `insert into maintenance.runs (command, status, started_at, finished_at) values
       ('cleanup', 'succeeded', '2026-01-07T04:00:00Z', '2026-01-07T04:00:09Z')` as never,
    );
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    const cleanupAt = Date.parse('2026-01-07T04:00:09Z') / 1000;
    expect(res.body).toContain(
      `maintenance_last_success_timestamp_seconds{command="cleanup",service="maintenance-service"} ${cleanupAt}`,
    );
    const runs = (await app.inject({ method: 'GET', url: '/runs?limit=5' })).json();
    expect(runs.runs[0]).toMatchObject({ command: 'cleanup', status: 'succeeded' });
  });
});

describe('GET /runs', () => {
  it("a limit that is not an integer from 1 to 100 gets the schema's 400", async () => {
    for (const limit of ['abc', '0', '101', '2.5']) {
      const response = await app.inject({ method: 'GET', url: `/runs?limit=${limit}` });
      expect(response.statusCode, limit).toBe(400);
      expect(response.json()).toMatchObject({ error: 'FST_ERR_VALIDATION' });
    }
    const byDefault = await app.inject({ method: 'GET', url: '/runs' });
    expect(byDefault.statusCode).toBe(200);
    expect(byDefault.json().runs.length).toBeLessThanOrEqual(20);
  });
});

describe('scheduler', () => {
  it('triggers on its cron expression, never overlaps itself, and stop waits for a run in progress', async () => {
    const started: MaintenanceCommand[] = [];
    const hold = gate();
    let finished = false;
    const scheduler = createScheduler({
      // Every second (croner's six-field form) so the test does not wait a minute.
      schedules: { cleanup: '* * * * * *', reconcile: '0 0 1 1 *' },
      logger: silentLogger,
      run: async (command) => {
        started.push(command);
        await hold.promise;
        finished = true;
      },
    });
    scheduler.start();
    await waitFor(() => started.length > 0, { timeoutMs: 3000, what: 'the scheduled cleanup' });
    const stopping = scheduler.stop();
    let stopped = false;
    void stopping.then(() => {
      stopped = true;
    });
    await Promise.resolve();
    expect(stopped).toBe(false);
    hold.open();
    await stopping;
    expect(finished).toBe(true);
    // protect: the one-second ticks while the first run was held did not start a second one.
    expect(started).toEqual(['cleanup']);
    expect(scheduler.next()).toEqual({ cleanup: null, reconcile: null });
  });
});
