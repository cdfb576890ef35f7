import { type ChildProcess, spawn } from 'node:child_process';
import { freePort, waitFor } from '@astria/db/testing';
import { afterEach, describe, expect, it } from 'vitest';

const CHILD = new URL('./fixtures/run-service-child.mjs', import.meta.url).pathname;

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [CHILD], {
    env: { PATH: process.env.PATH ?? '', ENV_FILE: '/nonexistent', LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += String(d);
  });
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('runService (a main.ts)', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  it('exits non-zero before listening, listing every config problem', async () => {
    const run = start({ PORT: 'not-a-port', EVENT_TRANSPORT: 'kafka' });
    children.push(run.child);
    expect(await run.exited).toBe(78);
    expect(run.output()).toContain('PORT: invalid');
    expect(run.output()).toContain('GREETING: missing');
    expect(run.output()).toContain('EVENT_TRANSPORT: invalid');
  });

  it('keeps running with readiness 503 while the database is unreachable, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const deadDb = await freePort(); // nothing listens there
    const run = start({
      PORT: String(port),
      GREETING: 'hi',
      DATABASE_URL: `postgres://postgres@127.0.0.1:${deadDb}/nowhere`,
      RUN_MIGRATIONS: 'true',
    });
    children.push(run.child);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/health/live`)).ok, { what: 'liveness', timeoutMs: 15_000 });
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { checks: Record<string, { ok: boolean }> };
    expect(body.checks.database?.ok).toBe(false);
    expect(body.checks.migrations?.ok).toBe(false);
    expect(await (await fetch(`${base}/hello`)).json()).toEqual({ greeting: 'hi' });
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  });
});
