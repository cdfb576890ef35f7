export { createService, type ServiceDependencies } from './create-service.js';
export { createLogger, loggerOptions } from './logger.js';
export { errorsPlugin } from './plugins/errors.js';
export { type HealthOptions, healthPlugin } from './plugins/health.js';
export { metricsPlugin } from './plugins/metrics.js';
export { acceptRawBodies, parseJson } from './plugins/raw-body.js';
export { maskPhone, redactUrl } from './redaction.js';
export { loadServiceConfigOrExit, type RunServiceOptions, runService } from './run-service.js';
export { hmacSha256Hex, safeEqual, verifySha256Signature } from './signatures.js';
