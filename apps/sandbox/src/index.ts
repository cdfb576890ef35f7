export { type ChatMessage, type ChatSnapshot, ChatStore, fromGraphSend } from './chat.js';
export { type SandboxConfig, sandboxConfigSchema } from './config.js';
export { buildPageServer, type PageServerOptions } from './page-server.js';
export { EPHEMERAL_PORTS } from './ports.js';
export { SAMPLES } from './samples.js';
export {
  type ComposedService,
  type PortName,
  type Sandbox,
  type StartSandboxOptions,
  startSandbox,
  type UserActions,
  WEBHOOK_PATHS,
} from './sandbox.js';
export { buildServiceEnv, SANDBOX_SECRETS, type SandboxUrls, SERVICE_SPECS } from './services.js';
export { EventTimeline, ObservedTransport, type TimelineEntry } from './timeline.js';
