import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PreviewRebuilder } from '../previews.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Rebuilds the packs' preview videos (on request, and on the configured schedule). */
    previews: PreviewRebuilder;
  }
}

export interface PreviewsPluginOptions {
  /** Rebuild previews on the configured schedule (default true). */
  schedule?: boolean;
}

export const previewsPlugin = fp(
  async (app: FastifyInstance, options: PreviewsPluginOptions) => {
    const previews = new PreviewRebuilder(app.imageContext);
    app.decorate('previews', previews);
    app.addHook('onReady', async () => {
      if (options.schedule !== false) await previews.schedule(app.imageContext.config.PREVIEW_REBUILD_INTERVAL_HOURS);
    });
    app.addHook('onClose', async () => {
      await previews.stop();
    });
  },
  { name: 'image-previews', dependencies: ['image-context'] },
);
