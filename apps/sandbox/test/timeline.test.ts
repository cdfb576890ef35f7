import { buildEnvelope, MemoryTransport, PermanentDeliveryError, type Subscriber } from '@astria/events';
import { describe, expect, it } from 'vitest';
import { EventTimeline, ObservedTransport, type TimelineEntry } from '../src/timeline.js';

function subscriber(deliver: Subscriber['deliver'], seen: string[]): Subscriber {
  return {
    subscription: 'message-service',
    service: 'message-service',
    types: ['image_processed'],
    maxDeliveryCount: 3,
    deliver,
    storeDeadLetter: async () => {},
    onOutcome: (info) => seen.push(info.outcome),
  };
}

const event = (key: string) => ({
  envelope: buildEnvelope(
    'image_processed',
    1,
    { userId: key },
    { source: 'image-service', key, correlationId: 'c-1' },
  ),
});

describe('ObservedTransport', () => {
  it('records each publish and every delivery outcome, and still tells the subscriber', async () => {
    const timeline = new EventTimeline();
    const live: TimelineEntry[] = [];
    timeline.subscribe((entry) => live.push(entry));
    const transport = new ObservedTransport(new MemoryTransport({ retry: { baseMs: 1, maxMs: 2 } }), timeline);
    const outcomes: string[] = [];
    let calls = 0;
    await transport.subscribe(
      subscriber(async () => {
        calls++;
        if (calls === 1) throw new Error('database busy');
        return 'handled';
      }, outcomes),
    );
    await transport.start();
    await transport.publish([event('user-1')]);

    expect(outcomes).toEqual(['retry', 'handled']);
    expect(live.map((e) => `${e.kind}:${e.outcome ?? ''}`)).toEqual([
      'published:',
      'delivered:retry',
      'delivered:handled',
    ]);
    const handled = live[2] as TimelineEntry;
    expect(handled).toMatchObject({
      type: 'image_processed',
      producer: 'image-service',
      consumer: 'message-service',
      key: 'user-1',
      deliveryCount: 2,
    });
    expect(handled.latencyMs).toBeGreaterThanOrEqual(0);
    expect(timeline.retries).toBe(1);
    await transport.stop(100);
  });

  it('counts dead letters', async () => {
    const timeline = new EventTimeline();
    const transport = new ObservedTransport(new MemoryTransport(), timeline);
    await transport.subscribe(
      subscriber(async () => {
        throw new PermanentDeliveryError('invalid_payload', 'bad');
      }, []),
    );
    await transport.start();
    await transport.publish([event('user-2')]);
    expect(timeline.deadLetters).toBe(1);
    expect(timeline.recent().at(-1)).toMatchObject({ outcome: 'dead_lettered', reason: 'invalid_payload' });
    await transport.stop(100);
  });

  it('keeps a bounded history', () => {
    const timeline = new EventTimeline(3);
    for (let i = 0; i < 5; i++) timeline.recordPublished(event(`u-${i}`));
    expect(timeline.recent().map((e) => e.key)).toEqual(['u-2', 'u-3', 'u-4']);
  });
});
