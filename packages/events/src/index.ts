export * from './catalog.js';
export * from './consumer.js';
export * from './dead-letters.js';
export * from './envelope.js';
export { type GroupCommitLimits, groupCommit } from './group-commit.js';
export * from './metrics.js';
export * from './outbox.js';
export type { OutboundMessage, PhotoRejectionReason, Tier } from './payloads.js';
export * as payloads from './payloads.js';
export * from './relay.js';
export * from './runtime.js';
export * from './transport.js';
export * from './transport-factory.js';
export { MemoryTransport, type MemoryTransportOptions } from './transports/memory.js';
export {
  createServiceBusTransport,
  ServiceBusTransport,
  type ServiceBusTransportOptions,
} from './transports/servicebus.js';
export {
  catalogSubscriptions,
  listServiceBusDeadLetters,
  replayServiceBusDeadLetters,
  runServiceBusDeadLetterCommand,
  type ServiceBusDeadLetter,
  type SubscriptionRef,
} from './transports/servicebus-dlq.js';
export { normalizeUserId, userHashOf } from './user-id.js';
