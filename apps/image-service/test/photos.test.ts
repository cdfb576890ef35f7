import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@astria/db/testing';
import { ACCEPTED_INSPECTION } from '@astria/simulators/astria';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, type Harness, jpeg, photoMessage, startHarness } from './helpers.js';

const USER = '972501234567';

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

describe('photo intake', () => {
  let h: Harness;
  const names: Array<string | undefined> = [];
  beforeAll(async () => {
    h = await startHarness({
      astria: {
        inspect: (file) => {
          names.push(file.name);
          return ACCEPTED_INSPECTION;
        },
      },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('downloads in two steps, stores, inspects and publishes image_processed accepted', async () => {
    const { mediaId } = h.whatsapp.addMedia(await jpeg(1), 'image/jpeg');
    await h.publish('user_message_received', photoMessage(USER, 'wamid.accepted.1', mediaId));
    const [event] = await h.published('image_processed');
    expect(event?.data).toMatchObject({
      userId: USER,
      messageId: 'wamid.accepted.1',
      status: 'accepted',
      subjectClass: 'woman',
      characteristics: { eye_color: 'brown eyes', hair_color: 'dark brown hair', age: '30-40' },
    });
    expect(event?.data.reason).toBeUndefined();
    const stored = await files(h.blobDir);
    expect(stored).toHaveLength(1);
    expect(stored[0]).not.toContain(USER); // blob keys never show a phone number
    const inspect = h.astria.requests.filter((r) => r.route === 'POST /images/inspect');
    expect(inspect).toHaveLength(1);
    expect(names).toEqual(['person']); // no earlier accepted photo: the generic class
  });

  it('hints the class of the earlier accepted photos to inspect', async () => {
    const { mediaId } = h.whatsapp.addMedia(await jpeg(7), 'image/jpeg');
    await h.publish('user_message_received', photoMessage(USER, 'wamid.hint', mediaId));
    expect(names.at(-1)).toBe('woman');
  });

  it('the same event or the same message again changes nothing', async () => {
    const { mediaId } = h.whatsapp.addMedia(await jpeg(2), 'image/jpeg');
    await h.publish('user_message_received', photoMessage(USER, 'wamid.accepted.1', mediaId));
    expect(await h.published('image_processed')).toHaveLength(2);
    expect(await count(h.database, 'imaging.photos')).toBe(2);
  });

  it.each([
    [{ name: '' }, 'no_person'],
    [{ name: 'woman', wearing_sunglasses: true }, 'sunglasses'],
    [{ name: 'man', includes_multiple_people: true }, 'multiple_people'],
    [{ name: 'man', blurry: true }, 'blurry'],
    [{ name: 'woman', wearing_hat: true }, 'hat'],
    [{ name: 'woman', funny_face: true }, 'funny_face'],
  ])('rejects %o as %s and keeps no blob', async (inspection, reason) => {
    h.astria.setInspectResults([inspection]);
    const before = (await files(h.blobDir)).length;
    const { mediaId } = h.whatsapp.addMedia(await jpeg(3), 'image/jpeg');
    const messageId = `wamid.rejected.${reason}`;
    await h.publish('user_message_received', photoMessage(USER, messageId, mediaId));
    const events = await h.published('image_processed');
    expect(events.at(-1)?.data).toMatchObject({ messageId, status: 'rejected', reason });
    expect((await files(h.blobDir)).length).toBe(before);
  });

  it('expired media is a rejection with a code, never a retry loop', async () => {
    const { mediaId } = h.whatsapp.addMedia(await jpeg(4), 'image/jpeg');
    h.whatsapp.expireMedia(mediaId);
    await h.publish('user_message_received', photoMessage(USER, 'wamid.expired', mediaId));
    await h.publish('user_message_received', photoMessage(USER, 'wamid.missing', '999999'));
    const events = (await h.published('image_processed')).slice(-2);
    expect(events.map((e) => e.data.reason)).toEqual(['media_expired', 'media_expired']);
    expect(await count(h.database, 'imaging.dead_letters')).toBe(0);
  });

  it('a download URL that expired before it was used → a fresh one from GET /{media-id}: accepted', async () => {
    const { mediaId } = h.whatsapp.addMedia(await jpeg(5), 'image/jpeg');
    h.whatsapp.expireNextMediaUrls(2);
    await h.publish('user_message_received', photoMessage(USER, 'wamid.stale-url', mediaId));
    const event = (await h.published('image_processed')).find((e) => e.data.messageId === 'wamid.stale-url');
    expect(event?.data.status).toBe('accepted');
  });

  it('a failed download leaves no record that blocks the message delivered again: it is processed', async () => {
    const { mediaId } = h.whatsapp.addMedia(await jpeg(6), 'image/jpeg');
    h.whatsapp.expireMedia(mediaId);
    await h.publish('user_message_received', photoMessage(USER, 'wamid.redelivered', mediaId));
    const verdicts = async () =>
      (await h.published('image_processed'))
        .filter((e) => e.data.messageId === 'wamid.redelivered')
        .map((e) => e.data.reason ?? e.data.status);
    expect(await verdicts()).toEqual(['media_expired']);
    // The same message again (a redelivery or replay), its media fetchable now: processed, accepted.
    const fresh = h.whatsapp.addMedia(await jpeg(6), 'image/jpeg');
    await h.publish('user_message_received', photoMessage(USER, 'wamid.redelivered', fresh.mediaId));
    expect(await verdicts()).toEqual(['media_expired', 'accepted']);
    // A photo that was inspected and rejected is not processed again.
    await h.publish('user_message_received', photoMessage(USER, 'wamid.redelivered', fresh.mediaId));
    expect(await verdicts()).toEqual(['media_expired', 'accepted']);
  });

  it('rejects a file that is not an image as unreadable and an oversized one as too_large', async () => {
    const { mediaId: garbage } = h.whatsapp.addMedia(Buffer.from('not really a jpeg'), 'image/jpeg');
    await h.publish('user_message_received', photoMessage(USER, 'wamid.garbage', garbage));
    const big = h.whatsapp.addMedia(Buffer.alloc(11 * 1024 * 1024, 1), 'image/jpeg');
    await h.publish('user_message_received', photoMessage(USER, 'wamid.big', big.mediaId));
    const pdf = h.whatsapp.addMedia(Buffer.from('%PDF-1.4'), 'application/pdf');
    await h.publish('user_message_received', photoMessage(USER, 'wamid.pdf', pdf.mediaId));
    const events = (await h.published('image_processed')).slice(-3);
    expect(events.map((e) => e.data.reason)).toEqual(['unreadable', 'too_large', 'unsupported_type']);
  });

  it('ignores messages that are not training photos', async () => {
    const before = (await h.published()).length;
    await h.publish('user_message_received', {
      userId: USER,
      messageId: 'wamid.text',
      receivedAt: new Date().toISOString(),
      type: 'text',
      text: 'hello',
    });
    const { mediaId } = h.whatsapp.addMedia(await jpeg(5), 'image/jpeg');
    await h.publish('user_message_received', {
      ...photoMessage(USER, 'wamid.notraining', mediaId),
      trainingPhoto: false,
    });
    expect((await h.published()).length).toBe(before);
  });

  it('retries the event while Astria is down (5xx), then succeeds once it is back', async () => {
    h.astria.failNext('POST /images/inspect', 503, 3); // the client's three attempts of the first delivery
    const { mediaId } = h.whatsapp.addMedia(await jpeg(6), 'image/jpeg');
    await h.publish('user_message_received', photoMessage(USER, 'wamid.astria-down', mediaId));
    const events = await h.published('image_processed');
    expect(events.at(-1)?.data).toMatchObject({ messageId: 'wamid.astria-down', status: 'accepted' });
    expect(await count(h.database, 'imaging.photos', "message_id = 'wamid.astria-down'")).toBe(1);
  });

  it('counts photos by outcome and reason, and times download and inspect', async () => {
    const body = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(body).toMatch(/image_photos_total\{outcome="accepted",reason=""[^}]*\} 5/);
    expect(body).toMatch(/image_photos_total\{outcome="rejected",reason="sunglasses"[^}]*\} 1/);
    expect(body).toMatch(/image_photos_total\{outcome="rejected",reason="media_expired"[^}]*\} 3/);
    expect(body).toMatch(/image_photo_download_seconds_count\{[^}]*\} \d+/);
    expect(body).toMatch(/image_photo_inspect_seconds_count\{[^}]*\} \d+/);
  });

  it('gives up after the last attempt: rejected as unreadable (the user sends it again), nothing stuck', async () => {
    // 10 job attempts (EVENT_MAX_DELIVERY_COUNT) × 3 HTTP tries each.
    h.astria.failNext('POST /images/inspect', 503, 30);
    const { mediaId } = h.whatsapp.addMedia(await jpeg(8), 'image/jpeg');
    await h.publish('user_message_received', photoMessage(USER, 'wamid.given-up', mediaId));
    const event = (await h.published('image_processed')).find((e) => e.data.messageId === 'wamid.given-up');
    expect(event?.data).toMatchObject({ status: 'rejected', reason: 'unreadable' });
    expect(await count(h.database, 'imaging.photos', "message_id = 'wamid.given-up' and attempts = 10")).toBe(1);
    expect(await count(h.database, 'imaging.photos', 'blob_key is not null')).toBe((await files(h.blobDir)).length); // no orphaned blob
  });

  it("takes over a crashed worker's job once its lease has expired", async () => {
    const { mediaId } = h.whatsapp.addMedia(await jpeg(9), 'image/jpeg');
    await h.database.db.execute(sql`insert into imaging.photos
      (id, user_id, message_id, media_id, status, attempts, claimed_until)
      values ('00000000-0000-5000-a000-00000000c0de', ${USER}, 'wamid.crashed', ${mediaId}, 'pending', 1,
              now() - interval '1 minute')`);
    const event = await waitFor(
      async () => (await h.published('image_processed')).find((e) => e.data.messageId === 'wamid.crashed'),
      { what: 'the abandoned job to be processed', timeoutMs: 10_000 },
    );
    expect(event.data).toMatchObject({ status: 'accepted', photoId: '00000000-0000-5000-a000-00000000c0de' });
  });
});
