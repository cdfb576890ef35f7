import { createHash } from 'node:crypto';

/**
 * Our id for a user (`userId` in every user event and the ordering key): the WhatsApp number as
 * digits only, with country code (`+972 50-123-4567` → `972501234567`), or WhatsApp's
 * business-scoped user id for a user who hides their number. The message service keys users by it
 * and the payment service maps a payer's phone to it, so both must use this one function.
 *
 * Rules, in order (explicit because a payment form's phone field is free text):
 * 1. letters: only WhatsApp's business-scoped user id (`US.1349…`) is accepted, verbatim;
 * 2. a `(0)` trunk marker after a country code is dropped (`+972 (0)50…`);
 * 3. `+` or `00` prefix: international, the digits after it are the id;
 * 4. a leading `0` without `+`: a national number, the `0` is replaced by `defaultCountryCode`
 *    (ambiguous by nature: `050…` is Israeli only if the default country code says so);
 * 5. any other digits are taken as already international (`972501234567`);
 * 6. the result must have 7–15 digits (E.164), otherwise null.
 */
export function normalizeUserId(
  input: string | number | null | undefined,
  options: { defaultCountryCode?: string } = {},
): string | null {
  if (input === null || input === undefined) return null;
  const raw = String(input).trim();
  if (raw === '') return null;
  if (/[A-Za-z]/.test(raw)) {
    return /^[A-Za-z]{2}\.[A-Za-z0-9._-]{1,120}$/.test(raw) ? raw : null;
  }
  const cleaned = raw.replace(/\(0\)/g, '');
  let digits = cleaned.replace(/\D/g, '');
  if (cleaned.startsWith('00')) digits = digits.slice(2);
  else if (!cleaned.startsWith('+') && digits.startsWith('0') && options.defaultCountryCode) {
    digits = `${options.defaultCountryCode.replace(/\D/g, '')}${digits.slice(1)}`;
  }
  if (digits.length < 7 || digits.length > 15) return null;
  return digits;
}

/**
 * How an erased user is named from then on (the `user_data_erased` event, the erasure audit row): the
 * SHA-256 of the id, hex. A table's rows of that user are found by hashing its user ids
 * (`encode(sha256(convert_to(user_id, 'UTF8')), 'hex')` in SQL).
 */
export function userHashOf(userId: string): string {
  return createHash('sha256').update(userId, 'utf8').digest('hex');
}
