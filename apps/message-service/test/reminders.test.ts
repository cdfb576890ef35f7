import { queryRows } from '@astria/db';
import { waitFor } from '@astria/db/testing';
import { buildEnvelope, catalog } from '@astria/events';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WINDOW_BUTTON_PAYLOAD } from '../src/conversation/window.js';
import { sendTemplateReminders } from '../src/maintenance.js';
import { createHarness, type Harness } from './harness.js';

const HOUR = 3_600_000;

/**
 * A user who never answers a window template is reminded at most WHATSAPP_TEMPLATE_REMINDERS times
 * (the reconcile job calls sendTemplateReminders), through the outbox and the ordered sender; template
 * sends are counted by purpose. PGlite, or PostgreSQL with DATABASE_URL.
 */
describe('template reminders', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await createHarness();
    await h.serveWebhooks();
  });
  afterAll(async () => {
    await h.close();
  });

  const templatesTo = (to: string) => h.sim.sent.filter((m) => m.to === to && m.type === 'template');
  const templateSends = async (purpose: string) =>
    (await h.registry.getMetricsAsJSON())
      .find((m) => m.name === 'whatsapp_template_sends_total')
      ?.values.find((v) => v.labels.purpose === purpose && v.labels.outcome === 'sent')?.value ?? 0;
  const remind = (at: number) =>
    sendTemplateReminders(h.database, { maxReminders: 2, intervalHours: 24, limit: 100, now: new Date(at) });

  it('no answer → reminded twice, 24 h apart, then never again; the answer releases the held messages', async () => {
    const user = '15550188001';
    await h.sim.sendText(user, 'hello', { timestamp: Math.floor(Date.now() / 1000) - 40 * 3600 });
    await waitFor(() => h.sim.sent.some((m) => m.to === user), { timeoutMs: 10_000, what: 'the welcome' });
    const before = await templateSends('payment_received');
    const envelope = buildEnvelope(
      'payment_received',
      catalog.payment_received.version,
      { provider: 'stripe', paymentId: 'pay-r1', userId: user, tier: 'lite', amount: 49, currency: 'ILS', name: null },
      { source: 'payment-service', key: user },
    );
    await h.transport.publish([{ envelope }]);
    await waitFor(() => templatesTo(user).length === 1, { timeoutMs: 10_000, what: 'the window template' });
    const sentAt = Date.now();

    expect(await remind(sentAt + 23 * HOUR)).toMatchObject({ due: 0, reminded: 0 });
    expect(await remind(sentAt + 25 * HOUR)).toMatchObject({ due: 1, reminded: 1, byPurpose: { payment_received: 1 } });
    await waitFor(() => templatesTo(user).length === 2, { timeoutMs: 10_000, what: 'the first reminder' });
    expect(await remind(sentAt + 26 * HOUR)).toMatchObject({ due: 0 }); // 24 h after the previous one
    expect(await remind(sentAt + 50 * HOUR)).toMatchObject({ reminded: 1 });
    await waitFor(() => templatesTo(user).length === 3, { timeoutMs: 10_000, what: 'the second reminder' });
    expect(await remind(sentAt + 500 * HOUR)).toMatchObject({ due: 0, reminded: 0 }); // at most 2
    await h.quiesce();
    expect(templatesTo(user).map((m) => (m.payload.template as { name: string }).name)).toEqual([
      'astria_payment_received',
      'astria_payment_received',
      'astria_payment_received',
    ]);
    expect(await templateSends('payment_received')).toBe(before + 3);

    // The user finally taps: the held message comes, and nothing is pending any more.
    const sent = h.sim.sent.filter((m) => m.to === user).length;
    await h.sim.sendButtonReply(user, WINDOW_BUTTON_PAYLOAD, 'Continue');
    await waitFor(() => h.sim.sent.filter((m) => m.to === user && m.type === 'text').length > 0, {
      timeoutMs: 10_000,
      what: 'the held message',
    });
    await h.quiesce();
    expect(h.sim.sent.filter((m) => m.to === user).length).toBeGreaterThan(sent);
    const [row] = await queryRows<{ pending: unknown }>(
      h.database.db,
      sql`select data->'pendingTemplate' as pending from messaging.conversations where user_id = ${user}`,
    );
    expect(row?.pending).toBeNull();
    expect(await remind(sentAt + 1000 * HOUR)).toMatchObject({ due: 0 });
  });

  it('an opted-out user is never reminded; 0 reminders configured sends none', async () => {
    const user = '15550188002';
    await h.sim.sendText(user, 'hello', { timestamp: Math.floor(Date.now() / 1000) - 40 * 3600 });
    await waitFor(() => h.sim.sent.some((m) => m.to === user), { timeoutMs: 10_000, what: 'the welcome' });
    const envelope = buildEnvelope(
      'payment_received',
      catalog.payment_received.version,
      { provider: 'stripe', paymentId: 'pay-r2', userId: user, tier: 'lite', amount: 49, currency: 'ILS', name: null },
      { source: 'payment-service', key: user },
    );
    await h.transport.publish([{ envelope }]);
    await waitFor(() => templatesTo(user).length === 1, { timeoutMs: 10_000, what: 'the window template' });
    const later = Date.now() + 30 * HOUR;
    expect(
      await sendTemplateReminders(h.database, { maxReminders: 0, intervalHours: 24, limit: 100, now: new Date(later) }),
    ).toMatchObject({ due: 0, reminded: 0 });
    await h.database.db.execute(
      sql`update messaging.conversations set data = jsonb_set(data, '{optedOut}', 'true') where user_id = ${user}`,
    );
    expect(await remind(later)).toMatchObject({ due: 0, reminded: 0 });
  });
});
