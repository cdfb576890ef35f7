import type { SharedConfig } from '@astria/config';
import { waitFor } from '@astria/db/testing';
import type { Subscriber } from '@astria/events';
import { buildEnvelope, createTransport, MemoryTransport } from '@astria/events';
import { runServiceBusDeadLetterCommand, ServiceBusTransport } from '@astria/events/servicebus';
import { ServiceBusClient } from '@azure/service-bus';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AmqpTestPeer, declareCatalog, PEER_RETRY_OPTIONS } from '../src/amqp-peer/index.js';

const TOPIC = 'events-user_message_received';
const SUB = `${TOPIC}/Subscriptions/image-service`;

function envelope(n: number, key = 'u1') {
  return buildEnvelope(
    'user_message_received',
    1,
    { userId: key, messageId: `wamid.peer.${n}`, receivedAt: new Date().toISOString(), type: 'text', text: `m ${n}` },
    { source: 'message-service', key },
  );
}

describe('the AMQP test peer speaks what the SDK uses', () => {
  let peer: AmqpTestPeer;
  let client: ServiceBusClient;

  beforeEach(async () => {
    peer = await AmqpTestPeer.start({ sessionWaitMs: 300, lockDurationMs: 1000 });
    declareCatalog(peer, { maxDeliveryCount: 3 });
    client = new ServiceBusClient(peer.connectionString, { retryOptions: PEER_RETRY_OPTIONS });
  });

  afterEach(async () => {
    await client.close();
    await peer.close();
  });

  it('createTransport loads the Service Bus transport only for EVENT_TRANSPORT=servicebus', async () => {
    const shared = { EVENT_RETRY_BASE_MS: 5, EVENT_RETRY_MAX_MS: 20 };
    const memory = await createTransport({ ...shared, EVENT_TRANSPORT: 'memory' } as SharedConfig);
    expect(memory).toBeInstanceOf(MemoryTransport);
    const transport = await createTransport({
      ...shared,
      EVENT_TRANSPORT: 'servicebus',
      SERVICEBUS_CONNECTION_STRING: peer.connectionString,
    } as SharedConfig);
    expect(transport).toBeInstanceOf(ServiceBusTransport);
    await transport.publish([{ envelope: envelope(1) }]);
    expect(peer.depth(SUB)).toBe(1);
    await transport.stop();
    await (transport as ServiceBusTransport).client.close();
  });

  it('drops a duplicate messageId within the detection window', async () => {
    const sender = client.createSender(TOPIC);
    await sender.sendMessages({ body: 'a', messageId: 'same', sessionId: 'k' });
    await sender.sendMessages({ body: 'a', messageId: 'same', sessionId: 'k' });
    expect(peer.depth(SUB)).toBe(1);
    expect(peer.broker.stats.duplicatesDropped).toBe(1);
    await sender.close();
  });

  it('holds scheduled messages until their time', async () => {
    const sender = client.createSender(TOPIC);
    const due = Date.now() + 1200;
    const [sequence] = await sender.scheduleMessages(
      { body: 'later', messageId: 'sched', sessionId: 'k' },
      new Date(due),
    );
    expect(sequence).toBeDefined();
    const receiver = await client.acceptNextSession(TOPIC, 'image-service').catch((e: unknown) => e);
    expect((receiver as { code?: string }).code).toMatch(/ServiceTimeout|SessionCannotBeLocked/);
    const later = await waitFor(() => client.acceptNextSession(TOPIC, 'image-service').catch(() => null), {
      what: 'the session of the scheduled message',
    });
    const [message] = await later.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(message?.body).toBe('later');
    expect(Date.now()).toBeGreaterThanOrEqual(due);
    await later.completeMessage(message as NonNullable<typeof message>);
    await later.close();
    await sender.close();
  });

  it('renews message locks, counts deliveries and dead-letters past the max', async () => {
    const sender = client.createSender('events-pack_images_updated');
    await sender.sendMessages({ body: 'x', messageId: 'p1' });
    const receiver = client.createReceiver('events-pack_images_updated', 'message-service');
    const [first] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    if (!first) throw new Error('no message');
    expect(first.deliveryCount).toBe(0);
    const until = await receiver.renewMessageLock(first);
    expect(until.getTime()).toBeGreaterThan(Date.now());
    await receiver.abandonMessage(first);
    const [second] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2000 });
    expect(second?.deliveryCount).toBe(1);
    await receiver.deadLetterMessage(second as NonNullable<typeof second>, {
      deadLetterReason: 'why',
      deadLetterErrorDescription: 'because',
    });
    const dlq = client.createReceiver('events-pack_images_updated', 'message-service', { subQueueType: 'deadLetter' });
    const [letter] = await dlq.peekMessages(10);
    expect(letter).toMatchObject({ messageId: 'p1', deadLetterReason: 'why', deadLetterErrorDescription: 'because' });
    await Promise.all([dlq.close(), receiver.close(), sender.close()]);
  });

  it('keeps the locks of a handler that outlives them (session and plain message locks are renewed)', async () => {
    const transport = new ServiceBusTransport({
      connectionString: peer.connectionString,
      retry: { baseMs: 5, maxMs: 20 },
      sessionIdleMs: 100,
      retryOptions: PEER_RETRY_OPTIONS,
    });
    const attempts: number[] = [];
    await transport.subscribe({
      subscription: 'message-service',
      service: 'message-service',
      types: ['image_processed', 'pack_images_updated'],
      maxDeliveryCount: 5,
      async deliver(_raw, deliveryCount) {
        attempts.push(deliveryCount);
        // Slower than the 1 s lock on purpose: only renewal keeps the message from coming back.
        await new Promise((resolve) => setTimeout(resolve, 2500));
        return 'handled';
      },
      async storeDeadLetter() {},
    });
    await transport.start();
    const ordered = buildEnvelope(
      'image_processed',
      1,
      { userId: 'u1', photoId: 'p1', status: 'accepted' },
      { source: 'image-service', key: 'u1' },
    );
    const plain = buildEnvelope(
      'pack_images_updated',
      1,
      { packId: 1, subjectClass: 'man', url: 'https://example.com/p.mp4' },
      { source: 'image-service' },
    );
    await transport.publish([{ envelope: ordered }, { envelope: plain }]);
    await waitFor(
      () =>
        peer.depth('events-image_processed/Subscriptions/message-service') === 0 &&
        peer.depth('events-pack_images_updated/Subscriptions/message-service') === 0,
      { what: 'both messages completed', timeoutMs: 10_000 },
    );
    expect(attempts).toEqual([1, 1]);
    expect(peer.stats.managementRequests).toBeGreaterThan(0);
    await transport.close(1000);
  });

  it('lists and replays dead letters through the CLI command', async () => {
    const transport = new ServiceBusTransport({
      connectionString: peer.connectionString,
      retry: { baseMs: 5, maxMs: 20 },
      sessionIdleMs: 100,
      retryOptions: PEER_RETRY_OPTIONS,
    });
    let fail = true;
    const handled: string[] = [];
    const subscriber: Subscriber = {
      subscription: 'image-service',
      service: 'image-service',
      types: ['user_message_received'],
      maxDeliveryCount: 2,
      async deliver(raw) {
        if (fail) throw new Error('broken handler');
        handled.push((raw as { id: string }).id);
        return 'handled';
      },
      async storeDeadLetter() {
        throw new Error('not used on Service Bus');
      },
    };
    await transport.subscribe(subscriber);
    await transport.start();
    const event = envelope(1);
    await transport.publish([{ envelope: event }]);
    await waitFor(() => peer.depth(`${SUB}/$deadletterqueue`) === 1, { what: 'the dead letter' });

    const out: string[] = [];
    const console = { log: (line: string) => out.push(line), error: (line: string) => out.push(line) };
    const config = { SERVICEBUS_CONNECTION_STRING: peer.connectionString } as SharedConfig;
    const cli = () => new ServiceBusClient(peer.connectionString, { retryOptions: PEER_RETRY_OPTIONS });
    expect(await runServiceBusDeadLetterCommand(config, 'list', [], console, cli())).toBe(0);
    const line = out.find((l) => l.includes(event.id)) as string;
    expect(line).toContain('max_delivery_count_exceeded');
    expect(line).toContain('broken handler');
    const ref = line.split(/\s+/)[0] as string;
    expect(ref).toMatch(/^events-user_message_received\/image-service#\d+$/);

    fail = false;
    expect(await runServiceBusDeadLetterCommand(config, 'replay', [ref], console, cli())).toBe(0);
    await waitFor(() => handled.includes(event.id), { what: 'the replayed event' });
    expect(peer.depth(`${SUB}/$deadletterqueue`)).toBe(0);
    expect(await runServiceBusDeadLetterCommand(config, 'replay', [ref], console, cli())).toBe(1);

    expect(await transport.health()).toEqual({ ok: true });
    await transport.stop(1000);
    expect((await transport.health()).ok).toBe(false);
    await transport.close(1000);
  });

  it('reports unhealthy when the namespace is unreachable', async () => {
    const transport = new ServiceBusTransport({
      connectionString: peer.connectionString,
      retry: { baseMs: 5, maxMs: 20 },
      retryOptions: { ...PEER_RETRY_OPTIONS, maxRetries: 0, timeoutInMs: 500 },
    });
    expect(await transport.health()).toEqual({ ok: true });
    await peer.close();
    await transport.publish([{ envelope: envelope(2) }]).catch(() => {});
    await transport.publish([{ envelope: envelope(3) }]).catch(() => {});
    await transport.publish([{ envelope: envelope(4) }]).catch(() => {});
    const health = await transport.health();
    expect(health.ok).toBe(false);
    expect(health.detail).toMatch(/service bus/);
    await transport.close(500);
  });
});
