import type { z } from 'zod';
import * as payloads from './payloads.js';

export type ServiceName = 'message-service' | 'image-service' | 'payment-service' | 'maintenance-service';

export interface EventDefinition<TSchema extends z.ZodType = z.ZodType> {
  /** Current payload version. Consumers dead-letter events of a higher version (`unsupported_version`). */
  version: number;
  description: string;
  producer: ServiceName;
  subscribers: readonly ServiceName[];
  /** Handled in publish order per key (Service Bus sessions keyed by `key`). */
  ordered: boolean;
  schema: TSchema;
}

function define<TSchema extends z.ZodType>(definition: EventDefinition<TSchema>): EventDefinition<TSchema> {
  return definition;
}

/** The event catalog: the one source of truth for topics, subscriptions, payloads and docs. */
export const catalog = {
  user_message_received: define({
    version: 1,
    description: 'an inbound WhatsApp message, normalized; photos the conversation accepted are marked trainingPhoto',
    producer: 'message-service',
    subscribers: ['image-service'],
    ordered: true,
    schema: payloads.userMessageReceived,
  }),
  image_processed: define({
    version: 1,
    description: 'a submitted photo was stored and inspected: accepted, or rejected with a reason',
    producer: 'image-service',
    subscribers: ['message-service'],
    ordered: true,
    schema: payloads.imageProcessed,
  }),
  payment_received: define({
    version: 1,
    description: 'a verified, de-duplicated payment: provider, payment id, user, tier, amount, name',
    producer: 'payment-service',
    subscribers: ['message-service'],
    ordered: true,
    schema: payloads.paymentReceived,
  }),
  training_requested: define({
    version: 1,
    description: 'paid + photos + pack chosen: make a tune (or prompts on an existing tune)',
    producer: 'message-service',
    subscribers: ['image-service'],
    ordered: true,
    schema: payloads.trainingRequested,
  }),
  tune_created: define({
    version: 1,
    description: 'Astria accepted the request: tune id, ETA',
    producer: 'image-service',
    subscribers: ['message-service'],
    ordered: true,
    schema: payloads.tuneCreated,
  }),
  images_generated: define({
    version: 1,
    description: "Astria delivered the images of a tune's prompts (callback or reconciliation)",
    producer: 'image-service',
    subscribers: ['message-service'],
    ordered: true,
    schema: payloads.imagesGenerated,
  }),
  training_failed: define({
    version: 1,
    description: 'Astria refused or kept failing: the user is told kindly and support is alerted',
    producer: 'image-service',
    subscribers: ['message-service'],
    ordered: true,
    schema: payloads.trainingFailed,
  }),
  pack_images_updated: define({
    version: 1,
    description: 'pack preview videos were rebuilt: pack id, subject class, URL',
    producer: 'image-service',
    subscribers: ['message-service'],
    ordered: false,
    schema: payloads.packImagesUpdated,
  }),
  whatsapp_send_requested: define({
    version: 1,
    description: 'one outbound WhatsApp message, ordered per recipient',
    producer: 'message-service',
    subscribers: ['message-service'],
    ordered: true,
    schema: payloads.whatsappSendRequested,
  }),
  user_data_erased: define({
    version: 1,
    description:
      'a user confirmed "Delete my data" (named by the SHA-256 of the id): image-service deletes their photos, blobs and tunes (Astria too); payment-service keeps of their payments only what prevents a double payment',
    producer: 'message-service',
    subscribers: ['image-service', 'payment-service'],
    ordered: false,
    schema: payloads.userDataErased,
  }),
  whatsapp_forward_requested: define({
    version: 1,
    description:
      "move-over: the old app's part of a WhatsApp notification (its users' messages and statuses), committed with the de-dup record and posted re-signed to the old app",
    producer: 'message-service',
    subscribers: ['message-service'],
    ordered: true,
    schema: payloads.whatsappForwardRequested,
  }),
  sumit_forward_requested: define({
    version: 1,
    description:
      'move-over: a SUMIT payment of a user the old app serves, committed with the payment row; message-service (the forwarder) posts it as it came to the old app',
    producer: 'payment-service',
    subscribers: ['message-service'],
    ordered: true,
    schema: payloads.sumitForwardRequested,
  }),
  ops_ping: define({
    version: 1,
    description:
      "an operator's broker round trip (POST /ops/ping, pnpm validate): recorded in the consumer's inbox, no other effect",
    producer: 'payment-service',
    subscribers: ['message-service'],
    ordered: false,
    schema: payloads.opsPing,
  }),
} as const;

export type Catalog = typeof catalog;
export type EventType = keyof Catalog;
/** The payload a producer must give for an event type (input of its schema: defaults may be omitted). */
export type EventInput<T extends EventType> = z.input<Catalog[T]['schema']>;
/** The payload a consumer receives for an event type (after validation and defaults). */
export type EventData<T extends EventType> = z.output<Catalog[T]['schema']>;

export const EVENT_TYPES = Object.keys(catalog) as EventType[];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(catalog, type);
}

/** Service Bus topic of an event type. */
export function topicName(type: EventType): string {
  return `events-${type}`;
}

/** The event types a service subscribes to, per the catalog. */
export function subscriptionsOf(service: ServiceName): EventType[] {
  return EVENT_TYPES.filter((type) => (catalog[type].subscribers as readonly string[]).includes(service));
}
