import type { ImageServiceConfig } from '@astria/config';
import type { FastifyPluginAsync } from 'fastify';
import type { BlobStorage } from './blob-storage.js';
import { imageContextPlugin } from './plugins/image-context.js';
import { jobsPlugin } from './plugins/jobs.js';
import { previewsPlugin } from './plugins/previews.js';
import { astriaCallbackRoutes } from './routes/astria-callbacks.js';
import { mediaRoutes } from './routes/media.js';
import { updateImagesRoutes } from './routes/update-images.js';

export interface ImageServiceAppOptions {
  config: ImageServiceConfig;
  /** Blob storage override (tests); default from BLOB_STORAGE. */
  blobs?: BlobStorage;
  /** Rebuild previews on the configured schedule (default true). */
  schedulePreviews?: boolean;
}

/**
 * The image service: photo intake (user_message_received), training (training_requested), Astria
 * callbacks (/tune-trained, /pack-tune-received), pack preview videos (/update-images) and the
 * media route that serves locally stored blobs (/media/*). Composes the plugins, then the routes.
 */
export const imageServiceApp: FastifyPluginAsync<ImageServiceAppOptions> = async (app, options) => {
  await app.register(imageContextPlugin, {
    config: options.config,
    ...(options.blobs ? { blobs: options.blobs } : {}),
  });
  await app.register(jobsPlugin);
  await app.register(previewsPlugin, { schedule: options.schedulePreviews !== false });

  await app.register(astriaCallbackRoutes);
  await app.register(updateImagesRoutes);
  await app.register(mediaRoutes);
};
