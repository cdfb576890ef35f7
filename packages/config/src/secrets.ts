/** Variables whose values must never be printed, logged or returned by an API. */
export const SECRET_VARIABLES = new Set([
  'DATABASE_URL',
  'SERVICEBUS_CONNECTION_STRING',
  'WHATSAPP_API_KEY',
  'WHATSAPP_APP_SECRET',
  'WHATSAPP_VERIFY_TOKEN',
  'ASTRIA_API_KEY',
  'CALLBACK_SIGNING_SECRET',
  'SUMIT_WEBHOOK_TOKEN',
  'STRIPE_WEBHOOK_SECRET',
  'STRIPE_API_KEY',
  'UPDATE_IMAGES_TOKEN',
  'AZURE_STORAGE_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
]);

/** A copy of a config object safe to print: every secret that is set is replaced by `(set)`. */
export function redactConfig(config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    out[key] = SECRET_VARIABLES.has(key) && value !== undefined ? '(set)' : value;
  }
  return out;
}
