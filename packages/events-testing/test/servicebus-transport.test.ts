import { catalog, EVENT_TYPES, topicName } from '@astria/events';
import {
  listServiceBusDeadLetters,
  replayServiceBusDeadLetters,
  ServiceBusTransport,
  type SubscriptionRef,
} from '@astria/events/servicebus';
import { ServiceBusClient } from '@azure/service-bus';
import { AmqpTestPeer, declareCatalog, PEER_RETRY_OPTIONS } from '../src/amqp-peer/index.js';
import { describeTransportContract } from '../src/transport-contract.js';

/**
 * The transport contract through the real SDK over a real AMQP socket: against the local test peer
 * (a fresh one per test), or, when SERVICEBUS_TEST_CONNECTION_STRING is set (the CI job with the
 * official emulator, whose Config.json has the suite's extra subscription), against that namespace.
 */
const EXTERNAL = process.env.SERVICEBUS_TEST_CONNECTION_STRING;
const EXTRA = 'image-service-audit';

/** The (topic, subscription) pairs a subscription name has in the generated topology (+ the extra one). */
function entitiesOf(subscription: string): SubscriptionRef[] {
  return EVENT_TYPES.filter(
    (type) => subscription === EXTRA || (catalog[type].subscribers as readonly string[]).includes(subscription),
  ).map((type) => ({ topic: topicName(type), subscription }));
}

/** Empties the namespace's subscriptions and dead-letter queues (the emulator keeps them between tests). */
async function purge(connectionString: string): Promise<void> {
  const client = new ServiceBusClient(connectionString, {
    retryOptions: { ...PEER_RETRY_OPTIONS, maxRetries: 1, timeoutInMs: 1000 },
  });
  try {
    for (const type of EVENT_TYPES) {
      for (const subscription of [...catalog[type].subscribers, EXTRA]) {
        const topic = topicName(type);
        const dlq = client.createReceiver(topic, subscription, {
          subQueueType: 'deadLetter',
          receiveMode: 'receiveAndDelete',
        });
        while ((await dlq.receiveMessages(100, { maxWaitTimeInMs: 200 })).length > 0) {}
        await dlq.close();
        if (!catalog[type].ordered) {
          const active = client.createReceiver(topic, subscription, { receiveMode: 'receiveAndDelete' });
          while ((await active.receiveMessages(100, { maxWaitTimeInMs: 200 })).length > 0) {}
          await active.close();
          continue;
        }
        for (;;) {
          const session = await client
            .acceptNextSession(topic, subscription, { receiveMode: 'receiveAndDelete' })
            .catch(() => null);
          if (!session) break;
          while ((await session.receiveMessages(100, { maxWaitTimeInMs: 200 })).length > 0) {}
          await session.close();
        }
      }
    }
  } finally {
    await client.close();
  }
}

describeTransportContract(
  EXTERNAL ? 'servicebus (SDK over AMQP to the emulator)' : 'servicebus (SDK over AMQP to the local peer)',
  async (_database, settings) => {
    let peer: AmqpTestPeer | null = null;
    let connectionString: string;
    if (EXTERNAL) {
      connectionString = EXTERNAL;
      await purge(connectionString);
    } else {
      peer = await AmqpTestPeer.start({ sessionWaitMs: 1000 });
      declareCatalog(peer, { maxDeliveryCount: settings.maxDeliveryCount, extraSubscriptions: [EXTRA] });
      connectionString = peer.connectionString;
    }
    const transport = new ServiceBusTransport({
      connectionString,
      retry: { baseMs: settings.retryBaseMs, maxMs: 200 },
      sessionIdleMs: 200,
      maxConcurrentSessions: 4,
      retryOptions: PEER_RETRY_OPTIONS,
    });
    // Only the dead-letter queues that hold something (on the peer, where that can be seen without a round trip).
    const withLetters = (subscription: string) =>
      entitiesOf(subscription).filter(
        (e) => !peer || peer.depth(`${e.topic}/Subscriptions/${e.subscription}/$deadletterqueue`) > 0,
      );
    return {
      transport,
      async deadLetters(subscription) {
        const letters = await listServiceBusDeadLetters(transport.client, withLetters(subscription));
        return letters.map((l) => ({ eventId: l.eventId, reason: l.reason, lastError: l.lastError }));
      },
      async replay(subscription, eventId) {
        for (const entity of withLetters(subscription)) {
          await replayServiceBusDeadLetters(transport.client, entity, (l) => l.eventId === eventId, {
            maxWaitTimeInMs: 200,
          });
        }
      },
      async close() {
        await transport.close(2000);
        await peer?.close();
      },
    };
  },
);
