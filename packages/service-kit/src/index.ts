// The vocabulary every package and service speaks. Depends on nothing of ours.
export type { ZodTypeProvider } from 'fastify-type-provider-zod';
export { errorResponseSchema } from './error-response.js';
export {
  HttpError,
  httpRetryPolicy,
  isRetryable,
  NetworkError,
  parseRetryAfter,
  type RequestOptions,
  request,
  retryAfterOf,
} from './http-client.js';
export { createLogger, type Logger, loggerOptions, silentLogger } from './logger.js';
export { errorsPlugin } from './plugins/errors.js';
export { type HealthCheck, type HealthOptions, type HealthStatus, healthPlugin } from './plugins/health.js';
export { metricsPlugin, secondsBuckets } from './plugins/metrics.js';
export { acceptRawBodies, parseJson } from './plugins/raw-body.js';
export { maskPhone, redactUrl } from './redaction.js';
export { type BackoffPolicy, backoffDelay, type RetryPolicy, type RetrySchedule, withRetry } from './retry.js';
export { hmacSha256Hex, safeEqual, verifySha256Signature } from './signatures.js';
export {
  boundedJson,
  hasControlCharacters,
  type JsonBounds,
  sanitizeText,
  storableId,
  storableString,
  type TextProblem,
  textProblem,
} from './storable.js';
