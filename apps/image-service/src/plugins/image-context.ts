import type { ImageServiceConfig } from '@astria/config';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { BlobStorage } from '../blob-storage.js';
import { createImageContext, type ImageContext } from '../context.js';
import { createImageMetrics, type ImageMetrics } from '../metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The image service's metrics (on the service's registry, served at /metrics). */
    imageMetrics: ImageMetrics;
    /** The adapters the photo, training, callback and preview modules take: database, blobs, Astria, outbox, config. */
    imageContext: ImageContext;
  }
}

export interface ImageContextPluginOptions {
  config: ImageServiceConfig;
  /** Blob storage override (tests); default from BLOB_STORAGE. */
  blobs?: BlobStorage;
}

export const imageContextPlugin = fp(
  async (app: FastifyInstance, options: ImageContextPluginOptions) => {
    const metrics = createImageMetrics(app.metrics);
    app.decorate('imageMetrics', metrics);
    app.decorate(
      'imageContext',
      createImageContext({
        database: app.database,
        config: options.config,
        log: app.log,
        metrics,
        outbox: app.events.outbox,
        ...(options.blobs ? { blobs: options.blobs } : {}),
      }),
    );
  },
  { name: 'image-context', dependencies: ['astria-metrics'] },
);
