import { makeWamid, metaSerialize, signWebhookBody } from '@astria/simulators/whatsapp';

/** The WhatsApp business number of notifications unless told otherwise (the benches' and the fault suite's). */
export const DEFAULT_NUMBER_ID = '106540352242922';

/** The WhatsApp app secret the benches give the services they start and sign their webhooks with. */
export const BENCH_APP_SECRET = 'bench-app-secret';

export interface NotificationOptions {
  /** `metadata.phone_number_id`: the number the service answers for. */
  phoneNumberId?: string;
  /** `contacts[].profile.name`. */
  name?: string;
  /** Seconds since the epoch (default now). */
  timestamp?: number;
}

/** A `messages` notification exactly as Meta sends it: one contact, one message of `from`. */
function messageNotification(
  from: string,
  message: Record<string, unknown>,
  options: NotificationOptions,
): Record<string, unknown> {
  return envelope(options, {
    contacts: [{ profile: { name: options.name ?? 'Bench User' }, wa_id: from }],
    messages: [{ from, timestamp: String(options.timestamp ?? Math.floor(Date.now() / 1000)), ...message }],
  });
}

function envelope(options: NotificationOptions, value: Record<string, unknown>): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: {
                display_phone_number: '15550783881',
                phone_number_id: options.phoneNumberId ?? DEFAULT_NUMBER_ID,
              },
              ...value,
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}

/** A text message. */
export function textNotification(
  from: string,
  body: string,
  wamid = makeWamid(from),
  options: NotificationOptions = {},
): Record<string, unknown> {
  return messageNotification(from, { id: wamid, type: 'text', text: { body } }, options);
}

/** A photo (the media id must exist where the service downloads it from). */
export function imageNotification(
  from: string,
  media: { id: string; sha256: string; mimeType?: string },
  wamid = makeWamid(from),
  options: NotificationOptions = {},
): Record<string, unknown> {
  const image = { id: media.id, mime_type: media.mimeType ?? 'image/jpeg', sha256: media.sha256 };
  return messageNotification(from, { id: wamid, type: 'image', image }, options);
}

/** A tap on a reply button. */
export function buttonReplyNotification(
  from: string,
  buttonId: string,
  title: string,
  wamid = makeWamid(from),
  options: NotificationOptions = {},
): Record<string, unknown> {
  return messageNotification(
    from,
    { id: wamid, type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: buttonId, title } } },
    options,
  );
}

/** A delivery status of a message the business sent to `recipient`. */
export function statusNotification(
  wamid: string,
  recipient: string,
  status: 'sent' | 'delivered' | 'read' = 'delivered',
  options: NotificationOptions = {},
): Record<string, unknown> {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  return envelope(options, {
    statuses: [{ id: wamid, status, timestamp, recipient_id: recipient }],
  });
}

export interface SignedWebhook {
  body: string;
  headers: { 'content-type': string; 'x-hub-signature-256': string };
}

/** Serialized like Meta (non-ASCII as \uXXXX) and signed with the app secret over those exact bytes. */
export function signedWebhook(appSecret: string, notification: unknown): SignedWebhook {
  const body = metaSerialize(notification);
  return { body, headers: signedHeaders(appSecret, body) };
}

/** The headers Meta sends with `body` (these exact bytes signed with the app secret). */
export function signedHeaders(appSecret: string, body: string | Buffer): SignedWebhook['headers'] {
  return { 'content-type': 'application/json', 'x-hub-signature-256': signWebhookBody(appSecret, body) };
}
