import type { MaintenanceServiceConfig } from '@astria/config';
import type { Database } from '@astria/db';
import { createImageMaintenance, type ImageMaintenance } from '@astria/image-service/maintenance';
import type { Logger } from '@astria/service-kit';

/** What the image service offers the janitor: its own type, from its `./maintenance` entry point. */
export type { ImageMaintenance };

export type ImageMaintenanceFactory = typeof createImageMaintenance;

/**
 * The image service's maintenance, created on first use: a run that needs no image step never builds
 * the Astria client or the blob store, and a failure to build them fails the image steps only.
 */
export type ImageMaintenanceProvider = () => Promise<ImageMaintenance>;

/** The image service's maintenance over the janitor's database and config, created once on first use. */
export function imageMaintenanceFromPackage(deps: {
  database: Database;
  config: MaintenanceServiceConfig;
  logger?: Logger;
}): ImageMaintenanceProvider {
  let created: Promise<ImageMaintenance> | undefined;
  return () => {
    created ??= (async () => createImageMaintenance(deps))();
    return created;
  };
}
