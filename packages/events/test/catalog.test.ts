import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withCatalog } from '../src/docs/catalog-markdown.js';
import { catalog, EVENT_TYPES, subscriptionsOf, topicName } from '../src/index.js';

describe('event catalog', () => {
  it('names a producer and at least one subscriber for every event', () => {
    for (const type of EVENT_TYPES) {
      expect(catalog[type].producer).toBeTruthy();
      expect(catalog[type].subscribers.length).toBeGreaterThan(0);
      expect(topicName(type)).toBe(`events-${type}`);
    }
    expect(subscriptionsOf('image-service').sort()).toEqual([
      'training_requested',
      'user_data_erased',
      'user_message_received',
    ]);
  });

  it("orders every user event by key (the pack previews and the operators' ping concern no user; an erasure names the user by hash and needs no order)", () => {
    const unkeyed = ['pack_images_updated', 'ops_ping', 'user_data_erased'];
    for (const type of EVENT_TYPES) expect(catalog[type].ordered, type).toBe(!unkeyed.includes(type));
  });

  it('tolerates unknown fields in payloads (forward compatibility)', () => {
    const parsed = catalog.payment_received.schema.parse({
      provider: 'sumit',
      paymentId: '1',
      userId: '972501234567',
      tier: 'lite',
      amount: 49,
      currency: 'ILS',
      name: null,
      addedLater: true,
    });
    expect(parsed).toMatchObject({ addedLater: true });
  });

  it("keeps WhatsApp's limits in the outbound message schema", () => {
    const send = catalog.whatsapp_send_requested.schema;
    const rows = Array.from({ length: 11 }, (_, i) => ({ id: `r:${i}`, title: `Row ${i}` }));
    expect(
      send.safeParse({ to: 'u', message: { kind: 'list', body: 'b', button: 'Open', sections: [{ rows }] } }).success,
    ).toBe(false);
    expect(
      send.safeParse({
        to: 'u',
        message: { kind: 'buttons', body: 'b', buttons: [{ id: 'x', title: 'A title longer than twenty' }] },
      }).success,
    ).toBe(false);
    expect(send.safeParse({ to: 'u', message: { kind: 'text', body: 'hello' } }).success).toBe(true);
  });

  it('docs/events.md shows the current catalog (run `pnpm --filter @astria/events docs:generate`)', () => {
    const doc = readFileSync(new URL('../../../docs/events.md', import.meta.url), 'utf8');
    expect(doc).toBe(withCatalog(doc));
  });
});
