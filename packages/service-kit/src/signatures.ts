import { createHmac, timingSafeEqual } from 'node:crypto';

/** Constant-time string comparison (also when lengths differ: both sides are hashed first). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHmac('sha256', 'astria-bot:safe-equal').update(a).digest();
  const hb = createHmac('sha256', 'astria-bot:safe-equal').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

export function hmacSha256Hex(secret: string, payload: Buffer | string): string {
  return createHmac('sha256', secret).update(payload).digest('hex');
}

/**
 * Verifies a `sha256=<hex>` signature header (Meta's X-Hub-Signature-256) over the raw bytes.
 * Never parses or re-serializes the body: the digest is over exactly what was sent.
 */
export function verifySha256Signature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const given = header.slice('sha256='.length).trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(given)) return false;
  const expected = hmacSha256Hex(secret, rawBody);
  return timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(expected, 'hex'));
}
