import { catalog, EVENT_TYPES, topicName } from '@astria/events';
import { RetryMode, type RetryOptions } from '@azure/service-bus';
import type { AmqpTestPeer } from './server.js';

/**
 * Declares the catalog's topics and subscriptions on the peer (sessions where ordered), plus any
 * extra subscriptions a test adds on every topic. The broker's max delivery count is a backstop
 * above the transport's own: the transport dead-letters with its reason first.
 */
export function declareCatalog(
  peer: AmqpTestPeer,
  options: { maxDeliveryCount?: number; extraSubscriptions?: readonly string[] } = {},
): void {
  const maxDeliveryCount = (options.maxDeliveryCount ?? 10) + 2;
  for (const type of EVENT_TYPES) {
    const definition = catalog[type];
    for (const subscription of [...definition.subscribers, ...(options.extraSubscriptions ?? [])]) {
      peer.declareSubscription(topicName(type), subscription, {
        requiresSession: definition.ordered,
        maxDeliveryCount,
      });
    }
  }
}

/** SDK retry options for tests and benchmarks against the local peer: quick retries, short timeouts. */
export const PEER_RETRY_OPTIONS: RetryOptions = {
  maxRetries: 5,
  retryDelayInMs: 50,
  maxRetryDelayInMs: 500,
  mode: RetryMode.Exponential,
  timeoutInMs: 5000,
};
