import { queryRows } from '@astria/db';
import { waitFor } from '@astria/db/testing';
import type { OutboundMessage } from '@astria/events';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WINDOW_BUTTON_PAYLOAD } from '../src/conversation/window.js';
import { createHarness, type Harness } from './harness.js';

/**
 * Messages WhatsApp accepted (200) and later reported `failed` in a status webhook, through the real
 * webhook and sender (PGlite, or PostgreSQL with DATABASE_URL).
 */
describe('failed deliveries after a 200', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await createHarness();
    await h.serveWebhooks();
  });
  afterAll(async () => {
    await h.close();
  });

  const send = (to: string, messages: OutboundMessage[]) => h.requestSends(to, messages);
  const sentTo = (to: string) => h.sim.sent.filter((m) => m.to === to);
  const quiesce = () => h.quiesce();
  /** whatsapp_delivery_failures_total for one code, kind and action. */
  const failures = async (code: number, kind: string, action: string) =>
    (await h.registry.getMetricsAsJSON())
      .find((m) => m.name === 'whatsapp_delivery_failures_total')
      ?.values.find((v) => v.labels.code === String(code) && v.labels.kind === kind && v.labels.action === action)
      ?.value ?? 0;
  const failedStatuses = (to: string) =>
    queryRows<{ n: number }>(
      h.database.db,
      sql`select count(distinct s.wamid)::int as n from messaging.message_statuses s
            join messaging.outbound_messages o on o.wamid = s.wamid where o.recipient = ${to} and s.status = 'failed'`,
    ).then((rows) => rows[0]?.n ?? 0);

  it('a failed status for an image (131053) → exactly one retry, which is delivered', async () => {
    const user = '15550199001';
    const link = 'https://cdn.example.com/f1.jpg';
    h.sim.failAfterAccept({ to: user, type: 'image', code: 131053, title: 'Media upload error' });
    await send(user, [{ kind: 'image', link }]);
    await waitFor(() => sentTo(user).length === 2, { timeoutMs: 10_000, what: 'the retry' });
    await waitFor(async () => (await failedStatuses(user)) === 1, { timeoutMs: 10_000, what: 'the failed status' });
    await quiesce();
    expect(sentTo(user).map((m) => [m.type, (m.payload.image as { link: string }).link])).toEqual([
      ['image', link],
      ['image', link],
    ]);
    expect(await failures(131053, 'image', 'retry')).toBe(1);
    const [row] = await queryRows<{ n: number }>(
      h.database.db,
      sql`select count(*)::int as n from messaging.outbound_messages where recipient = ${user} and retry_event_id is not null`,
    );
    expect(row?.n).toBe(1);
  });

  it('a failed status that comes before the send is recorded is acted on once the send is (one retry)', async () => {
    const user = '15550199006';
    const link = 'https://cdn.example.com/f6.jpg';
    const pendingBefore = await failures(131053, 'unknown', 'pending_send');
    const retriesBefore = await failures(131053, 'image', 'retry');
    h.sim.failAfterAccept({ to: user, type: 'image', code: 131053, statusFirst: true });
    await send(user, [{ kind: 'image', link }]);
    await waitFor(() => sentTo(user).length === 2, { timeoutMs: 10_000, what: 'the retry' });
    await quiesce();
    expect(sentTo(user).map((m) => m.type)).toEqual(['image', 'image']);
    expect(await failures(131053, 'unknown', 'pending_send')).toBe(pendingBefore + 1);
    expect(await failures(131053, 'image', 'retry')).toBe(retriesBefore + 1);
  });

  it('an image whose retry fails too → the user gets a text with its link, and nothing more', async () => {
    const user = '15550199002';
    const link = 'https://cdn.example.com/f2.jpg';
    h.sim.failAfterAccept({ to: user, type: 'image', code: 131000, count: 2 });
    await send(user, [{ kind: 'image', link }]);
    await waitFor(() => sentTo(user).find((m) => m.type === 'text'), { timeoutMs: 10_000, what: 'the text' });
    await waitFor(async () => (await failedStatuses(user)) === 2, { timeoutMs: 10_000, what: 'both failed statuses' });
    await quiesce();
    expect(sentTo(user).map((m) => m.type)).toEqual(['image', 'image', 'text']);
    expect(JSON.stringify(sentTo(user)[2]?.payload.text)).toContain(link);
    expect(await failures(131000, 'image', 'retry')).toBe(1);
    expect(await failures(131000, 'image', 'tell_user')).toBe(1);
  });

  it('a payment link that cannot be delivered (131026) → no retry, a text with the payment URL', async () => {
    const user = '15550199003';
    const url = 'https://buy.stripe.com/test_standard';
    h.sim.failAfterAccept({ to: user, type: 'interactive', code: 131026, title: 'Message undeliverable' });
    await send(user, [{ kind: 'cta_url', body: 'Pay here', displayText: 'Pay now', url }]);
    await waitFor(() => sentTo(user).find((m) => m.type === 'text'), { timeoutMs: 10_000, what: 'the text' });
    await quiesce();
    expect(sentTo(user).map((m) => m.type)).toEqual(['interactive', 'text']);
    expect(JSON.stringify(sentTo(user)[1]?.payload.text)).toContain(url);
    expect(await failures(131026, 'cta_url', 'tell_user')).toBe(1);
  });

  it('131047 in a failed status → the message is held behind the follow-up template and sent after the tap', async () => {
    const user = '15550199004';
    await h.sim.sendText(user, 'hello');
    await waitFor(() => sentTo(user).length > 0, { timeoutMs: 10_000, what: 'the welcome' });
    await quiesce();
    const before = sentTo(user).length;
    h.sim.failAfterAccept({ to: user, type: 'text', code: 131047, title: 'Re-engagement message' });
    await send(user, [{ kind: 'text', body: 'Your training started' }]);
    const template = await waitFor(() => sentTo(user).find((m) => m.type === 'template'), {
      timeoutMs: 10_000,
      what: 'the follow-up template',
    });
    expect(template.payload.template).toMatchObject({ name: 'astria_follow_up' });
    await quiesce();
    expect(
      sentTo(user)
        .slice(before)
        .map((m) => m.type),
    ).toEqual(['text', 'template']);
    await h.sim.sendButtonReply(user, WINDOW_BUTTON_PAYLOAD, 'Continue');
    await waitFor(
      () =>
        sentTo(user)
          .slice(before + 2)
          .find((m) => (m.payload.text as { body?: string } | undefined)?.body === 'Your training started'),
      { timeoutMs: 10_000, what: 'the held text after the tap' },
    );
  });

  it('a failed status for a text (no action) is recorded and counted by code only', async () => {
    const user = '15550199005';
    h.sim.failAfterAccept({ to: user, type: 'text', code: 131049 });
    await send(user, [{ kind: 'text', body: 'hi' }]);
    await waitFor(async () => (await failedStatuses(user)) === 1, { timeoutMs: 10_000, what: 'the failed status' });
    await quiesce();
    expect(sentTo(user).length).toBe(1);
    expect(await failures(131049, 'text', 'record')).toBe(1);
  });
});
