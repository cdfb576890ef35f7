import { createHmac } from 'node:crypto';
import { queryRows } from '@astria/db';
import { createTestDatabase, type TestDatabase } from '@astria/db/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ForwardFailed,
  forwardToOldApp,
  type MetaNotification,
  metaSignature,
  oldAppMidTraining,
  splitNotification,
} from '../src/index.js';
import { type FakeOldApp, startFakeOldApp } from '../src/testing/index.js';

const OLD = '972500000001';
const NEW = '972500000002';

function notification(): MetaNotification {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'waba',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { phone_number_id: 'pn1', display_phone_number: '1555' },
              contacts: [
                { wa_id: OLD, profile: { name: 'Old' } },
                { wa_id: NEW, profile: { name: 'New' } },
              ],
              messages: [
                { id: 'wamid.old1', from: OLD, timestamp: '1', type: 'text', text: { body: 'hi' } },
                { id: 'wamid.new1', from: NEW, timestamp: '1', type: 'text', text: { body: 'hi' } },
                { id: 'wamid.old2', from: OLD, timestamp: '2', type: 'image', image: { id: 'media1' } },
              ],
              statuses: [{ id: 'wamid.out1', status: 'read', recipient_id: NEW }],
            },
          },
        ],
      },
    ],
  };
}

const ownerOf = (userId: string) => (userId === OLD ? 'old' : 'new');

describe('splitting a notification by owner', () => {
  it('gives each system its users’ messages, statuses and contacts in the shape Meta sends', () => {
    const asked: string[] = [];
    const split = splitNotification(notification(), (u) => {
      asked.push(u);
      return ownerOf(u);
    });
    expect(asked.sort()).toEqual([OLD, NEW]);
    const oldValue = split.old?.entry[0]?.changes?.[0]?.value;
    expect(oldValue?.messages).toEqual([
      { id: 'wamid.old1', from: OLD, timestamp: '1', type: 'text', text: { body: 'hi' } },
      { id: 'wamid.old2', from: OLD, timestamp: '2', type: 'image', image: { id: 'media1' } },
    ]);
    expect(oldValue?.statuses).toBeUndefined();
    expect(oldValue?.contacts).toEqual([{ wa_id: OLD, profile: { name: 'Old' } }]);
    expect(oldValue?.metadata).toEqual({ phone_number_id: 'pn1', display_phone_number: '1555' });
    expect(split.old?.object).toBe('whatsapp_business_account');
    const newValue = split.new?.entry[0]?.changes?.[0]?.value;
    expect(newValue?.messages).toEqual([
      { id: 'wamid.new1', from: NEW, timestamp: '1', type: 'text', text: { body: 'hi' } },
    ]);
    expect(newValue?.statuses).toEqual([{ id: 'wamid.out1', status: 'read', recipient_id: NEW }]);
  });

  it('leaves a side empty (null) when none of its users is in the notification', () => {
    expect(splitNotification(notification(), () => 'old').new).toBeNull();
    expect(splitNotification(notification(), () => 'new').old).toBeNull();
  });
});

describe(`forwarding to the old app (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, () => {
  let oldDb: TestDatabase;
  let oldApp: FakeOldApp;
  beforeAll(async () => {
    oldDb = await createTestDatabase({ migrate: false });
    oldApp = await startFakeOldApp(oldDb);
  });
  afterAll(async () => {
    await oldApp?.close();
    await oldDb?.destroy();
  });

  it('re-signs the old app’s part with the app secret, and the old app records and answers it once', async () => {
    const body = JSON.stringify(splitNotification(notification(), ownerOf).old);
    await forwardToOldApp(body, { url: `${oldApp.url}/whatsapp`, appSecret: 'app-secret' });
    const expected = `sha256=${createHmac('sha256', 'app-secret').update(body).digest('hex')}`;
    expect(metaSignature('app-secret', body)).toBe(expected);
    expect(oldApp.received.at(-1)).toEqual({ path: '/whatsapp', status: 200, signature: expected });
    await forwardToOldApp(body, { url: `${oldApp.url}/whatsapp`, appSecret: 'app-secret' }); // a retry
    expect(oldApp.replies).toEqual([
      { to: OLD, inReplyTo: 'wamid.old1' },
      { to: OLD, inReplyTo: 'wamid.old2' },
    ]);
    const users = await queryRows(oldDb.db, sql`select phone, state from users`);
    expect(users).toEqual([{ phone: OLD, state: 1 }]);
    const pictures = await queryRows(oldDb.db, sql`select path from pictures`);
    expect(pictures).toEqual([{ path: 'media1' }]);
  });

  it('fails loudly while the old app is down (so the outbox retries), and delivers once it is back', async () => {
    const body = JSON.stringify({ id: 'sumit-1', phone: OLD });
    oldApp.setDown(true);
    await expect(forwardToOldApp(body, { url: `${oldApp.url}/payment-received` })).rejects.toBeInstanceOf(
      ForwardFailed,
    );
    await expect(
      forwardToOldApp(body, { url: 'http://127.0.0.1:9/payment-received', timeoutMs: 1000 }),
    ).rejects.toThrow(/unreachable/);
    oldApp.setDown(false);
    await forwardToOldApp(body, { url: `${oldApp.url}/payment-received` });
    await forwardToOldApp(body, { url: `${oldApp.url}/payment-received` });
    const [user] = await queryRows<{ credits: string }>(oldDb.db, sql`select credits from users where phone = ${OLD}`);
    expect(user?.credits).toBe('1');
  });

  it('tells a user mid-training in the old app (tune id, not yet tune ready) from the others', async () => {
    await oldDb.db.execute(sql`insert into users (phone, state, credits, tuneid, language) values
      ('972500000010', 1, '1', 'tune-1', 0), ('972500000011', 2, '0', 'tune-2', 1), ('972500000012', 1, '0', null, 0)`);
    const mid = oldAppMidTraining(oldDb.db);
    expect(await mid('972500000010')).toBe(true);
    expect(await mid('972500000011')).toBe(false);
    expect(await mid('972500000012')).toBe(false);
    expect(await mid('972500000099')).toBe(false);
  });
});
