import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../src/sandbox.js';
import type { WhatsAppSimulatorHandle } from '../src/simulators.js';
import { botMessages, hasChoice, startTestSandbox, type TestSandbox, waitFor, waitForBot } from './helpers.js';

/** Waits until every outbox is published and nothing is being delivered: the bot has finished reacting. */
async function settled(sandbox: Sandbox): Promise<void> {
  await waitFor(async () => (await sandbox.pendingEvents()) === 0, { what: 'every event settled', timeoutMs: 15_000 });
}

describe('a duplicate-webhook storm', () => {
  let harness: TestSandbox;
  beforeAll(async () => {
    harness = await startTestSandbox();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('answers a message Meta delivered 25 times, at once, exactly once', async () => {
    const { sandbox } = harness;
    const whatsapp = sandbox.whatsapp as WhatsAppSimulatorHandle;
    const phone = '972501110002';
    const wamid = 'wamid.storm.0001';
    const deliveries = (await Promise.all(
      Array.from({ length: 25 }, () => whatsapp.sendText(phone, 'hi', { wamid, name: 'Storm' })),
    )) as Array<{ status: number }>;
    expect(deliveries.every((d) => d.status === 200)).toBe(true);
    await waitForBot(sandbox, phone, 'the welcome menu', hasChoice('menu:begin'));
    await settled(sandbox);
    expect(botMessages(sandbox, phone).filter(hasChoice('menu:begin'))).toHaveLength(1);
    const received = sandbox.timeline
      .recent()
      .filter((e) => e.kind === 'published' && e.type === 'user_message_received' && e.key !== null);
    expect(received).toHaveLength(1);
  });
});

describe('a restart in the middle of a conversation', () => {
  let harness: TestSandbox;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'astria-sandbox-restart-'));
    harness = await startTestSandbox({ dataDir });
  });
  afterAll(async () => {
    await harness?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('loses nothing and repeats nothing', async () => {
    let sandbox = harness.sandbox;
    const phone = '972501110003';
    await sandbox.user.text(phone, 'hello', 'Rafi');
    await waitForBot(sandbox, phone, 'the welcome menu', hasChoice('menu:begin'));
    await sandbox.user.listReply(phone, 'menu:begin', 'Begin');
    await waitForBot(sandbox, phone, 'the guidelines', hasChoice('photos:ready'));
    await sandbox.user.button(phone, 'photos:ready', 'Ready');
    for (const sample of ['selfie-1.jpg', 'selfie-2.jpg', 'selfie-3.jpg', 'selfie-4.jpg']) {
      await sandbox.user.sample(phone, sample);
    }
    await waitForBot(sandbox, phone, 'the "what next" menu', hasChoice('photos:done'));

    // Choose, and stop the whole sandbox at once, with the reply still on its way.
    await sandbox.user.listReply(phone, 'photos:done', 'Done');
    sandbox = await harness.restart();

    await waitForBot(sandbox, phone, 'the tier menu after the restart', hasChoice('tier:lite'));
    await sandbox.user.listReply(phone, 'tier:standard', 'Standard');
    await waitForBot(sandbox, phone, 'a standard pack', (m) => (m.buttons ?? []).some((b) => b.id.startsWith('pack:')));
    await settled(sandbox);

    const bot = botMessages(sandbox, phone);
    expect(bot.filter(hasChoice('menu:begin'))).toHaveLength(1);
    expect(bot.filter(hasChoice('photos:done'))).toHaveLength(1);
    expect(bot.filter(hasChoice('tier:lite'))).toHaveLength(1);
    const reactions = sandbox.chat
      .conversation(phone)
      .filter((m) => m.direction === 'in' && m.kind === 'image')
      .map((m) => m.reactions.map((r) => r.emoji).join(''));
    expect(reactions).toEqual(['✅', '✅', '✅', '✅']);
  });
});

describe('SIGTERM in the sandbox (sandbox.shutdown)', () => {
  let harness: TestSandbox;
  beforeAll(async () => {
    harness = await startTestSandbox();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('answers readiness 503 at once, keeps serving through the drain, then closes every service', async () => {
    const { sandbox } = harness;
    const message = sandbox.services.find((s) => s.service === 'message-service');
    if (!message) throw new Error('message-service not composed');
    expect((await fetch(`${message.url}/health/ready`)).status).toBe(200);
    const stopping = sandbox.shutdown(1500);
    const ready = await fetch(`${message.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { shutdown: { ok: false } } });
    // Still serving while draining: a webhook from Meta is taken and answered.
    const whatsapp = sandbox.whatsapp as WhatsAppSimulatorHandle;
    const delivery = (await whatsapp.sendText('972501110009', 'hi', { name: 'Drain' })) as { status: number };
    expect(delivery.status).toBe(200);
    await stopping;
    await expect(fetch(`${message.url}/health/live`)).rejects.toThrow();
  });
});
