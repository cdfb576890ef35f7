import type Stripe from 'stripe';

/** Finds the price ids a checkout session was paid for (when its payment link is not mapped to a tier). */
export interface StripePriceLookup {
  priceIds(sessionId: string): Promise<string[]>;
}

export interface StripePriceLookupOptions {
  apiKey: string;
  /** https://api.stripe.com, or a simulator. */
  apiUrl: string;
  timeoutMs: number;
  /** Retries on network errors, 409, 429 and 5xx, with Stripe's exponential backoff and jitter. */
  maxNetworkRetries?: number;
}

/**
 * The official client, pointed at a configurable base URL: `GET /v1/checkout/sessions/:id/line_items`.
 * The package (some 150 modules) is imported at the first lookup, not at start.
 */
export function createStripePriceLookup(options: StripePriceLookupOptions): StripePriceLookup {
  const url = new URL(options.apiUrl);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  let client: Promise<Stripe> | undefined;
  const stripe = () => {
    client ??= import('stripe').then(
      ({ default: Stripe }) =>
        new Stripe(options.apiKey, {
          host: url.hostname,
          port: url.port || (protocol === 'http' ? 80 : 443),
          protocol,
          timeout: options.timeoutMs,
          maxNetworkRetries: options.maxNetworkRetries ?? 3,
          telemetry: false,
          appInfo: { name: 'astria-bot payment-service' },
        }),
    );
    return client;
  };
  return {
    async priceIds(sessionId) {
      const items = await (await stripe()).checkout.sessions.listLineItems(sessionId, { limit: 20 });
      return items.data.map((item) => item.price?.id).filter((id): id is string => typeof id === 'string');
    },
  };
}
