import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../src/chat.js';
import type { Sandbox } from '../src/sandbox.js';
import {
  botMessages,
  choiceIds,
  hasChoice,
  startTestSandbox,
  type TestSandbox,
  waitFor,
  waitForBot,
} from './helpers.js';

/**
 * The whole journey over HTTP, driven by button and list ids (never by copy): text → begin → ready
 * → photos with one rejected → tier → pack → agree → pay → tune → portraits in order → rating 2 →
 * feedback. Runs on PGlite, and on PostgreSQL when DATABASE_URL is set.
 */
describe('the sandbox journey', () => {
  let harness: TestSandbox;
  let sandbox: Sandbox;
  const phone = '972501110001';

  beforeAll(async () => {
    harness = await startTestSandbox();
    sandbox = harness.sandbox;
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('composes every service with every external API simulated', () => {
    expect(sandbox.missing).toEqual([]);
    expect(sandbox.services.map((s) => s.service).sort()).toEqual([
      'image-service',
      'maintenance-service',
      'message-service',
      'payment-service',
    ]);
    expect(sandbox.simulated).toEqual({ whatsapp: true, astria: true, payments: true });
  });

  it("a malformed page API request gets the schema's 400", async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${sandbox.urls.page}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post('/api/users', { phone: 'not-a-phone' })).status).toBe(400);
    expect((await post(`/api/users/${phone}/text`, { text: '' })).status).toBe(400);
    expect((await post(`/api/users/${phone}/sample`, { name: 'nobody.jpg' })).status).toBe(400);
    const badPhone = await fetch(`${sandbox.urls.page}/api/users/12/messages`);
    expect(badPhone.status).toBe(400);
    expect(((await badPhone.json()) as { code?: string }).code).toBe('FST_ERR_VALIDATION');
  });

  it('answers /health/ready on every service and serves the page', async () => {
    for (const service of sandbox.services) {
      const response = await fetch(`${service.url}/health/ready`);
      expect(response.status, service.service).toBe(200);
    }
    const page = await fetch(sandbox.urls.page);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Event timeline');
  });

  it('goes from the first text to delivered portraits and feedback', async () => {
    const { user } = sandbox;
    const bot = (what: string, predicate: (m: ChatMessage) => boolean, after = 0, timeoutMs?: number) =>
      waitForBot(sandbox, phone, what, predicate, { after, ...(timeoutMs ? { timeoutMs } : {}) });

    const hello = await user.text(phone, 'hello', 'Dana Levi');
    await bot('the welcome menu', hasChoice('menu:begin'));
    await waitFor(() => sandbox.chat.get(hello.id)?.status === 'read', { what: 'blue ticks on the first message' });
    await user.listReply(phone, 'menu:begin', 'Begin');
    await bot('the photo guidelines', hasChoice('photos:ready'));
    let seen = botMessages(sandbox, phone).length;
    await user.button(phone, 'photos:ready', 'Ready');
    await bot('"send at least N photos"', (m) => m.kind === 'text', seen);

    // Five photos, one with sunglasses: four ✅, one ❌ with a reply quoting it, one "what next" menu.
    const photos: ChatMessage[] = [];
    for (const sample of ['selfie-1.jpg', 'selfie-2.jpg', 'sunglasses.jpg', 'selfie-3.jpg', 'selfie-4.jpg']) {
      photos.push(await user.sample(phone, sample));
    }
    const rejected = photos[2] as ChatMessage;
    await bot('the rejection quoting the photo', (m) => m.contextId === rejected.id);
    await bot('the "what next" menu', hasChoice('photos:done'));
    await waitFor(() => photos.every((p) => (sandbox.chat.get(p.id)?.reactions.length ?? 0) > 0), {
      what: 'a reaction on every photo',
      timeoutMs: 10_000,
    });
    expect(
      photos.map((p) =>
        sandbox.chat
          .get(p.id)
          ?.reactions.map((r) => r.emoji)
          .join(''),
      ),
    ).toEqual(['✅', '✅', '❌', '✅', '✅']);

    seen = botMessages(sandbox, phone).length;
    await user.listReply(phone, 'photos:done', 'Done');
    const tiers = await bot('the tier menu', hasChoice('tier:lite'), seen);
    expect(choiceIds(tiers)).toEqual(['tier:lite', 'tier:standard', 'tier:premium']);
    seen = botMessages(sandbox, phone).length;
    await user.listReply(phone, 'tier:lite', 'Lite');
    const pack = await bot('a lite pack', (m) => choiceIds(m).some((id) => id.startsWith('pack:')), seen);
    expect(pack.header?.imageUrl).toMatch(/^http/);
    const packId = choiceIds(pack)
      .find((id) => id.startsWith('pack:'))
      ?.slice('pack:'.length) as string;
    await user.button(phone, `pack:${packId}`, 'I want this');
    await bot('the AI disclaimer', hasChoice(`agree:${packId}`));
    await user.button(phone, `agree:${packId}`, 'I agree');
    const link = await bot('the payment link', (m) => m.kind === 'cta');
    expect(link.cta?.url).toContain(phone);

    // Pay on the simulated SUMIT page the link opens: its Pay button sends SUMIT's real webhook.
    seen = botMessages(sandbox, phone).length;
    const payPage = await fetch(link.cta?.url as string);
    expect(payPage.status).toBe(200);
    expect(await payPage.text()).toContain(phone);
    const linkUrl = new URL(link.cta?.url as string);
    const receipt = await fetch(new URL(linkUrl.pathname, linkUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        tier: linkUrl.searchParams.get('tier') ?? '',
        phone: linkUrl.searchParams.get('phone') ?? '',
        name: 'Dana Levi',
      }),
    });
    expect(await receipt.text()).toContain('Payment received');
    const payment = sandbox.payments?.payments.at(-1);
    expect(payment).toMatchObject({ provider: 'sumit', tier: 'lite', webhookStatus: 200 });

    // Thanks → training → the portraits, in order, once each → rating list.
    const rating = await bot('the rating list', hasChoice('rate:2'), seen, 20_000);
    const afterPayment = botMessages(sandbox, phone).slice(seen);
    const images = afterPayment.filter((m) => m.kind === 'image' && m.at <= rating.at);
    expect(images.length).toBeGreaterThan(0);
    const urls = images.map((m) => m.mediaUrl);
    expect(new Set(urls).size).toBe(urls.length);
    const firstImage = afterPayment.indexOf(images[0] as ChatMessage);
    expect(afterPayment.slice(0, firstImage).some((m) => m.kind === 'text')).toBe(true);

    // SUMIT sends the same webhook again: the payment was applied once, nothing is repeated.
    const thanks = botMessages(sandbox, phone).filter((m) => m.text?.includes('Dana')).length;
    const resent = await sandbox.payments?.resend(payment as NonNullable<typeof payment>);
    expect(resent?.webhookStatus).toBe(200);

    seen = botMessages(sandbox, phone).length;
    await user.listReply(phone, 'rate:2', '★★');
    await bot('the question about what to improve', (m) => m.kind === 'text', seen);
    seen = botMessages(sandbox, phone).length;
    await user.text(phone, 'The lighting looks too orange');
    await bot('thanks for the feedback', (m) => m.kind === 'text', seen);
    expect(botMessages(sandbox, phone).filter((m) => m.text?.includes('Dana')).length).toBe(thanks);
    expect(botMessages(sandbox, phone).filter(hasChoice('rate:2'))).toHaveLength(1);

    // The live timeline saw the events flow between the services.
    const types = new Set(sandbox.timeline.recent().map((e) => e.type));
    for (const type of [
      'user_message_received',
      'image_processed',
      'payment_received',
      'training_requested',
      'tune_created',
      'images_generated',
      'whatsapp_send_requested',
    ]) {
      expect(types, type).toContain(type);
    }
    expect(sandbox.timeline.deadLetters).toBe(0);
  });
});
