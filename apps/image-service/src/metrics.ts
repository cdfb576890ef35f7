import { Counter, Histogram, Registry } from 'prom-client';

/** The image service's own metrics (the event runtime and HTTP server register theirs next to them). */
export function createImageMetrics(registry: Registry = new Registry()) {
  const registers = [registry];
  return {
    photos: new Counter({
      name: 'image_photos_total',
      help: 'Training photos processed, by outcome and rejection reason',
      labelNames: ['outcome', 'reason'] as const,
      registers,
    }),
    downloadSeconds: new Histogram({
      name: 'image_photo_download_seconds',
      help: 'Time to download a photo from WhatsApp (both steps)',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20],
      registers,
    }),
    inspectSeconds: new Histogram({
      name: 'image_photo_inspect_seconds',
      help: 'Time of the Astria inspect call',
      buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 40],
      registers,
    }),
    tunesCreated: new Counter({
      name: 'image_tunes_created_total',
      help: 'Astria tune requests accepted, by kind (new model or existing tune)',
      labelNames: ['kind'] as const,
      registers,
    }),
    tunesFailed: new Counter({
      name: 'image_tunes_failed_total',
      help: 'Training requests that failed, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    astriaRetries: new Counter({
      name: 'image_astria_retries_total',
      help: 'Astria requests retried after 429/5xx/network errors',
      registers,
    }),
    trainingToImagesSeconds: new Histogram({
      name: 'image_training_to_images_seconds',
      help: 'Time from training_requested to images_generated',
      buckets: [60, 300, 600, 900, 1200, 1800, 2700, 3600, 7200, 14_400],
      registers,
    }),
    callbacks: new Counter({
      name: 'image_callbacks_total',
      help: 'Astria callbacks received, by route and outcome',
      labelNames: ['route', 'outcome'] as const,
      registers,
    }),
    reconciliationRecoveries: new Counter({
      name: 'image_reconciliation_recoveries_total',
      help: 'Tunes whose images were delivered by reconciliation rather than a callback',
      registers,
    }),
    previewBuildSeconds: new Histogram({
      name: 'image_preview_build_seconds',
      help: 'Time to build one pack preview video',
      buckets: [0.5, 1, 2, 5, 10, 20, 40, 80],
      registers,
    }),
    previewFailedImages: new Counter({
      name: 'image_preview_failed_images_total',
      help: 'Pack images skipped while building previews (broken, missing or near-black)',
      labelNames: ['cause'] as const,
      registers,
    }),
    erasures: new Counter({
      name: 'image_erasures_total',
      help: "Users' data erased (photos, blobs, Astria tunes, rows) after user_data_erased",
      registers,
    }),
  };
}

export type ImageMetrics = ReturnType<typeof createImageMetrics>;
