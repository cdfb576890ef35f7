import type { ImageServiceConfig } from '@astria/config';
import type { Database } from '@astria/db';
import { createOutbox, type Outbox } from '@astria/events';
import { AstriaClient } from './astria-client.js';
import { type BlobStorage, createBlobStorage } from './blob-storage.js';
import { createImageMetrics, type ImageMetrics } from './metrics.js';

/** The minimal logger the service's modules use (pino and Fastify's logger both fit). */
export interface Log {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const silentLog: Log = { info() {}, warn() {}, error() {}, debug() {} };

/** Everything the photo, training, delivery, preview and maintenance modules need. */
export interface ImageContext {
  database: Database;
  config: ImageServiceConfig;
  blobs: BlobStorage;
  astria: AstriaClient;
  outbox: Outbox;
  metrics: ImageMetrics;
  log: Log;
}

export function createImageContext(deps: {
  database: Database;
  config: ImageServiceConfig;
  log?: Log;
  metrics?: ImageMetrics;
  blobs?: BlobStorage;
  outbox?: Outbox;
}): ImageContext {
  const metrics = deps.metrics ?? createImageMetrics();
  const log = deps.log ?? silentLog;
  const { config } = deps;
  return {
    database: deps.database,
    config,
    blobs: deps.blobs ?? createBlobStorage(config),
    astria: new AstriaClient({
      baseUrl: config.ASTRIA_API_URL,
      apiKey: config.ASTRIA_API_KEY,
      timeoutMs: config.ASTRIA_TIMEOUT_MS,
      retries: config.ASTRIA_MAX_RETRIES,
      retryBaseMs: config.ASTRIA_RETRY_BASE_MS,
      onRetry: (error, attempt, delayMs) => {
        metrics.astriaRetries.inc();
        log.warn({ err: error, attempt, delayMs }, 'Astria request failed; retrying');
      },
    }),
    outbox: deps.outbox ?? createOutbox('image-service'),
    metrics,
    log,
  };
}
