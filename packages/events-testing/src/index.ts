export * from './amqp-peer/index.js';
export {
  type ContractDeadLetter,
  type ContractHarness,
  type ContractSettings,
  describeTransportContract,
  type HarnessFactory,
} from './transport-contract.js';
