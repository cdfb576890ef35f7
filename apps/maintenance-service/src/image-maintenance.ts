import type { MaintenanceServiceConfig } from '@astria/config';
import type { Database } from '@astria/db';
import type { MaintenanceLogger } from './logger.js';

/** What the image service offers the janitor (its `createImageMaintenance`), as the janitor uses it. */
export interface ImageMaintenance {
  /** Tunes past ETA + grace without images: ask Astria, deliver finished ones like a callback. */
  reconcile(options: { dryRun: boolean; graceMinutes: number; limit?: number }): Promise<{
    checked: number;
    recovered: number;
    pending: number;
  }>;
  /** Photos (rows and blobs) of users whose model is trained or who abandoned for more than N days. */
  purgePhotos(options: { dryRun: boolean; abandonedAfterDays: number; batchSize: number }): Promise<{
    rows: number;
    blobs: number;
  }>;
  /** Astria tunes past retention (`DELETE /tunes/{id}`). */
  deleteExpiredTunes(options: { dryRun: boolean; retentionDays: number; batchSize: number }): Promise<{
    tunes: number;
  }>;
}

export type ImageMaintenanceFactory = (deps: {
  database: Database;
  config: MaintenanceServiceConfig;
  logger?: MaintenanceLogger;
}) => ImageMaintenance;

/** Resolved at most once per call site: the image service's maintenance, or the reason it is unavailable. */
export type ImageMaintenanceProvider = () => Promise<ImageMaintenance>;

const IMAGE_SERVICE_MODULE = '@astria/image-service';

/**
 * Loads `createImageMaintenance` from the image service package at run time, so cleanup of every
 * other kind keeps working (and says why) if that package is not deployed alongside.
 */
export function imageMaintenanceFromPackage(deps: {
  database: Database;
  config: MaintenanceServiceConfig;
  logger?: MaintenanceLogger;
}): ImageMaintenanceProvider {
  let loaded: Promise<ImageMaintenance> | undefined;
  return () => {
    loaded ??= (async () => {
      const specifier = IMAGE_SERVICE_MODULE;
      const mod = (await import(specifier)) as { createImageMaintenance?: ImageMaintenanceFactory };
      if (typeof mod.createImageMaintenance !== 'function') {
        throw new Error(`${IMAGE_SERVICE_MODULE} does not export createImageMaintenance`);
      }
      return mod.createImageMaintenance(deps);
    })();
    return loaded;
  };
}
