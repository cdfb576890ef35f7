export { Broker, MessageQueue, type StoredMessage, Topic } from './broker.js';
export { AmqpTestPeer, type AmqpTestPeerOptions, type PeerSubscriptionOptions } from './server.js';
export { declareCatalog, PEER_RETRY_OPTIONS } from './topology.js';
