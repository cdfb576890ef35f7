import { queryRows } from '@astria/db';
import { waitFor } from '@astria/db/testing';
import type { SentMessage } from '@astria/simulators/whatsapp';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WINDOW_BUTTON_PAYLOAD } from '../src/conversation/window.js';
import { createHarness, type Harness, replyIdsOf } from './harness.js';
import { startPacksServer } from './packs-server.js';

/**
 * The 24-hour customer-service window over HTTP (PGlite, or PostgreSQL with DATABASE_URL): replies
 * to events that come after the window closed wait behind a template and go out, in order, once the user taps it.
 */
describe('the 24-hour window: template, hold, release in order', () => {
  let h: Harness;
  let packs: Awaited<ReturnType<typeof startPacksServer>>;

  beforeAll(async () => {
    packs = await startPacksServer();
    h = await createHarness({ ASTRIA_API_URL: packs.url });
    await h.serveWebhooks();
  });
  afterAll(async () => {
    await h.close();
    await packs.close();
  });

  const sentTo = (to: string) => h.sim.sent.filter((m) => m.to === to && m.type !== 'reaction');
  const waitForSent = (to: string, predicate: (m: SentMessage) => boolean, what: string) =>
    waitFor(() => sentTo(to).find(predicate), { timeoutMs: 10_000, what });
  const withIds = (to: string, id: string) =>
    waitForSent(to, (m) => replyIdsOf(m).includes(id), `a message with ${id}`);
  const quiesce = () => h.quiesce();
  const hoursAgo = (hours: number, plusSeconds = 0) => Math.floor(Date.now() / 1000) - hours * 3600 + plusSeconds;

  it('a payment 30 h after the last message → template → tap → thanks; images ready outside the window → template → images after the tap', async () => {
    const user = '15550177001';
    // The whole order, 40 hours ago (each step a second later).
    let step = 0;
    const at = () => ({ timestamp: hoursAgo(40, step++) });
    await h.sim.sendText(user, 'hello', { name: 'Dana', ...at() });
    await withIds(user, 'menu:begin');
    await h.sim.sendListReply(user, 'menu:begin', "Let's begin", at());
    await withIds(user, 'photos:ready');
    const photos: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { mediaId } = h.sim.addMedia(Buffer.from(`jpeg-${i}`), 'image/jpeg');
      photos.push((await h.sim.sendImage(user, mediaId, at())).wamid);
    }
    for (const [i, messageId] of photos.entries()) {
      await h.publish(
        'image_processed',
        { userId: user, messageId, photoId: `ph-${i}`, status: 'accepted', subjectClass: 'woman' },
        user,
      );
    }
    // Replies to a closed window's own turn-by-turn events are held too: this user's last message is 40 h old.
    const photosTemplate = await waitForSent(user, (m) => m.type === 'template', 'a window template');
    expect(photosTemplate.payload.template).toMatchObject({ name: 'astria_follow_up', language: { code: 'en' } });
    await h.sim.sendButtonReply(user, WINDOW_BUTTON_PAYLOAD, 'Continue', at());
    await withIds(user, 'photos:done');
    await h.sim.sendListReply(user, 'photos:done', "I'm done", at());
    await withIds(user, 'tier:standard');
    await h.sim.sendListReply(user, 'tier:standard', 'Standard', at());
    await withIds(user, 'pack:260');
    await h.sim.sendButtonReply(user, 'pack:260', 'I want this', at());
    await withIds(user, 'agree:260');
    await h.sim.sendButtonReply(user, 'agree:260', 'I agree', at());
    await waitForSent(
      user,
      (m) => (m.payload.interactive as { type?: string } | undefined)?.type === 'cta_url',
      'the payment link',
    );
    await quiesce();
    const before = sentTo(user).length;

    // The payment arrives now, ~40 h after the user's last message: a template, no free-form thanks.
    await h.publish(
      'payment_received',
      {
        provider: 'stripe',
        paymentId: 'cs_w1',
        userId: user,
        tier: 'standard',
        amount: 79,
        currency: 'ils',
        name: 'Dana Levi',
      },
      user,
    );
    const template = await waitForSent(
      user,
      (m) => m.type === 'template' && sentTo(user).indexOf(m) >= before,
      'the payment template',
    );
    expect(template.payload.template).toMatchObject({
      name: 'astria_payment_received',
      language: { code: 'en' },
      components: [{ type: 'button', sub_type: 'quick_reply', parameters: [{ payload: WINDOW_BUTTON_PAYLOAD }] }],
    });
    const requested = await queryRows<{ envelope: { data: Record<string, unknown> } }>(
      h.database.db,
      sql`select envelope from messaging.outbox where type = 'training_requested' and key = ${user}`,
    );
    const requestId = requested[0]?.envelope.data.requestId as string;
    expect(requestId).toBeTruthy();
    await h.publish('tune_created', { requestId, userId: user, tuneId: 1504950, packId: 260, eta: null }, user);
    await quiesce();
    expect(
      sentTo(user)
        .slice(before)
        .map((m) => m.type),
    ).toEqual(['template']);
    const [waiting] = await queryRows<{ data: { held: unknown[]; waitingTemplate: boolean } }>(
      h.database.db,
      sql`select data from messaging.conversations where user_id = ${user}`,
    );
    expect(waiting?.data.waitingTemplate).toBe(true);
    expect(waiting?.data.held.length).toBeGreaterThan(0);

    // The user taps the template's button (30 h ago, so the window closes again before the images).
    await h.sim.sendButtonReply(user, WINDOW_BUTTON_PAYLOAD, 'Send them', { timestamp: hoursAgo(30) });
    const thanks = await waitForSent(user, (m) => JSON.stringify(m.payload).includes('Dana Levi'), 'the thanks');
    await quiesce();
    const released = sentTo(user).slice(sentTo(user).indexOf(template) + 1);
    expect(released[0]).toBe(thanks);
    expect(released.length).toBe(waiting?.data.held.length);

    // Images ready outside the window → the portraits template; the images after the tap, in order.
    const images = [1, 2, 3].map((i) => ({ url: `https://cdn.example.com/w${i}.jpg`, kind: 'image' as const }));
    await h.publish('images_generated', { requestId, userId: user, tuneId: 1504950, packId: 260, images }, user);
    const ready = await waitForSent(
      user,
      (m) => m.type === 'template' && (m.payload.template as { name: string }).name === 'astria_portraits_ready',
      'the portraits template',
    );
    await quiesce();
    expect(sentTo(user).filter((m) => m.type === 'image')).toEqual([]);
    await h.sim.sendButtonReply(user, WINDOW_BUTTON_PAYLOAD, 'Send them');
    await withIds(user, 'more:pack');
    const after = sentTo(user).slice(sentTo(user).indexOf(ready) + 1);
    expect(after.filter((m) => m.type === 'image').map((m) => (m.payload.image as { link: string }).link)).toEqual(
      images.map((i) => i.url),
    );
  });

  it('STOP then a payment → no message until START; replies to the user still work', async () => {
    const user = '15550177002';
    await h.sim.sendText(user, 'hello', { name: 'Noa' });
    await withIds(user, 'menu:begin');
    await h.sim.sendText(user, 'STOP');
    await waitForSent(user, (m) => JSON.stringify(m.payload).includes('unsubscribed'), 'the opt-out confirmation');
    await quiesce();
    const before = sentTo(user).length;
    await h.publish(
      'payment_received',
      {
        provider: 'stripe',
        paymentId: 'cs_w2',
        userId: user,
        tier: 'lite',
        amount: 49,
        currency: 'ils',
        name: 'Noa Cohen',
      },
      user,
    );
    await quiesce();
    expect(sentTo(user).slice(before)).toEqual([]);
    // A message of the user's own is still answered.
    await h.sim.sendText(user, 'hi again');
    await waitFor(() => sentTo(user).length > before, { timeoutMs: 10_000, what: 'a reply to the user' });
    await quiesce();
    expect(JSON.stringify(sentTo(user).slice(before))).not.toContain('Noa Cohen');
    await h.sim.sendText(user, 'START');
    await waitForSent(user, (m) => JSON.stringify(m.payload).includes('Welcome back'), 'the opt-in confirmation');
    const [row] = await queryRows<{ data: { optedOut: boolean } }>(
      h.database.db,
      sql`select data from messaging.conversations where user_id = ${user}`,
    );
    expect(row?.data.optedOut).toBe(false);
  });

  it('a free-form send refused with 131047 is held behind the follow-up template and sent after the tap', async () => {
    const user = '15550177003';
    await h.sim.sendText(user, 'hello', { name: 'Lior' });
    await withIds(user, 'menu:begin');
    await quiesce();
    const before = sentTo(user).length;
    h.sim.failNext(1, { status: 400, code: 131047, message: 'Re-engagement message' });
    await h.publish(
      'payment_received',
      {
        provider: 'stripe',
        paymentId: 'cs_w3',
        userId: user,
        tier: 'lite',
        amount: 49,
        currency: 'ils',
        name: 'Lior Ben',
      },
      user,
    );
    const template = await waitForSent(user, (m) => m.type === 'template', 'the follow-up template');
    expect(template.payload.template).toMatchObject({ name: 'astria_follow_up' });
    const [refused] = await queryRows<{ envelope: { data: { message: { kind: string; body?: string } } } }>(
      h.database.db,
      sql`select x.envelope from messaging.outbound_messages o join messaging.outbox x on x.event_id = o.event_id
          where o.recipient = ${user} and o.error_code = 131047`,
    );
    expect(refused).toBeDefined();
    await quiesce();
    expect(
      sentTo(user)
        .slice(before)
        .map((m) => m.type),
    ).toEqual(['template']);
    await h.sim.sendButtonReply(user, WINDOW_BUTTON_PAYLOAD, 'Continue');
    await waitFor(() => sentTo(user).length > before + 1, { timeoutMs: 10_000, what: 'the held message' });
    const resent = sentTo(user)[before + 1];
    const body = refused?.envelope.data.message.body;
    if (body) expect(JSON.stringify(resent?.payload)).toContain(JSON.stringify(body).slice(1, 30));
    expect(resent?.type).not.toBe('template');
  });
});
