import { z } from 'zod';

/** Small field builders so every schema states what it expects in the same words. */
export const port = (fallback: number) =>
  z.coerce.number().int().min(1, 'a TCP port (1-65535)').max(65535, 'a TCP port (1-65535)').default(fallback);

export const positiveInt = (fallback: number) =>
  z.coerce.number().int('a whole number').positive('a positive whole number').default(fallback);

export const httpUrl = () => z.url({ protocol: /^https?$/, error: 'an http(s) URL, e.g. https://example.com' });

export const secret = (what: string) => z.string({ error: `required: ${what}` }).min(1, `required: ${what}`);

export const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const price = () => z.coerce.number({ error: 'a price, e.g. 49.90' }).nonnegative('a price, e.g. 49.90');

/** The items of a comma-separated list, trimmed, empty ones dropped. */
export const splitList = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** `a, b,,c` → ['a', 'b', 'c'] (unset or empty: none). */
export const commaList = () => z.string().default('').transform(splitList);
