import { queryRows } from '@astria/db';
import { metaSerialize, signWebhookBody } from '@astria/simulators/whatsapp';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNotification } from '../src/webhook/notification.js';
import { APP_SECRET, createHarness, type Harness, NUMBER_ID } from './harness.js';

function webhook(from: string, wamid: string, timestamp = '1764000000') {
  return metaSerialize({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '1',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '1', phone_number_id: NUMBER_ID },
              messages: [{ from, id: wamid, timestamp, type: 'text', text: { body: 'hi' } }],
            },
          },
        ],
      },
    ],
  });
}

describe('group commit', () => {
  let h: Harness;
  const post = (raw: string) =>
    h.app.inject({
      method: 'POST',
      url: '/whatsapp/webhook',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signWebhookBody(APP_SECRET, raw) },
      payload: raw,
    });

  beforeAll(async () => {
    // One transaction at a time: every webhook arriving meanwhile joins the next group.
    h = await createHarness({ INGEST_MAX_CONCURRENT_TX: '1', INGEST_MAX_BATCH: '16' });
  });
  afterAll(async () => {
    await h.close();
  });

  const groups = async () => {
    const metrics = (await h.app.inject('/metrics')).body;
    return Number(/whatsapp_ingest_group_size_count\{[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
  };

  it('commits concurrent webhooks together, each answered after its commit', async () => {
    const before = await groups();
    // Called in one tick: the first starts a transaction at once, the other seven wait and share the next.
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        h.app.webhookIngest.ingest(
          parseNotification(JSON.parse(webhook(`1555998000${i}`, `wamid.gg.${i}`)), NUMBER_ID),
          `c${i}`,
        ),
      ),
    );
    expect(results.map((r) => r.accepted)).toEqual(Array(8).fill(1));
    const stored = await queryRows<{ n: number }>(
      h.database.db,
      sql`select count(*)::int as n from messaging.inbound_messages where wamid like 'wamid.gg.%'`,
    );
    expect(stored[0]?.n).toBe(8);
    expect((await groups()) - before).toBe(2);
  });

  it('one failing webhook does not fail the others of its group', async () => {
    // A conversation row the engine cannot read: that user's webhook fails, on its own.
    await h.database.db.execute(
      sql`insert into messaging.conversations (user_id, state, language, data) values ('15559990000', 'collecting_photos', 'en', '{"photos":"corrupt"}'::jsonb)`,
    );
    const users = Array.from({ length: 8 }, (_, i) => `1555999000${i + 1}`);
    const ingest = (raw: string) => h.app.webhookIngest.ingest(parseNotification(JSON.parse(raw), NUMBER_ID), 'c');
    const outcomes = await Promise.allSettled([
      ...users.map((user, i) => ingest(webhook(user, `wamid.gc.${i}`))),
      ingest(webhook('15559990000', 'wamid.gc.bad')),
    ]);
    expect(outcomes.slice(0, 8).map((o) => o.status)).toEqual(Array(8).fill('fulfilled'));
    expect(outcomes[8]?.status).toBe('rejected');
    // Over HTTP the same failure is a 503 (Meta retries it), nothing stored.
    expect((await post(webhook('15559990000', 'wamid.gc.bad2'))).statusCode).toBe(503);
    const stored = await queryRows<{ wamid: string }>(
      h.database.db,
      sql`select wamid from messaging.inbound_messages where wamid like 'wamid.gc.%' order by wamid`,
    );
    expect(stored.map((r) => r.wamid)).toEqual(users.map((_, i) => `wamid.gc.${i}`));
  });

  it('treats an absurd message timestamp as "now" instead of failing the webhook', async () => {
    const response = await post(webhook('15559990100', 'wamid.gc.time', '99999999999999999'));
    expect(response.statusCode).toBe(200);
  });
});
