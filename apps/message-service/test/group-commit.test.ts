import { queryRows } from '@astria/db';
import { userHashOf } from '@astria/events';
import { metaSerialize, signWebhookBody } from '@astria/simulators/whatsapp';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeReplyId } from '../src/conversation/reply-ids.js';
import { parseNotification } from '../src/webhook/notification.js';
import { APP_SECRET, createHarness, type Harness, NUMBER_ID } from './harness.js';

type MetaMessage = Record<string, unknown> & { from: string; id: string; timestamp: string };

function webhook(from: string, wamid: string, timestamp = '1764000000') {
  return webhookOf([{ from, id: wamid, timestamp, type: 'text', text: { body: 'hi' } }]);
}

/** One webhook carrying several messages (several turns in one group). */
function webhookOf(messages: MetaMessage[]) {
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
              messages,
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

  it('an erasure among the turns of a group leaves the same rows as the webhooks one after another', async () => {
    const [user, other] = ['15559990200', '15559990201'];
    const text = (from: string, id: string, timestamp: string): MetaMessage => ({
      from,
      id,
      timestamp,
      type: 'text',
      text: { body: 'hi' },
    });
    const confirm: MetaMessage = {
      from: user,
      id: 'wamid.ge.1',
      timestamp: '1764000001',
      type: 'interactive',
      interactive: {
        type: 'button_reply',
        button_reply: { id: encodeReplyId({ kind: 'erase', choice: 'confirm' }), title: 'Yes' },
      },
    };
    // A message, the confirmed erasure and a message after it, of one user; another user's message beside them.
    const raw = webhookOf([
      text(other, 'wamid.ge.3', '1764000000'),
      text(user, 'wamid.ge.2', '1764000002'),
      confirm,
      text(user, 'wamid.ge.0', '1764000000'),
    ]);
    const result = await h.app.webhookIngest.ingest(parseNotification(JSON.parse(raw), NUMBER_ID), 'c');
    expect(result).toEqual({ accepted: 4, duplicates: 0, statuses: 0 });
    // The erasure took what the first turn wrote (its de-dup record, its replies in the outbox) ...
    const [erasure] = await queryRows<{ counts: Record<string, number> }>(
      h.database.db,
      sql`select counts from messaging.erasures where user_hash = ${userHashOf(user)}`,
    );
    expect(erasure?.counts).toMatchObject({ conversations: 1, inbound_messages: 2 });
    expect(erasure?.counts.outbox).toBeGreaterThan(0);
    // ... and the message after it starts afresh; the other user is not touched.
    const stored = await queryRows<{ wamid: string }>(
      h.database.db,
      sql`select wamid from messaging.inbound_messages where wamid like 'wamid.ge.%' order by wamid`,
    );
    expect(stored.map((r) => r.wamid)).toEqual(['wamid.ge.2', 'wamid.ge.3']);
    const conversations = await queryRows<{ user_id: string; version: number }>(
      h.database.db,
      sql`select user_id, version from messaging.conversations where user_id in (${user}, ${other}) order by user_id`,
    );
    expect(conversations).toEqual([
      { user_id: user, version: 1 },
      { user_id: other, version: 1 },
    ]);
  });

  it('treats an absurd message timestamp as "now" instead of failing the webhook', async () => {
    const response = await post(webhook('15559990100', 'wamid.gc.time', '99999999999999999'));
    expect(response.statusCode).toBe(200);
  });
});
