import { randomUUID } from 'node:crypto';
import { queryRows } from '@astria/db';
import { createTestDatabase, type TestDatabase } from '@astria/db/testing';
import type { ExternalEffectHandler } from '@astria/events';
import { startWhatsAppSimulator, type WhatsAppSimulator } from '@astria/simulators/whatsapp';
import { sql } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerMessageMetrics } from '../src/metrics.js';
import { senderUnderTest } from './sender-under-test.js';

// A send cut short after the Graph call and before its record committed (a SIGKILL, a failed commit):
// the step that records it is simply never run, then the event is delivered again.
describe('a send redelivered after an interrupted attempt', () => {
  let database: TestDatabase;
  let sim: WhatsAppSimulator;
  const registry = new Registry();
  const metrics = registerMessageMetrics(registry);
  let handler: ExternalEffectHandler<'whatsapp_send_requested'>;

  beforeAll(async () => {
    database = await createTestDatabase();
    sim = await startWhatsAppSimulator({ phoneNumberId: '111', accessToken: 'tok', appSecret: 's' });
    handler = senderUnderTest(database, sim, metrics);
  });
  afterAll(async () => {
    await sim?.close();
    await database?.destroy();
  });

  const event = (message: Record<string, unknown>) =>
    ({
      id: randomUUID(),
      type: 'whatsapp_send_requested',
      data: { to: '15550009001', message },
    }) as unknown as Parameters<typeof handler.outsideTransaction>[0];
  const outcomeOf = async (id: string) =>
    (
      await queryRows<{ outcome: string }>(
        database.db,
        sql`select outcome from messaging.outbound_messages where event_id = ${id}`,
      )
    )[0]?.outcome;
  const counted = async (kind: string, action: string) =>
    (await registry.getSingleMetric('whatsapp_send_redeliveries_total')?.get())?.values.find(
      (v) => v.labels.kind === kind && v.labels.action === action,
    )?.value ?? 0;

  it('marks the send attempted (committed) before the Graph call; the record replaces the mark', async () => {
    const text = event({ kind: 'text', body: 'hello' });
    const record = await handler.outsideTransaction(text);
    expect(await outcomeOf(text.id)).toBe('attempted');
    await database.db.transaction((tx) => record(tx));
    expect(await outcomeOf(text.id)).toBe('sent');
    expect(await counted('text', 'resent')).toBe(0);
  });

  it('a text whose record never committed is sent again, logged and counted as a possible duplicate', async () => {
    const text = event({ kind: 'text', body: 'your portraits are ready' });
    const before = sim.sent.length;
    await handler.outsideTransaction(text); // sent, then the process "dies" before recording it
    const record = await handler.outsideTransaction(text); // the redelivery
    expect(sim.sent.length - before).toBe(2);
    expect(await counted('text', 'resent')).toBe(1);
    await database.db.transaction((tx) => record(tx));
    expect(await outcomeOf(text.id)).toBe('sent');
  });

  it('a read receipt (typing indicator) is never repeated on redelivery: recorded skipped, counted', async () => {
    const reads: string[] = [];
    sim.onMarkRead((r) => reads.push(r.messageId));
    const read = event({ kind: 'mark_read', messageId: 'wamid.in1', typing: true });
    await handler.outsideTransaction(read);
    const record = await handler.outsideTransaction(read);
    expect(reads).toEqual(['wamid.in1']);
    await database.db.transaction((tx) => record(tx));
    expect(await outcomeOf(read.id)).toBe('skipped');
    expect(await counted('mark_read', 'skipped')).toBe(1);
  });

  it('a retryable Graph error clears the mark: the ordinary retry is not counted', async () => {
    const text = event({ kind: 'text', body: 'retry me' });
    sim.failNext(2, { status: 503, code: 2 });
    await expect(handler.outsideTransaction(text)).rejects.toThrow();
    expect(await outcomeOf(text.id)).toBeUndefined();
    const resentBefore = await counted('text', 'resent');
    const record = await handler.outsideTransaction(text);
    await database.db.transaction((tx) => record(tx));
    expect(await outcomeOf(text.id)).toBe('sent');
    expect(await counted('text', 'resent')).toBe(resentBefore);
  });
});
