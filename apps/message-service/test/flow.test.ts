import { queryRows } from '@astria/db';
import { waitFor } from '@astria/db/testing';
import type { SentMessage } from '@astria/simulators/whatsapp';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, replyIdsOf } from './harness.js';
import { startPacksServer } from './packs-server.js';

/** The whole service over HTTP: simulator → webhook → conversation → outbox → sender → simulator. */
describe('message service end to end (webhook, consumers, ordered sender)', () => {
  let h: Harness;
  let packs: Awaited<ReturnType<typeof startPacksServer>>;

  beforeAll(async () => {
    packs = await startPacksServer();
    h = await createHarness({ ASTRIA_API_URL: packs.url }, undefined, { autoStatuses: true });
    await h.serveWebhooks();
  });
  afterAll(async () => {
    await h.close();
    await packs.close();
  });

  const sentTo = (to: string) => h.sim.sent.filter((m) => m.to === to);
  const waitForSent = (to: string, predicate: (m: SentMessage) => boolean, what: string) =>
    waitFor(() => sentTo(to).find(predicate), { timeoutMs: 10_000, what });
  const quiesce = () => h.quiesce();
  const withIds = (to: string, id: string) =>
    waitForSent(to, (m) => replyIdsOf(m).includes(id), `a message with ${id}`);

  it('walks a user from hello to delivered portraits and feedback', async () => {
    const user = '15550100001';
    expect((await h.sim.sendText(user, 'hello', { name: 'Dana' })).status).toBe(200);
    await withIds(user, 'menu:begin');
    await h.sim.sendListReply(user, 'menu:begin', "Let's begin");
    await withIds(user, 'photos:ready');

    // Four photos in a burst; the image service answers each one.
    const photos: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { mediaId } = h.sim.addMedia(Buffer.from(`jpeg-${i}`), 'image/jpeg');
      photos.push((await h.sim.sendImage(user, mediaId)).wamid);
    }
    const training = await queryRows<{ n: number }>(
      h.database.db,
      sql`select count(*)::int as n from messaging.outbox where type = 'user_message_received' and key = ${user}
          and envelope->'data'->>'trainingPhoto' = 'true'`,
    );
    expect(training[0]?.n).toBe(4);
    for (const [i, messageId] of photos.entries()) {
      await h.publish(
        'image_processed',
        { userId: user, messageId, photoId: `ph-${i}`, status: 'accepted', subjectClass: 'man' },
        user,
      );
    }
    await withIds(user, 'photos:done');
    const reactions = sentTo(user)
      .filter((m) => m.type === 'reaction')
      .map((m) => (m.payload.reaction as { message_id: string }).message_id);
    expect(reactions).toEqual(photos);

    await h.sim.sendListReply(user, 'photos:done', "I'm done");
    await withIds(user, 'tier:standard');
    await h.sim.sendListReply(user, 'tier:standard', 'Standard');
    const pack = await withIds(user, 'pack:260');
    expect(pack.payload.interactive).toMatchObject({
      header: { type: 'image', image: { link: expect.stringContaining('260.jpg') } },
    });
    await h.sim.sendButtonReply(user, 'pack:260', 'I want this');
    await withIds(user, 'agree:260');
    await h.sim.sendButtonReply(user, 'agree:260', 'I agree');
    const cta = await waitForSent(
      user,
      (m) => (m.payload.interactive as { type?: string } | undefined)?.type === 'cta_url',
      'the payment link',
    );
    expect(JSON.stringify(cta.payload)).toContain(`client_reference_id=${user}`);

    await h.publish(
      'payment_received',
      {
        provider: 'stripe',
        paymentId: 'cs_1',
        userId: user,
        tier: 'standard',
        amount: 79,
        currency: 'ils',
        name: 'Dana Levi',
      },
      user,
    );
    await waitForSent(user, (m) => JSON.stringify(m.payload).includes('Dana Levi'), 'the thanks message');
    const requested = await queryRows<{ envelope: { data: Record<string, unknown> } }>(
      h.database.db,
      sql`select envelope from messaging.outbox where type = 'training_requested' and key = ${user}`,
    );
    expect(requested[0]?.envelope.data).toMatchObject({
      packId: 260,
      tier: 'standard',
      subjectClass: 'man',
      photoIds: ['ph-0', 'ph-1', 'ph-2', 'ph-3'],
      paymentId: 'cs_1',
    });
    const requestId = requested[0]?.envelope.data.requestId as string;

    await h.publish('tune_created', { requestId, userId: user, tuneId: 1504944, packId: 260, eta: null }, user);
    const images = [1, 2, 3].map((i) => ({ url: `https://cdn.example.com/${i}.jpg`, kind: 'image' as const }));
    await h.publish('images_generated', { requestId, userId: user, tuneId: 1504944, packId: 260, images }, user);
    await withIds(user, 'more:pack');
    const delivered = sentTo(user)
      .filter((m) => m.type === 'image')
      .map((m) => (m.payload.image as { link: string }).link);
    expect(delivered).toEqual(images.map((i) => i.url));

    await h.sim.sendListReply(user, 'rate:2', '⭐⭐ 2');
    await waitForSent(user, (m) => JSON.stringify(m.payload).includes('improve'), 'the feedback question');
    await h.sim.sendText(user, 'More light please');
    await waitFor(
      async () =>
        (
          await queryRows<{ text: string | null }>(
            h.database.db,
            sql`select text from messaging.feedback where user_id = ${user}`,
          )
        ).some((r) => r.text === 'More light please'),
      { timeoutMs: 10_000, what: 'the feedback row' },
    );
    const [conversation] = await queryRows<{ state: string }>(
      h.database.db,
      sql`select state from messaging.conversations where user_id = ${user}`,
    );
    expect(conversation?.state).toBe('has_model');

    // Every send is recorded with its wamid, in the order the conversation produced them.
    await waitFor(
      async () => {
        const rows = await queryRows<{ n: number }>(
          h.database.db,
          sql`select count(*)::int as n from messaging.outbound_messages where recipient = ${user} and kind <> 'mark_read' and outcome <> 'attempted'`,
        );
        return rows[0]?.n === sentTo(user).length;
      },
      { timeoutMs: 10_000, what: 'every send recorded' },
    );
    const recorded = await queryRows<{ wamid: string }>(
      h.database.db,
      sql`select o.wamid from messaging.outbound_messages o join messaging.outbox x on x.event_id = o.event_id
          where o.recipient = ${user} and o.kind <> 'mark_read' order by x.seq`,
    );
    expect(recorded.map((r) => r.wamid)).toEqual(sentTo(user).map((m) => m.wamid));
    // Status callbacks mirrored by the simulator end as "read" and never move backwards.
    await waitFor(
      async () => {
        const rows = await queryRows<{ status: string }>(
          h.database.db,
          sql`select s.status from messaging.message_statuses s
              join messaging.outbound_messages o on o.wamid = s.wamid where o.recipient = ${user}`,
        );
        return rows.length === sentTo(user).length && rows.every((r) => r.status === 'read');
      },
      { timeoutMs: 10_000, what: 'read statuses' },
    );
  });

  it("keeps each user's messages in order while users are served in parallel", async () => {
    const users = ['15550200001', '15550200002', '15550200003'];
    await Promise.all(
      users.map(async (user) => {
        for (const text of ['one', 'two', 'three']) await h.sim.sendText(user, text);
      }),
    );
    for (const user of users) {
      await waitFor(() => sentTo(user).length >= 3, { timeoutMs: 10_000, what: `3 replies to ${user}` });
      await quiesce();
      const outbox = await queryRows<{ event_id: string }>(
        h.database.db,
        sql`select event_id from messaging.outbox where key = ${user} and type = 'whatsapp_send_requested'
            and envelope->'data'->'message'->>'kind' <> 'mark_read' order by seq`,
      );
      const byWamid = await queryRows<{ event_id: string; wamid: string }>(
        h.database.db,
        sql`select event_id, wamid from messaging.outbound_messages where recipient = ${user} and kind <> 'mark_read'`,
      );
      const wamidOf = new Map(byWamid.map((r) => [r.event_id, r.wamid]));
      expect(outbox.map((r) => wamidOf.get(r.event_id))).toEqual(sentTo(user).map((m) => m.wamid));
    }
  });

  it("retries rate limits and server errors, keeping the user's order; records permanent errors without retrying", async () => {
    const user = '15550300001';
    await quiesce();
    h.sim.failNext(4, { status: 429, code: 130429 });
    await h.sim.sendText(user, 'hi');
    await withIds(user, 'menu:begin');

    const blocked = '15550300002';
    h.sim.failFor(blocked, { status: 400, code: 131047, message: 'Re-engagement message' });
    await h.sim.sendText(blocked, 'hi');
    await waitFor(
      async () =>
        (
          await queryRows<{ outcome: string; error_code: number }>(
            h.database.db,
            sql`select outcome, error_code from messaging.outbound_messages where recipient = ${blocked} and kind = 'list'`,
          )
        )[0]?.error_code === 131047,
      { timeoutMs: 10_000, what: 'the failed send recorded' },
    );
    h.sim.failFor(blocked, null);
    await h.sim.sendButtonReply(blocked, 'menu:support', 'Contact support');
    await waitForSent(
      blocked,
      (m) => JSON.stringify(m.payload).includes('support@example.com'),
      'the next message to the user',
    );
    const metrics = (await h.app.inject('/metrics')).body;
    expect(metrics).toMatch(/whatsapp_sends_total\{kind="list",outcome="failed",code="131047"/);
    expect(metrics).toMatch(/whatsapp_send_retries_total\{code="130429"/);
    expect(metrics).toMatch(/whatsapp_sends_total\{kind="\w+",outcome="retry_later",code="130429"/);
  });

  it('stores pack preview videos and alerts support when training fails', async () => {
    await h.publish(
      'pack_images_updated',
      { packId: 260, subjectClass: 'man', url: 'https://cdn.example.com/260/man.mp4' },
      '260',
    );
    const rows = await queryRows<{ url: string }>(
      h.database.db,
      sql`select url from messaging.pack_videos where pack_id = 260`,
    );
    expect(rows[0]?.url).toBe('https://cdn.example.com/260/man.mp4');
    const user = '15550400001';
    await h.publish('training_failed', { requestId: 'r-1', userId: user, reason: 'astria_422' }, user);
    await waitForSent(
      user,
      (m) => JSON.stringify(m.payload).includes('support@example.com'),
      'the kind failure message',
    );
    expect((await h.app.inject('/metrics')).body).toMatch(/message_service_alerts_total\{kind="training_failed"/);
  });
});
