import { waitFor } from '@astria/db/testing';
import type { OutboundMessage } from '@astria/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from './harness.js';

const INTERVAL_MS = 60;
const BURST = 4;

/**
 * WhatsApp's per-user pair rate (131056) through the real sender (PGlite, or PostgreSQL with
 * DATABASE_URL): the simulator enforces a pair rate of one per 50 ms after a burst of 5; the service
 * paces each user at one per 60 ms after 4, and other users are not held back.
 */
describe('pair rate: one user paced, others unaffected', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await createHarness(
      { WHATSAPP_PAIR_INTERVAL_MS: String(INTERVAL_MS), WHATSAPP_PAIR_BURST: String(BURST) },
      undefined,
      { pairRate: { intervalMs: 50, burst: 5 } },
    );
    await h.startEvents();
  });
  afterAll(async () => {
    await h.close();
  });

  const send = (to: string, messages: OutboundMessage[]) => h.requestSends(to, messages);
  const sentTo = (to: string) => h.sim.sent.filter((m) => m.to === to);

  it('a burst of 40 images to one user goes out in order under the pair limit while another user is answered at once', async () => {
    const busy = '15550188001';
    const other = '15550188002';
    const links = Array.from({ length: 40 }, (_, i) => `https://cdn.example.com/p${i}.jpg`);
    const started = Date.now();
    const burst = send(
      busy,
      links.map((link) => ({ kind: 'image', link })),
    );
    await waitFor(() => sentTo(busy).length >= BURST + 1, { timeoutMs: 10_000, what: 'the burst under way' });
    const asked = Date.now();
    const answered = send(
      other,
      [1, 2, 3].map((i) => ({ kind: 'text', body: `other ${i}` })),
    );
    await waitFor(() => sentTo(other).length === 3, { timeoutMs: 10_000, what: "the other user's messages" });
    const otherDone = Date.now();
    // The other user waited neither for the busy user's burst nor longer than its own burst allows.
    expect(sentTo(busy).length).toBeLessThan(40);
    expect(otherDone - asked).toBeLessThan(1000);

    await Promise.all([burst, answered]);
    expect(sentTo(busy).map((m) => (m.payload.image as { link: string }).link)).toEqual(links);
    expect(h.sim.rejected.filter((r) => r.code === 131056)).toEqual([]);
    // Paced, not just lucky: after the burst, one per interval.
    const times = sentTo(busy).map((m) => m.at.getTime());
    expect((times.at(-1) as number) - (times[0] as number)).toBeGreaterThanOrEqual((40 - BURST) * INTERVAL_MS * 0.9);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('a 131056 backs off that user only: the other user is served meanwhile, the held message follows', async () => {
    const limited = '15550188003';
    const other = '15550188004';
    h.sim.failFor(limited, { status: 400, code: 131056, message: '(#131056) pair rate limit hit' });
    const held = send(limited, [
      { kind: 'text', body: 'limited 1' },
      { kind: 'text', body: 'limited 2' },
    ]);
    await waitFor(
      async () =>
        (await h.registry.getSingleMetricAsString('whatsapp_send_retries_total')).includes('131056') ? true : null,
      { timeoutMs: 10_000, what: 'a 131056 retried' },
    );
    await send(other, [{ kind: 'text', body: 'other' }]);
    expect(sentTo(limited)).toEqual([]);
    h.sim.failFor(limited, null);
    await held;
    expect(sentTo(limited).map((m) => (m.payload.text as { body: string }).body)).toEqual(['limited 1', 'limited 2']);
  });
});
