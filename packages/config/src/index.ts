export * as fields from './fields.js';
export {
  CONFIG_EXIT,
  ConfigError,
  type ConfigProblem,
  type Env,
  loadCommandConfig,
  loadConfig,
  loadDotEnvFile,
} from './load-config.js';
export { redactConfig, SECRET_VARIABLES } from './secrets.js';
export { type ImageServiceConfig, imageServiceConfigSchema } from './services/image-service.js';
export {
  astriaNeededBy,
  type MaintenanceCommandName,
  type MaintenanceServiceConfig,
  maintenanceCommandConfigSchema,
  maintenanceServiceConfigSchema,
} from './services/maintenance-service.js';
export {
  type MessageServiceConfig,
  messageServiceConfigSchema,
  type WhatsAppTemplatesCommandConfig,
  whatsappTemplatesCommandConfigSchema,
} from './services/message-service.js';
export { type PaymentServiceConfig, paymentServiceConfigSchema } from './services/payment-service.js';
export {
  requireTransportSettings,
  type SharedConfig,
  sharedConfigSchema,
  sharedConfigShape,
} from './services/shared.js';
