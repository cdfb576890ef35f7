/**
 * Our id for a WhatsApp user, shared with the payment service (dependency-free on purpose):
 * the phone number as digits only, with country code (`+972 50-123-4567` → `972501234567`);
 * or, for a user who hides their number, WhatsApp's business-scoped user id (`US.…`), kept as is.
 * A national number with a trunk `0` (`050-123-4567`) gets `defaultCountryCode` instead of the `0`
 * when one is given (e.g. `972` for numbers a payment form collected without country code).
 * Returns null when the input is neither.
 */
export function normalizeUserId(
  input: string | number | null | undefined,
  options: { defaultCountryCode?: string } = {},
): string | null {
  if (input === null || input === undefined) return null;
  const raw = String(input).trim();
  if (raw === '') return null;
  // Business-scoped user ids contain letters (e.g. "US.13491208655302741918"): keep them verbatim.
  if (/[A-Za-z]/.test(raw)) {
    return /^[A-Za-z]{2}\.[A-Za-z0-9._-]{1,120}$/.test(raw) ? raw : null;
  }
  let digits = raw.replace(/\D/g, '');
  if (raw.startsWith('00')) digits = digits.slice(2);
  else if (!raw.startsWith('+') && digits.startsWith('0') && options.defaultCountryCode) {
    digits = `${options.defaultCountryCode.replace(/\D/g, '')}${digits.slice(1)}`;
  }
  if (digits.length < 7 || digits.length > 15) return null;
  return digits;
}
