import type { ImageServiceConfig } from '@astria/config';
import type { Database } from '@astria/db';
import { createOutbox, type Outbox } from '@astria/events';
import { type Logger, silentLogger } from '@astria/service-kit';
import { AstriaClient } from './astria-client.js';
import { type BlobStorage, createBlobStorage } from './blob-storage.js';
import { createImageMetrics, type ImageMetrics } from './metrics.js';

/** What delivery and maintenance need: storage, Astria, the outbox — no WhatsApp, no callback secrets. */
export interface ImageParts {
  database: Database;
  blobs: BlobStorage;
  astria: AstriaClient;
  outbox: Outbox;
  metrics: ImageMetrics;
  log: Logger;
}

/** Everything the photo, training, delivery, preview and maintenance modules need. */
export interface ImageContext extends ImageParts {
  config: ImageServiceConfig;
}

/** The settings `createImageParts` reads. ASTRIA_API_KEY may be absent where nothing calls Astria. */
export type ImagePartsConfig = Pick<
  ImageServiceConfig,
  | 'ASTRIA_API_URL'
  | 'ASTRIA_TIMEOUT_MS'
  | 'ASTRIA_MAX_RETRIES'
  | 'ASTRIA_RETRY_BASE_MS'
  | 'BLOB_STORAGE'
  | 'BLOB_LOCAL_DIR'
  | 'BLOB_PUBLIC_BASE_URL'
  | 'AZURE_STORAGE_CONNECTION_STRING'
  | 'AZURE_STORAGE_CONTAINER'
> & { ASTRIA_API_KEY?: string | undefined; PUBLIC_BASE_URL?: string | undefined };

export function createImageContext(deps: {
  database: Database;
  config: ImageServiceConfig;
  log?: Logger;
  metrics?: ImageMetrics;
  blobs?: BlobStorage;
  outbox?: Outbox;
}): ImageContext {
  return { ...createImageParts(deps), config: deps.config };
}

/** The parts over a config that may lack what only the service's own endpoints use (the janitor's case). */
export function createImageParts(deps: {
  database: Database;
  config: ImagePartsConfig;
  log?: Logger;
  metrics?: ImageMetrics;
  blobs?: BlobStorage;
  outbox?: Outbox;
}): ImageParts {
  const metrics = deps.metrics ?? createImageMetrics();
  const log = deps.log ?? silentLogger();
  const { config } = deps;
  return {
    database: deps.database,
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
