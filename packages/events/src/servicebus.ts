/**
 * The Azure Service Bus transport and its dead-letter commands, apart from the package's main entry:
 * @azure/service-bus and @azure/identity (with MSAL, AMQP and their HTTP pipeline, some 700 modules)
 * load only where Service Bus is used (`createTransport` imports the transport when EVENT_TRANSPORT=servicebus),
 * so a service on the memory transport starts without them.
 */
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
