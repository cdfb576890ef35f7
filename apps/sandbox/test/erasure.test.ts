import { queryRows } from '@astria/db';
import { userHashOf } from '@astria/events';
import { verifyErasures } from '@astria/message-service/maintenance';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../src/chat.js';
import type { Sandbox } from '../src/sandbox.js';
import {
  botMessages,
  choiceIds,
  hasChoice,
  startTestSandbox,
  type TestSandbox,
  waitFor,
  waitForBot,
} from './helpers.js';

/**
 * "Delete my data" across every service (PGlite, or PostgreSQL with DATABASE_URL): a user who trained a
 * model, paid, got portraits and gave feedback erases everything; then the maintenance check finds nothing
 * of them in any table of any service schema, while the same check does find a user who was not erased.
 */
describe('erasure leaves nothing personal (checked over every table)', () => {
  let harness: TestSandbox;
  let sandbox: Sandbox;
  const phone = '972501110077';
  const other = '972501110078';

  beforeAll(async () => {
    harness = await startTestSandbox();
    sandbox = harness.sandbox;
  });
  afterAll(async () => {
    await harness?.close();
  });

  const bot = (what: string, predicate: (m: ChatMessage) => boolean, after = 0, timeoutMs = 20_000) =>
    waitForBot(sandbox, phone, what, predicate, { after, timeoutMs });
  const rows = (statement: ReturnType<typeof sql>) =>
    queryRows<Record<string, unknown>>(sandbox.database.db, statement);
  const settled = () =>
    waitFor(async () => (await sandbox.pendingEvents()) === 0, { what: 'every event settled', timeoutMs: 20_000 });

  it('photos, payment, portraits, feedback → Delete my data → confirmed → nothing of the user remains', async () => {
    const { user } = sandbox;
    await user.text(other, 'hello', 'Someone Else');
    await user.text(phone, 'hello', 'Dana Levi');
    await bot('the welcome menu', hasChoice('menu:erase'));
    await user.listReply(phone, 'menu:begin', 'Begin');
    await bot('the photo guidelines', hasChoice('photos:ready'));
    for (const sample of ['selfie-1.jpg', 'selfie-2.jpg', 'selfie-3.jpg', 'selfie-4.jpg'])
      await user.sample(phone, sample);
    await bot('the "what next" menu', hasChoice('photos:done'));
    let seen = botMessages(sandbox, phone).length;
    await user.listReply(phone, 'photos:done', 'Done');
    await bot('the tier menu', hasChoice('tier:lite'), seen);
    seen = botMessages(sandbox, phone).length;
    await user.listReply(phone, 'tier:lite', 'Lite');
    const pack = await bot('a lite pack', (m) => choiceIds(m).some((id) => id.startsWith('pack:')), seen);
    const packId = choiceIds(pack)
      .find((id) => id.startsWith('pack:'))
      ?.slice('pack:'.length) as string;
    await user.button(phone, `pack:${packId}`, 'I want this');
    await bot('the AI disclaimer', hasChoice(`agree:${packId}`));
    await user.button(phone, `agree:${packId}`, 'I agree');
    const link = await bot('the payment link', (m) => m.kind === 'cta');
    seen = botMessages(sandbox, phone).length;
    const linkUrl = new URL(link.cta?.url as string);
    await fetch(new URL(linkUrl.pathname, linkUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        tier: linkUrl.searchParams.get('tier') ?? '',
        phone: linkUrl.searchParams.get('phone') ?? '',
        name: 'Dana Levi',
      }),
    });
    await bot('the rating list', hasChoice('rate:2'), seen);
    seen = botMessages(sandbox, phone).length;
    await user.listReply(phone, 'rate:2', '★★');
    await bot('the question about what to improve', (m) => m.kind === 'text', seen);
    seen = botMessages(sandbox, phone).length;
    await user.text(phone, 'The lighting looks too orange');
    await bot('thanks for the feedback', (m) => m.kind === 'text', seen);
    await settled();
    const [tune] = await rows(sql`select tune_id from imaging.tunes where user_id = ${phone}`);
    const tuneId = Number(tune?.tune_id);
    expect(sandbox.astria?.tunes.get(tuneId)?.deleted).toBe(false);

    // "Delete my data" from the menu → the confirmation buttons → Yes.
    seen = botMessages(sandbox, phone).length;
    await user.listReply(phone, 'menu:erase', 'Delete my data');
    await bot('the confirmation buttons', hasChoice('erase:confirm'), seen);
    seen = botMessages(sandbox, phone).length;
    await user.button(phone, 'erase:confirm', 'Yes, delete it');
    await bot('"your data has been erased"', (m) => m.kind === 'text', seen);
    await waitFor(async () => (await rows(sql`select 1 from imaging.erasures where status = 'done'`)).length === 1, {
      what: 'the image service erasure',
      timeoutMs: 20_000,
    });
    await settled();

    expect(sandbox.astria?.tunes.get(tuneId)?.deleted).toBe(true);
    const [audit] = await rows(sql`select user_hash, counts, payment_hashes from messaging.erasures`);
    expect(audit?.user_hash).toBe(userHashOf(phone));
    expect(JSON.stringify(audit)).not.toContain(phone);
    expect(audit?.counts).toMatchObject({ conversations: 1, feedback: 2 });
    // The payment stays only as what prevents a double payment.
    const [payment] = await rows(sql`select user_id, name, raw_payload, provider_payment_id from payments.payments`);
    expect(payment).toMatchObject({ user_id: null, name: null, raw_payload: {} });
    expect(payment?.provider_payment_id).toEqual(expect.any(String));

    // The maintenance check, over every table of every schema: the erased user is gone…
    expect(await verifyErasures(sandbox.database)).toEqual({ verified: 1, failing: 0, leftovers: {} });
    expect((await rows(sql`select verified_at from messaging.erasures`))[0]?.verified_at).not.toBeNull();
    // A status Meta reports after the erasure, for a message sent before it, is dropped (its wamid encodes
    // the number): nothing holds the user, whenever written — checked with a probe erasure dated after all.
    await user.read(phone, link.id); // returns once the message service answered the status webhook
    expect(await rows(sql`select 1 from messaging.message_statuses where wamid = ${link.id}`)).toEqual([]);
    await settled();
    await sandbox.database.db.execute(
      sql`insert into messaging.erasures (user_hash, erased_at) values (${userHashOf(phone)}, now() + interval '1 minute')`,
    );
    const late = await verifyErasures(sandbox.database, { dryRun: true });
    // Only what the erasure itself caused holds the number: its confirmation ("your data has been erased",
    // the read mark), published events in the outbox until their retention ends.
    expect(late?.leftovers).toEqual({ 'messaging.outbox': expect.any(Number) });
    const confirmation = await rows(
      sql`select type from messaging.outbox where key = ${phone}
            and created_at >= (select erased_at from messaging.erasures where verified_at is not null)`,
    );
    expect(confirmation.map((r) => r.type)).toEqual(
      Array.from({ length: late?.leftovers['messaging.outbox'] ?? 0 }, () => 'whatsapp_send_requested'),
    );
    await sandbox.database.db.execute(sql`delete from messaging.erasures where verified_at is null`);

    // …and the same check finds a user who was not erased (its conversation, inbound messages, sends…).
    await sandbox.database.db.execute(
      sql`insert into messaging.erasures (user_hash, erased_at) values (${userHashOf(other)}, now() + interval '1 minute')`,
    );
    const check = await verifyErasures(sandbox.database, { dryRun: true });
    expect(check?.failing).toBe(1);
    expect(check?.leftovers).toMatchObject({
      'messaging.conversations': 1,
      'messaging.inbound_messages': 1,
      'messaging.outbound_messages': expect.any(Number),
    });
  });
});
