import type { OutboundMessage } from '@astria/events';
import type { Language } from './types.js';

/** Graph's "re-engagement message": the 24-hour window closed before the message went out. */
export const WINDOW_CLOSED = 131047;

/**
 * Codes of a `failed` status after which sending the same message again can succeed: WhatsApp's
 * own trouble (131000 something went wrong, 131016 service unavailable), media it could not fetch or
 * upload (131052, 131053), and the rate limits (130429, 131056). Not 131026 (undeliverable: not on
 * WhatsApp, old app), 131049 (Meta's per-user engagement limit), 131051 (unsupported type), 131047.
 */
export const RETRY_HELPS: ReadonlySet<number> = new Set([1, 2, 131000, 131016, 131052, 131053, 130429, 131056]);

const COPY: Record<Language, { image: (link: string) => string; paymentLink: (url: string) => string }> = {
  en: {
    image: (link) => `One of your portraits couldn't be shown here. You can open it at ${link}`,
    paymentLink: (url) => `We couldn't show you the payment button. You can pay here: ${url}`,
  },
  he: {
    image: (link) => `לא הצלחנו להציג כאן את אחת התמונות שלך. אפשר לפתוח אותה כאן: ${link}`,
    paymentLink: (url) => `לא הצלחנו להציג את כפתור התשלום. אפשר לשלם כאן: ${url}`,
  },
};

export type FailureAction =
  /** Send the same message once more. */
  | { kind: 'retry' }
  /** Tell the user in a text what they missed (with the link, so nothing is lost). */
  | { kind: 'tell_user'; message: OutboundMessage }
  /** 131047: hold the message behind the window template, like a send refused at once. */
  | { kind: 'hold_for_window' }
  /** Counted and recorded only. */
  | { kind: 'record' };

/**
 * What to do when WhatsApp reports, in a `failed` status after accepting it, that a message we sent
 * was not delivered. Pure. Portraits (image, video) and payment links are retried once when retrying
 * can help, otherwise the user is told in a text; a closed window holds any free-form message behind
 * the template; anything else (and a retry that failed again, and our own notices) is only recorded.
 */
export function onDeliveryFailed(
  sent: OutboundMessage,
  code: number | null,
  wasRetried: boolean,
  isRetry: boolean,
  language: Language,
): FailureAction {
  if (sent.kind === 'mark_read' || sent.kind === 'reaction' || wasRetried) return { kind: 'record' };
  if (code === WINDOW_CLOSED) return sent.kind === 'template' ? { kind: 'record' } : { kind: 'hold_for_window' };
  const copy = COPY[language];
  if (sent.kind === 'image' || sent.kind === 'video') {
    if (!isRetry && code !== null && RETRY_HELPS.has(code)) return { kind: 'retry' };
    return { kind: 'tell_user', message: { kind: 'text', body: copy.image(sent.link), previewUrl: false } };
  }
  if (sent.kind === 'cta_url') {
    if (!isRetry && code !== null && RETRY_HELPS.has(code)) return { kind: 'retry' };
    return { kind: 'tell_user', message: { kind: 'text', body: copy.paymentLink(sent.url), previewUrl: false } };
  }
  return { kind: 'record' };
}
