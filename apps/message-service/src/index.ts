export { normalizeUserId } from '@astria/events';
export { type MessageServiceAppOptions, messageServiceApp, WEBHOOK_BODY_LIMIT } from './app.js';
export { COPY } from './conversation/copy.js';
export { needsPacks, packsOfTier, paymentLinkFor, runConversation, tierOfSlug } from './conversation/engine.js';
export { decodeReplyId, encodeReplyId, type ReplyId } from './conversation/reply-ids.js';
export type { Transition } from './conversation/transitions.js';
export * from './conversation/types.js';
export { GraphApiError, GraphClient, PERMANENT_CODES, RETRYABLE_CODES } from './graph/client.js';
export { toGraphPayload } from './graph/payload.js';
export { Throttle } from './graph/throttle.js';
export { engineConfigFrom, type IngestResult, Turns, WebhookIngest } from './ingest.js';
export { type MessageMetrics, registerMessageMetrics } from './metrics.js';
export { AstriaApiError, PacksClient } from './packs.js';
export { SendLimiter, type SendLimiterOptions } from './send-limiter.js';
export { whatsappSender } from './sender.js';
export {
  type InboundMessage,
  NotAWhatsAppNotification,
  type ParsedNotification,
  parseNotification,
  type StatusUpdate,
} from './webhook/notification.js';
