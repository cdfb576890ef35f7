import type { MaintenanceServiceConfig } from '@astria/config';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type ImageMaintenanceProvider, imageMaintenanceFromPackage } from '../image-maintenance.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The image service's maintenance (photos, tunes, reconciliation), created on first use. */
    imageMaintenance: ImageMaintenanceProvider;
  }
}

export interface ImageMaintenancePluginOptions {
  config: MaintenanceServiceConfig;
  /** A stand-in (tests); by default the image service's own, from `@astria/image-service/maintenance`. */
  provider?: ImageMaintenanceProvider;
}

export const imageMaintenancePlugin = fp(
  async (app: FastifyInstance, options: ImageMaintenancePluginOptions) => {
    app.decorate(
      'imageMaintenance',
      options.provider ??
        imageMaintenanceFromPackage({ database: app.database, config: options.config, logger: app.log }),
    );
  },
  { name: 'image-maintenance' },
);
