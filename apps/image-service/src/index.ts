export { type ImageServiceAppOptions, imageServiceApp } from './app.js';
export { AstriaClient, AstriaError, type AstriaErrorKind } from './astria-client.js';
export { AzureBlobStorage, type BlobStorage, createBlobStorage, LocalBlobStorage } from './blob-storage.js';
export { callbackToken, callbackUrls } from './domain/callback-token.js';
export { judgeInspection, majorityCharacteristics } from './domain/inspection.js';
export { createImageMaintenance, type ImageMaintenance, type ReconcileResult } from './maintenance.js';
export { createImageMetrics, type ImageMetrics } from './metrics.js';
