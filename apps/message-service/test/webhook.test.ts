import { readFileSync } from 'node:fs';
import { queryRows } from '@astria/db';
import { createTestDatabase } from '@astria/db/testing';
import { metaSerialize, signWebhookBody } from '@astria/simulators/whatsapp';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_SECRET, createHarness, type Harness, NUMBER_ID, VERIFY_TOKEN } from './harness.js';

const FIXTURES = new URL('./fixtures/whatsapp/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(`${name}.json`, FIXTURES));

function notification(value: Record<string, unknown>, phoneNumberId = NUMBER_ID) {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  };
}

let counter = 0;
function textMessage(from: string, body: string, extra: Record<string, unknown> = {}) {
  counter++;
  return {
    from,
    id: `wamid.test${Date.now()}${counter}`,
    timestamp: String(1764000000 + counter),
    type: 'text',
    text: { body },
    ...extra,
  };
}

describe('WhatsApp webhook', () => {
  let h: Harness;
  const post = (body: Buffer | string, signature: string | null = signWebhookBody(APP_SECRET, body)) =>
    h.app.inject({
      method: 'POST',
      url: '/whatsapp/webhook',
      headers: {
        'content-type': 'application/json',
        ...(signature !== null ? { 'x-hub-signature-256': signature } : {}),
      },
      payload: body,
    });
  const postJson = (value: unknown) => post(metaSerialize(value));
  const count = async (table: string, where = 'true') =>
    Number(
      (
        await queryRows<{ n: number }>(
          h.database.db,
          sql.raw(`select count(*)::int as n from messaging.${table} where ${where}`),
        )
      )[0]?.n,
    );
  const outboxOf = async (userId: string) =>
    queryRows<{ type: string; envelope: { data: Record<string, unknown> } }>(
      h.database.db,
      sql`select type, envelope from messaging.outbox where key = ${userId} order by seq`,
    );

  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  describe('GET verification handshake', () => {
    it('echoes the challenge as plain text when the mode is subscribe and the token matches', async () => {
      const response = await h.app.inject({
        url: `/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`,
      });
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe('1158201444');
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
    });

    it.each([
      ['a wrong token', `hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`],
      ['a wrong mode', `hub.mode=unsubscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`],
      ['no token', `hub.mode=subscribe&hub.challenge=1`],
      ['no parameters', ''],
    ])('answers 403 to %s', async (_what, query) => {
      const response = await h.app.inject({ url: `/whatsapp/webhook?${query}` });
      expect(response.statusCode).toBe(403);
    });

    it.each([
      [
        'a challenge over 512 characters',
        `hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=${'1'.repeat(513)}`,
      ],
      ['a repeated hub.mode', `hub.mode=subscribe&hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`],
      ['an overlong mode', `hub.mode=${'s'.repeat(65)}&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`],
    ])("answers the query schema's 400 to %s", async (_what, query) => {
      const response = await h.app.inject({ url: `/whatsapp/webhook?${query}` });
      expect(response.statusCode).toBe(400);
      expect(response.body).not.toContain('1'.repeat(513));
    });
  });

  it('describes the handshake query, the signature header and the raw body in the OpenAPI document', async () => {
    const doc = h.app.swagger() as unknown as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const path = doc.paths['/whatsapp/webhook'];
    const names = (op: Record<string, unknown> | undefined) =>
      ((op?.parameters ?? []) as Array<{ name: string; in: string }>).map((p) => `${p.in}:${p.name}`);
    expect(names(path?.get)).toEqual(['query:hub.mode', 'query:hub.verify_token', 'query:hub.challenge']);
    expect(names(path?.post)).toContain('header:x-hub-signature-256');
    expect(JSON.stringify(path?.post?.requestBody)).toContain('whatsapp_business_account');
  });

  describe('POST signature and payload checks', () => {
    it('rejects a missing or invalid signature with 401 and stores nothing', async () => {
      const body = fixture('text');
      const before = await count('inbound_messages');
      expect((await post(body, null)).statusCode).toBe(401);
      expect((await post(body, `sha256=${'0'.repeat(64)}`)).statusCode).toBe(401);
      expect((await post(body, signWebhookBody('wrong-secret', body))).statusCode).toBe(401);
      expect((await post(body, 'sha1=abc')).statusCode).toBe(401);
      // A body re-serialized after signing (what a naive proxy does) no longer verifies.
      const reserialized = JSON.stringify(JSON.parse(body.toString()), null, 1);
      expect((await post(reserialized, signWebhookBody(APP_SECRET, body))).statusCode).toBe(401);
      expect(await count('inbound_messages')).toBe(before);
    });

    it('answers 400 to a signed body that is not JSON or not a WhatsApp notification', async () => {
      expect((await post('not json at all')).statusCode).toBe(400);
      expect((await post('[1,2,3]')).statusCode).toBe(400);
      expect((await post('{"object":"page","entry":[]}')).statusCode).toBe(400);
      expect((await post('{"object":"whatsapp_business_account"}')).statusCode).toBe(400);
    });

    it('answers 413 to a body over 4 MB', async () => {
      const big = Buffer.alloc(4 * 1024 * 1024 + 10, 0x20);
      expect((await post(big)).statusCode).toBe(413);
    });

    it('verifies bodies with Hebrew, emoji, accents and escaped slashes exactly as Meta signs them', async () => {
      const text = 'שלום! 😀 café https://x.y/z';
      const message = textMessage('972500000001', text);
      const raw = metaSerialize(
        notification({ contacts: [{ profile: { name: 'דנה' }, wa_id: '972500000001' }], messages: [message] }),
      );
      expect(raw).toContain('\\u05e9');
      expect(raw).toContain('\\/');
      const response = await post(raw);
      expect(response.statusCode).toBe(200);
      const [event] = (await outboxOf('972500000001')).filter((e) => e.type === 'user_message_received');
      expect(event?.envelope.data.text).toBe(text);
    });

    it('ignores changes for another phone number id', async () => {
      const before = await count('inbound_messages');
      const response = await postJson(notification({ messages: [textMessage('15550009999', 'hi')] }, '999999'));
      expect(response.statusCode).toBe(200);
      expect(await count('inbound_messages')).toBe(before);
    });
  });

  describe('every fixture', () => {
    it('text: records the message, creates the conversation and writes the events to the outbox', async () => {
      const response = await post(fixture('text'));
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ ok: true, accepted: 1, duplicates: 0 });
      expect(
        await count('inbound_messages', `wamid = 'wamid.HBgMOTcyNTAxMjM0NTY3FQIAEhgUM0E0QjY1OTlBRUUwMzgxMDE0NEYA'`),
      ).toBe(1);
      const [conversation] = await queryRows<{ state: string; language: string }>(
        h.database.db,
        sql`select state, language from messaging.conversations where user_id = '972501234567'`,
      );
      expect(conversation).toEqual({ state: 'collecting_photos', language: 'he' });
      const events = await outboxOf('972501234567');
      expect(events.map((e) => e.type)).toEqual([
        'user_message_received',
        'whatsapp_send_requested',
        'whatsapp_send_requested',
      ]);
      expect(events[0]?.envelope.data).toMatchObject({ type: 'text', text: 'Hi there', trainingPhoto: false });
      expect(events[1]?.envelope.data).toMatchObject({ message: { kind: 'mark_read' } });
      expect(events[2]?.envelope.data).toMatchObject({ to: '972501234567', message: { kind: 'list' } });
    });

    it('image: marks the photo as a training photo for the image service', async () => {
      expect((await post(fixture('image'))).statusCode).toBe(200);
      const events = await outboxOf('972501234567');
      const photo = events.find((e) => e.type === 'user_message_received' && e.envelope.data.type === 'image');
      expect(photo?.envelope.data).toMatchObject({
        trainingPhoto: true,
        image: { mediaId: '2754859441498128', mimeType: 'image/jpeg' },
      });
    });

    it('button-reply and list-reply: handled as conversation inputs', async () => {
      expect((await post(fixture('button-reply'))).statusCode).toBe(200);
      expect((await post(fixture('list-reply'))).statusCode).toBe(200);
      const events = await outboxOf('972501234567');
      const received = events.filter((e) => e.type === 'user_message_received').map((e) => e.envelope.data.replyId);
      expect(received).toContain('begin');
      expect(received).toContain('tier:standard');
    });

    it('status-sent and status-failed: recorded by wamid, failed with its error code', async () => {
      expect((await post(fixture('status-sent'))).statusCode).toBe(200);
      expect((await post(fixture('status-failed'))).statusCode).toBe(200);
      const rows = await queryRows<{ wamid: string; status: string; error_code: number | null }>(
        h.database.db,
        sql`select wamid, status, error_code from messaging.message_statuses order by wamid`,
      );
      expect(rows).toEqual(
        expect.arrayContaining([
          { wamid: 'wamid.HBgMOTcyNTAxMjM0NTY3FQIAERgSQjQ2RkQ3QjE2MzBCNzRBMjE0AA==', status: 'sent', error_code: null },
          {
            wamid: 'wamid.HBgMOTcyNTAxMjM0NTY3FQIAERgSQjQ2RkQ3QjE2MzBCNzRBMjE2AA==',
            status: 'failed',
            error_code: 131047,
          },
        ]),
      );
    });
  });

  describe('processing', () => {
    it('never moves a status backwards; failed is terminal', async () => {
      const wamid = 'wamid.order-test';
      const status = (s: string) =>
        notification({ statuses: [{ id: wamid, status: s, timestamp: '1764000000', recipient_id: '15550001' }] });
      for (const s of ['read', 'delivered', 'sent']) expect((await postJson(status(s))).statusCode).toBe(200);
      const read = await queryRows<{ status: string }>(
        h.database.db,
        sql`select status from messaging.message_statuses where wamid = ${wamid}`,
      );
      expect(read[0]?.status).toBe('read');
      await postJson(
        notification({
          statuses: [{ id: 'wamid.f', status: 'failed', errors: [{ code: 131026, title: 'x' }], recipient_id: '1' }],
        }),
      );
      await postJson(notification({ statuses: [{ id: 'wamid.f', status: 'delivered', recipient_id: '1' }] }));
      const failed = await queryRows<{ status: string; error_code: number }>(
        h.database.db,
        sql`select status, error_code from messaging.message_statuses where wamid = 'wamid.f'`,
      );
      expect(failed[0]).toEqual({ status: 'failed', error_code: 131026 });
    });

    it('processes every entry, change, message and status of one POST', async () => {
      const a = textMessage('15550000101', 'hello');
      const b = textMessage('15550000102', 'hello');
      const c = textMessage('15550000101', 'again');
      const body = {
        object: 'whatsapp_business_account',
        entry: [
          notification({ messages: [a, c] }).entry[0],
          {
            id: 'x',
            changes: [
              notification({ messages: [b] }).entry[0]?.changes[0],
              notification({ statuses: [{ id: 'wamid.multi', status: 'delivered', recipient_id: '1' }] }).entry[0]
                ?.changes[0],
            ],
          },
        ],
      };
      const response = await postJson(body);
      expect(response.json()).toMatchObject({ accepted: 3, statuses: 1 });
      expect(await count('inbound_messages', `user_id in ('15550000101','15550000102')`)).toBe(3);
    });

    it('de-duplicates by wamid: 20 concurrent deliveries of one message have exactly one effect', async () => {
      const message = textMessage('15550000200', 'hi');
      const raw = metaSerialize(notification({ messages: [message] }));
      const responses = await Promise.all(Array.from({ length: 20 }, () => post(raw)));
      expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
      expect(responses.reduce((n, r) => n + (r.json() as { accepted: number }).accepted, 0)).toBe(1);
      expect(await count('inbound_messages', `wamid = '${message.id}'`)).toBe(1);
      expect((await outboxOf('15550000200')).filter((e) => e.type === 'user_message_received')).toHaveLength(1);
      const [conversation] = await queryRows<{ version: number }>(
        h.database.db,
        sql`select version from messaging.conversations where user_id = '15550000200'`,
      );
      expect(conversation?.version).toBe(1);
    });

    it('applies concurrent messages of one user one at a time: no lost turn', async () => {
      const user = '15550000250';
      const raws = Array.from({ length: 12 }, (_, i) =>
        metaSerialize(notification({ messages: [textMessage(user, `m${i}`)] })),
      );
      const responses = await Promise.all(raws.map((raw) => post(raw)));
      expect(responses.map((r) => r.statusCode)).toEqual(Array(12).fill(200));
      const [conversation] = await queryRows<{ version: number }>(
        h.database.db,
        sql`select version from messaging.conversations where user_id = ${user}`,
      );
      expect(conversation?.version).toBe(12);
      expect((await outboxOf(user)).filter((e) => e.type === 'user_message_received')).toHaveLength(12);
    });

    it('keys users who hide their number by the business-scoped user id', async () => {
      const message = {
        id: 'wamid.bsuid1',
        user_id: 'US.13491208655302741918',
        timestamp: '1764000000',
        type: 'text',
        text: { body: 'hi' },
      };
      const response = await postJson(
        notification({
          contacts: [{ profile: { name: 'X' }, user_id: 'US.13491208655302741918' }],
          messages: [message],
        }),
      );
      expect(response.json()).toMatchObject({ accepted: 1 });
      expect(await count('conversations', `user_id = 'US.13491208655302741918'`)).toBe(1);
    });

    it('stores the valid messages of a POST, refuses (200, counted) those PostgreSQL cannot hold or over a limit', async () => {
      const good = textMessage('15550000410', 'hello');
      const hostile = [
        textMessage('15550000411', 'id too long', { id: `wamid.${'A'.repeat(100_000)}` }),
        textMessage('15550000412', 'nul \u0000 in the text'),
        textMessage('15550000413', 'lone \ud800 surrogate'),
        textMessage('15550000414', 'x'.repeat(70_000)),
        textMessage('15550000415', 'control char id', { id: 'wamid.\u0007bell' }),
      ];
      const response = await postJson(
        notification({
          contacts: [{ profile: { name: 'Name \ud83d with \u0000' }, wa_id: '15550000410' }],
          messages: [...hostile, good],
          statuses: [
            { id: 'wamid.status\u0000nul', status: 'delivered', timestamp: '1764000000', recipient_id: '15550000410' },
            { id: `wamid.${'B'.repeat(5000)}`, status: 'read', timestamp: '1764000000', recipient_id: '15550000410' },
          ],
        }),
      );
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ accepted: 1, statuses: 0, refused: 7 });
      expect(await count('inbound_messages', `wamid = '${good.id}'`)).toBe(1);
      expect(await count('inbound_messages', `user_id like '155500004%'`)).toBe(1);
      const metrics = await h.app.inject('/metrics');
      expect(metrics.body).toMatch(/whatsapp_webhook_refused_total\{part="message",reason="too_long"[^}]*\} [1-9]/);
      expect(metrics.body).toMatch(/whatsapp_webhook_refused_total\{part="message",reason="unstorable"[^}]*\} [1-9]/);
      expect(metrics.body).toMatch(/whatsapp_webhook_refused_total\{part="status",reason="unstorable"[^}]*\} [1-9]/);
      // Nothing but refusals: still 200, nothing stored, so Meta does not retry it for days.
      const only = await postJson(notification({ messages: [hostile[0]] }));
      expect(only.statusCode).toBe(200);
      expect(only.json()).toMatchObject({ accepted: 0, refused: 1 });
    });

    it('answers 200 (refused, alerted) when PostgreSQL refuses a notification for good, 503 only when a retry can help', async () => {
      // A data error the screening did not foresee, as PostgreSQL reports it (SQLSTATE class 22).
      await h.database.db.execute(
        sql.raw(`create or replace function messaging.test_poison() returns trigger language plpgsql as $$
          begin
            if new.wamid like 'wamid.poison%' then raise exception 'poisoned' using errcode = '22023'; end if;
            return new;
          end $$`),
      );
      await h.database.db.execute(
        sql.raw(`create trigger test_poison before insert on messaging.inbound_messages
            for each row execute function messaging.test_poison()`),
      );
      try {
        const poisoned = await postJson(
          notification({ messages: [textMessage('15550000420', 'x', { id: 'wamid.poison.1' })] }),
        );
        expect(poisoned.statusCode).toBe(200);
        expect(poisoned.json()).toMatchObject({ accepted: 0, refused: 1 });
        const metrics = await h.app.inject('/metrics');
        expect(metrics.body).toMatch(
          /whatsapp_webhook_refused_total\{part="notification",reason="store_failed"[^}]*\} [1-9]/,
        );
        expect(metrics.body).toMatch(/whatsapp_webhook_requests_total\{outcome="refused"[^}]*\} [1-9]/);
      } finally {
        await h.database.db.execute(sql.raw('drop trigger test_poison on messaging.inbound_messages'));
      }
    });

    it('never answers 5xx to fuzzed or mutated payloads', async () => {
      const base = JSON.parse(fixture('text').toString());
      const mutations: unknown[] = [
        { ...base, entry: 'x' },
        { ...base, entry: [null] },
        { ...base, entry: [{ changes: [null, 1, 'x'] }] },
        {
          ...base,
          entry: [
            { changes: [{ value: { metadata: { phone_number_id: NUMBER_ID }, messages: [null, 1, {}, { id: 1 }] } }] },
          ],
        },
        {
          ...base,
          entry: [
            {
              changes: [
                { value: { metadata: { phone_number_id: NUMBER_ID }, messages: [{ id: 'wamid.m1', type: 'text' }] } },
              ],
            },
          ],
        },
        notification({
          messages: [{ id: 'wamid.m2', from: '15550000300', type: 'text', text: 'not-an-object', timestamp: 'abc' }],
        }),
        notification({
          messages: [{ id: 'wamid.m3', from: '15550000300', type: 'interactive', interactive: { type: 'nfm_reply' } }],
        }),
        notification({ messages: [{ id: 'wamid.m4', from: '15550000300', type: 'brand_new_type' }] }),
        notification({ messages: [{ id: 'wamid.m5', from: '15550000300', type: 'image', image: {} }] }),
        notification({ statuses: [{ id: 'wamid.s', status: 'weird' }, null, { status: 'read' }] }),
        notification({ messages: [{ id: 'wamid.m6', from: 'abc', type: 'text', text: { body: 'x' } }] }),
        notification({
          messages: [{ id: 'wamid.m7', from: '15550000300', type: 'text', text: { body: 'x'.repeat(10_000) } }],
        }),
        notification({
          messages: [
            {
              id: 'wamid.m8',
              from: '15550000300',
              type: 'interactive',
              interactive: { type: 'button_reply', button_reply: { id: `tier:${'x'.repeat(500)}`, title: 'y' } },
            },
          ],
        }),
      ];
      let seed = 42;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const source = metaSerialize(base);
      for (let i = 0; i < 60; i++) {
        const chars = [...source];
        for (let k = 0; k < 3; k++)
          chars[Math.floor(random() * chars.length)] = String.fromCharCode(32 + Math.floor(random() * 90));
        mutations.push(chars.join(''));
      }
      for (const mutation of mutations) {
        const raw = typeof mutation === 'string' ? mutation : JSON.stringify(mutation);
        const response = await post(raw);
        expect(response.statusCode, raw.slice(0, 200)).toBeLessThan(500);
      }
    });

    it('exposes webhook metrics by outcome', async () => {
      const metrics = await h.app.inject('/metrics');
      expect(metrics.body).toMatch(/whatsapp_webhook_requests_total\{outcome="accepted"[^}]*\} \d+/);
      expect(metrics.body).toMatch(/whatsapp_webhook_requests_total\{outcome="bad_signature"[^}]*\} \d+/);
      expect(metrics.body).toMatch(/whatsapp_webhook_requests_total\{outcome="bad_payload"[^}]*\} \d+/);
      expect(metrics.body).toMatch(/whatsapp_inbound_messages_total\{type="text",outcome="duplicate"[^}]*\} \d+/);
      expect(metrics.body).toContain('whatsapp_ingest_duration_seconds_bucket');
      expect(metrics.body).toContain('conversation_transitions_total');
    });
  });
});

describe('WhatsApp webhook with the database down', () => {
  it('answers 503 so Meta retries', async () => {
    const database = await createTestDatabase();
    const h = await createHarness({}, database);
    try {
      await database.close();
      const raw = metaSerialize(notification({ messages: [textMessage('15550000400', 'hi')] }));
      const response = await h.app.inject({
        method: 'POST',
        url: '/whatsapp/webhook',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signWebhookBody(APP_SECRET, raw) },
        payload: raw,
      });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
    } finally {
      await h.close();
      await database.destroy().catch(() => undefined);
    }
  });
});
