import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { handleUserDataErased } from '../erasure.js';
import { JobWorker } from '../jobs.js';
import { handlePhotoMessage, isTrainingPhoto } from '../photos.js';
import { handleTrainingRequested } from '../training.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The photo and training job loops (started when the app is ready, stopped when it closes). */
    jobs: JobWorker;
  }
}

/**
 * The events the service consumes (user_message_received: photo intake; training_requested; user_data_erased) record
 * pending jobs in the inbox transaction; the job worker runs them outside it.
 */
export const jobsPlugin = fp(
  async (app: FastifyInstance) => {
    const context = app.imageContext;
    const { config } = context;
    const jobs = new JobWorker(context, {
      pollMs: config.OUTBOX_SAFETY_POLL_MS,
      maxAttempts: config.EVENT_MAX_DELIVERY_COUNT,
      retryBaseMs: config.EVENT_RETRY_BASE_MS,
      retryMaxMs: config.EVENT_RETRY_MAX_MS,
    });
    app.decorate('jobs', jobs);

    app.events.consume(
      {
        user_message_received: (event, tx) => handlePhotoMessage(context, event, tx),
        training_requested: (event, tx) => handleTrainingRequested(context, event, tx),
        user_data_erased: (event, tx) => handleUserDataErased(context, event, tx),
      },
      // Every inbound message comes here; only training photos are work (the rest need no inbox row).
      { relevant: { user_message_received: isTrainingPhoto } },
    );

    app.addHook('onReady', async () => {
      await jobs.start();
    });
    app.addHook('onClose', async () => {
      await jobs.stop();
    });
  },
  { name: 'image-jobs', dependencies: ['image-context'] },
);
