/**
 * The message service's settings a bench does not vary: prices, payment links, support, Astria
 * unreachable (a text webhook never calls it). A bench adds the database, WhatsApp and its secrets.
 */
export const MESSAGE_SERVICE_BENCH_ENV: Readonly<Record<string, string>> = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'error',
  EVENT_TRANSPORT: 'memory',
  ASTRIA_API_URL: 'http://127.0.0.1:9',
  ASTRIA_API_KEY: 'bench-astria-key',
  LITE_TIER_PRICE: '49',
  STANDARD_TIER_PRICE: '79',
  PREMIUM_TIER_PRICE: '119',
  LITE_TIER_PAYMENT_LINK: 'https://pay.example.com/lite',
  STANDARD_TIER_PAYMENT_LINK: 'https://pay.example.com/standard',
  PREMIUM_TIER_PAYMENT_LINK: 'https://pay.example.com/premium',
  SUPPORT_CONTACT: 'support@example.com',
};
