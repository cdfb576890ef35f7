import { EVENT_TYPES, topicName } from '../src/catalog.js';
import { AmqpTestPeer, declareCatalog, PEER_RETRY_OPTIONS } from '../src/testing/amqp-peer/index.js';
import { describeTransportContract } from '../src/testing/transport-contract.js';
import { ServiceBusTransport } from '../src/transports/servicebus.js';
import { listServiceBusDeadLetters, replayServiceBusDeadLetters } from '../src/transports/servicebus-dlq.js';

describeTransportContract('servicebus (SDK over AMQP to the local peer)', async (_database, settings) => {
  const peer = await AmqpTestPeer.start({ sessionWaitMs: 1000 });
  declareCatalog(peer, { maxDeliveryCount: settings.maxDeliveryCount, extraSubscriptions: ['image-service-audit'] });
  const transport = new ServiceBusTransport({
    connectionString: peer.connectionString,
    retry: { baseMs: settings.retryBaseMs, maxMs: 200 },
    sessionIdleMs: 200,
    maxConcurrentSessions: 4,
    retryOptions: PEER_RETRY_OPTIONS,
  });
  // The subscription's entities that exist on the peer (the suite's extra subscription is on every topic).
  const entities = (subscription: string) =>
    EVENT_TYPES.map((type) => ({ topic: topicName(type), subscription })).filter((e) =>
      peer.broker.queue(`${e.topic}/Subscriptions/${e.subscription}`),
    );
  return {
    transport,
    async deadLetters(subscription) {
      const letters = await listServiceBusDeadLetters(transport.client, entities(subscription));
      return letters.map((l) => ({ eventId: l.eventId, reason: l.reason, lastError: l.lastError }));
    },
    async replay(subscription, eventId) {
      for (const entity of entities(subscription)) {
        if (peer.depth(`${entity.topic}/Subscriptions/${entity.subscription}/$deadletterqueue`) === 0) continue;
        await replayServiceBusDeadLetters(transport.client, entity, (l) => l.eventId === eventId, {
          maxWaitTimeInMs: 200,
        });
      }
    },
    async close() {
      await transport.close(2000);
      await peer.close();
    },
  };
});
