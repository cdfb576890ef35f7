/** Masks a phone number or user id for logs: keeps the country prefix and the last 3 digits. */
export function maskPhone(value: unknown): string {
  const text = String(value ?? '');
  const digits = text.replace(/\D/g, '');
  if (digits.length < 7) return text.length > 4 ? `${text.slice(0, 2)}…${text.slice(-2)}` : '***';
  return `${digits.slice(0, 3)}${'*'.repeat(digits.length - 6)}${digits.slice(-3)}`;
}

/** Replaces secret query parameters (token, verify token, signature…) in a URL with `***`. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|hub\.verify_token|signature|sig|key|access_token)=)[^&#]*/gi, '$1***');
}

/** Log paths whose values are secrets: removed from every log line. */
export const SECRET_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-hub-signature-256"]',
  'req.headers["x-hub-signature"]',
  'req.headers["stripe-signature"]',
  'headers.authorization',
  'authorization',
  'token',
  'secret',
  'password',
  'apiKey',
  'accessToken',
  '*.token',
  '*.secret',
  '*.password',
  '*.apiKey',
  '*.accessToken',
];

/** Log paths that hold phone numbers or user ids: masked, so a line can still be correlated but not read. */
export const PHONE_LOG_PATHS = [
  'phone',
  'from',
  'to',
  'userId',
  'waId',
  'recipient',
  '*.phone',
  '*.from',
  '*.to',
  '*.userId',
  '*.waId',
  '*.recipient',
];
