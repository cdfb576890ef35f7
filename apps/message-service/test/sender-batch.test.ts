import { randomUUID } from 'node:crypto';
import { queryRows } from '@astria/db';
import { createTestDatabase, type TestDatabase } from '@astria/db/testing';
import { type EffectRecord, type ExternalEffectHandler, userHashOf } from '@astria/events';
import { startWhatsAppSimulator, type WhatsAppSimulator } from '@astria/simulators/whatsapp';
import { sql } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerMessageMetrics } from '../src/metrics.js';
import { lockConversations } from '../src/store.js';
import { senderUnderTest } from './sender-under-test.js';

const ALICE = '15550001001';
const ERASED = '15550001002';
const CAROL = '15550001003';
const DAN = '15550001004';

// The sends that share an inbox transaction are recorded together (set-based): each must come out exactly
// as if it had been recorded alone — erased users, a failure reported first, a refused send held.
describe('sends recorded together in one inbox transaction', () => {
  let database: TestDatabase;
  let sim: WhatsAppSimulator;
  const registry = new Registry();
  const metrics = registerMessageMetrics(registry);
  let handler: ExternalEffectHandler<'whatsapp_send_requested'>;
  const calls: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    sim = await startWhatsAppSimulator({ phoneNumberId: '111', accessToken: 'tok', appSecret: 's' });
    handler = senderUnderTest(database, sim, metrics, {
      onDeliveryFailed: async (tx, wamid, code, correlationId) => {
        await queryRows(tx, sql`select 1`);
        calls.push(`failed ${wamid} ${code} ${correlationId}`);
      },
      onWindowClosed: async (tx, userId, refused, correlationId) => {
        await queryRows(tx, sql`select 1`);
        calls.push(`held ${userId} ${refused.message.kind} ${correlationId}`);
      },
    });
    await database.db.transaction((tx) => lockConversations(tx, [ALICE, CAROL, DAN]));
    await queryRows(database.db, sql`insert into messaging.erasures (user_hash) values (${userHashOf(ERASED)})`);
  });
  afterAll(async () => {
    await sim?.close();
    await database?.destroy();
  });

  const event = (to: string, message: Record<string, unknown>) =>
    ({
      id: randomUUID(),
      type: 'whatsapp_send_requested',
      key: to,
      correlationId: `corr-${to}-${message.kind}`,
      data: { to, message },
    }) as unknown as Parameters<typeof handler.outsideTransaction>[0];
  const rowOf = async (id: string) =>
    (
      await queryRows<{ outcome: string; wamid: string | null; error_code: number | null; kind: string }>(
        database.db,
        sql`select outcome, wamid, error_code, kind from messaging.outbound_messages where event_id = ${id}`,
      )
    )[0];

  it('records each send as alone would: erased user skipped, a failure reported first acted on, a refusal held', async () => {
    sim.failFor(DAN, { status: 400, code: 131047, message: 'Re-engagement message' });
    const wamidTo = new Map<string, string>();
    const stop = sim.onSent((sent) => wamidTo.set(sent.to, sent.wamid));
    const events = [
      event(ALICE, { kind: 'mark_read', messageId: 'wamid.in.1', typing: true }),
      event(ALICE, { kind: 'text', body: 'hello' }),
      event(ERASED, { kind: 'text', body: 'in flight during the erasure' }),
      event(CAROL, { kind: 'text', body: 'will fail' }),
      event(DAN, { kind: 'text', body: 'window closed' }),
    ];
    const records: EffectRecord[] = [];
    for (const e of events) records.push(await handler.outsideTransaction(e));
    stop();
    sim.failFor(DAN, null);
    const carolWamid = wamidTo.get(CAROL) as string;
    expect(carolWamid).toBeTruthy();
    // WhatsApp reported Carol's message failed before the send was recorded.
    await queryRows(
      database.db,
      sql`insert into messaging.message_statuses (wamid, status, rank, error_code) values (${carolWamid}, 'failed', 4, 131026)`,
    );
    for (const e of events) expect((await rowOf(e.id))?.outcome).toBe('attempted');

    // One call for all five, as the consumer makes it for neighbours in key order.
    const many = records.map((r) => r.many);
    const recordMany = many[0]?.recordMany;
    if (!recordMany) throw new Error('the sender gives no set-based record');
    expect(many.every((m) => m?.recordMany === recordMany)).toBe(true);
    await database.db.transaction((tx) =>
      recordMany(
        tx,
        many.map((m) => m?.entry),
      ),
    );

    const [read, text, erased, carol, dan] = await Promise.all(events.map((e) => rowOf(e.id)));
    expect(read).toMatchObject({ outcome: 'sent', kind: 'mark_read', wamid: null });
    expect(text).toMatchObject({ outcome: 'sent', kind: 'text', wamid: wamidTo.get(ALICE) });
    expect(erased).toBeUndefined(); // not recorded, and its `attempted` mark (naming the user) is gone
    expect(carol).toMatchObject({ outcome: 'sent', wamid: carolWamid });
    expect(dan).toMatchObject({ outcome: 'failed', error_code: 131047 });
    expect(calls).toEqual([`failed ${carolWamid} 131026 corr-${CAROL}-text`, `held ${DAN} text corr-${DAN}-text`]);
  });

  it('a record that finds the outcome already recorded leaves it as it was', async () => {
    const e = event(ALICE, { kind: 'text', body: 'twice' });
    const first = await handler.outsideTransaction(e);
    await database.db.transaction((tx) => first(tx));
    const recorded = await rowOf(e.id);
    await database.db.transaction((tx) => first(tx));
    expect(await rowOf(e.id)).toEqual(recorded);
  });
});
